package io.gradsweep.sweep;

import io.gradsweep.train.TrialResult;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Prints the sweep's progress on stderr: one line when a trial finishes and one every few seconds, each a whole
 * line (no carriage returns) so that a CI log stays readable. A trial counts as running from the start of an
 * attempt ({@link #attemptStarted}, e.g. a Spark task start) until the driver has its result, and as done from then
 * on. Thread-safe: executors call it from their own threads.
 */
public final class ProgressReporter implements TrialListener, AutoCloseable {
  /** Prefix of every progress and note line the driver prints on stderr. */
  public static final String PREFIX = "[gradsweep] ";

  private final int total;
  private final PrintStream err;
  private final LongSupplier nanoClock;
  private final long start;
  /** Trial index -> task attempts started and not failed (a successful attempt counts until the result is in). */
  private final Map<Integer, Integer> attempts = new ConcurrentHashMap<>();
  private final Set<Integer> done = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService ticker;

  /** Starts reporting now; {@code intervalSeconds <= 0} prints only on trial completion. */
  public ProgressReporter(int total, PrintStream err, long intervalSeconds, LongSupplier nanoClock) {
    this.total = total;
    this.err = err;
    this.nanoClock = nanoClock;
    this.start = nanoClock.getAsLong();
    if (intervalSeconds > 0) {
      ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gradsweep-progress");
        t.setDaemon(true);
        return t;
      });
      ticker.scheduleAtFixedRate(() -> print(""), intervalSeconds, intervalSeconds, TimeUnit.SECONDS);
    } else {
      ticker = null;
    }
  }

  Progress snapshot() {
    int running = 0;
    for (Map.Entry<Integer, Integer> e : attempts.entrySet()) {
      if (e.getValue() > 0 && !done.contains(e.getKey())) {
        running++;
      }
    }
    return new Progress(done.size(), running, total, nanoClock.getAsLong() - start);
  }

  @Override
  public void attemptStarted(int index) {
    attempts.merge(index, 1, Integer::sum);
  }

  @Override
  public void attemptFailed(int index) {
    attempts.merge(index, -1, Integer::sum);
  }

  /** Called by the driver when trial {@code index} (0-based) has its result. */
  @Override
  public synchronized void trialFinished(int index, TrialResult r) {
    done.add(index);
    print("trial " + (index + 1) + " " + r.status() + describe(r) + " in " + Progress.duration(
        Math.round(r.wallSeconds() * 1e9)) + " (" + r.displayName() + ") | ");
  }

  private static String describe(TrialResult r) {
    return switch (r.status()) {
      case SOLVED -> " at step " + r.stepsToSolve();
      case DIVERGED -> " at step " + r.divergedAtStep();
      case NOT_SOLVED -> String.format(Locale.ROOT, ", eval loss %.4g", r.finalEvalLoss());
      case VANISHED, PLATEAU -> String.format(Locale.ROOT, " (stopped early) at step %d, eval loss %.4g", r.steps(),
          r.finalEvalLoss());
      case STOPPED_BY_SCHEDULER, PAUSED -> String.format(Locale.ROOT, " at step %d, eval loss %.4g", r.steps(),
          r.finalEvalLoss());
      case FAILED -> "";
    };
  }

  private synchronized void print(String head) {
    err.println(PREFIX + head + snapshot().line());
    err.flush();
  }

  @Override
  public void close() {
    if (ticker != null) {
      ticker.shutdownNow();
    }
  }
}
