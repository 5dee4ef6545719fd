package io.gradsweep.sweep;

import java.util.OptionalLong;

/**
 * Where a sweep stands at one instant, and the one line printed for it. Pure arithmetic: the caller supplies
 * the elapsed time, so tests need no clock.
 *
 * <p>The estimate assumes the trials still to run take as long, on average, as those done, at the concurrency
 * seen so far: {@code eta = elapsed * (total - done) / done}. Before the first trial is done there is none.
 *
 * @param done trials finished (whatever their outcome)
 * @param running trials whose Spark task is running now
 * @param total trials in the sweep
 * @param elapsedNanos time since the first trial was submitted
 */
record Progress(int done, int running, int total, long elapsedNanos) {

  Progress {
    if (done < 0 || running < 0 || total < 0 || done > total || elapsedNanos < 0) {
      throw new IllegalArgumentException(
          "invalid progress: done=" + done + " running=" + running + " total=" + total + " elapsed=" + elapsedNanos);
    }
  }

  /** Estimated time to finish; empty while no trial is done yet. */
  OptionalLong etaNanos() {
    if (done == total) {
      return OptionalLong.of(0);
    }
    if (done == 0) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Math.round((double) elapsedNanos * (total - done) / done));
  }

  /** E.g. {@code trials 3/8 done, 2 running | elapsed 1m05s | ETA 1m48s}. */
  String line() {
    OptionalLong eta = etaNanos();
    return "trials " + done + "/" + total + " done, " + running + " running | elapsed " + duration(elapsedNanos)
        + " | ETA " + (eta.isPresent() ? duration(eta.getAsLong()) : "?");
  }

  /** Whole seconds as {@code 7s}, {@code 3m05s} or {@code 2h03m04s}. */
  static String duration(long nanos) {
    long s = Math.round(nanos / 1e9);
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format("%dm%02ds", s / 60, s % 60);
    }
    return String.format("%dh%02dm%02ds", s / 3600, (s % 3600) / 60, s % 60);
  }
}
