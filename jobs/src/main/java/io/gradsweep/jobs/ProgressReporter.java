package io.gradsweep.jobs;

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
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * Prints the sweep's progress on stderr: one line when a trial finishes and one every few seconds, each a whole
 * line (no carriage returns) so that a CI log stays readable. A trial counts as running from the start of its
 * Spark task (listener event) until the driver has its result, and as done from then on.
 */
final class ProgressReporter extends SparkListener implements AutoCloseable {
  static final String PREFIX = "[gradsweep] ";

  private final int total;
  private final PrintStream err;
  private final LongSupplier nanoClock;
  private final long start;
  /** Trial index -> task attempts started and not failed (a successful attempt counts until the result is in). */
  private final Map<Integer, Integer> attempts = new ConcurrentHashMap<>();
  private final Set<Integer> done = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService ticker;

  /** Starts reporting now; {@code intervalSeconds <= 0} prints only on trial completion. */
  ProgressReporter(int total, PrintStream err, long intervalSeconds, LongSupplier nanoClock) {
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

  // One trial per partition: a task's partition id is its trial's index.
  @Override
  public void onTaskStart(SparkListenerTaskStart taskStart) {
    attempts.merge(taskStart.taskInfo().partitionId(), 1, Integer::sum);
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
    if (!taskEnd.taskInfo().successful()) {
      attempts.merge(taskEnd.taskInfo().partitionId(), -1, Integer::sum);
    }
  }

  /** Called by the driver when trial {@code index} (0-based) has its result. */
  synchronized void trialFinished(int index, TrialResult r) {
    done.add(index);
    print("trial " + (index + 1) + " " + r.status() + describe(r) + " in " + Progress.duration(
        Math.round(r.wallSeconds() * 1e9)) + " (" + r.displayName() + ") | ");
  }

  private static String describe(TrialResult r) {
    return switch (r.status()) {
      case SOLVED -> " at step " + r.stepsToSolve();
      case DIVERGED -> " at step " + r.divergedAtStep();
      case NOT_SOLVED -> String.format(Locale.ROOT, ", eval loss %.4g", r.finalEvalLoss());
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
