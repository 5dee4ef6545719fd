package io.gradsweep.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Runs {@code n} trials on at most {@code width} daemon threads and waits for all of them: the shape every
 * {@link TrialExecutor} that drives trials from the driver's threads shares (the in-process executor trains on
 * them; the Spark executor submits one Spark job per trial from them).
 */
public final class TrialPool {
  private TrialPool() {}

  /**
   * Calls {@code one.apply(i)} for every i in [0, n), at most {@code width} at once, and returns the outcomes in
   * index order.
   *
   * @param threadName name of the pool's threads (shown in thread dumps)
   * @param what what a call does, for the message when one throws
   * @throws IllegalStateException if a call throws (its exception is the cause); the other calls are interrupted
   * @throws InterruptedException if the waiting thread is interrupted
   */
  public static List<TrialOutcome> runAll(int n, int width, String threadName, String what,
      IntFunction<TrialOutcome> one) throws InterruptedException {
    if (n == 0) {
      return List.of();
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(width, n)), r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<TrialOutcome>> futures = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int index = i;
        futures.add(pool.submit(() -> one.apply(index)));
      }
      List<TrialOutcome> outcomes = new ArrayList<>(n);
      for (Future<TrialOutcome> f : futures) {
        try {
          outcomes.add(f.get());
        } catch (ExecutionException e) {
          throw new IllegalStateException(what + " failed", e.getCause());
        }
      }
      return outcomes;
    } finally {
      pool.shutdownNow();
    }
  }
}
