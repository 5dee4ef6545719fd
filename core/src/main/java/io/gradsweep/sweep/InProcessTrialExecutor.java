package io.gradsweep.sweep;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.train.TrialResult;
import java.util.List;
import java.util.Map;

/**
 * Runs trials in this JVM on a small pool of threads, without Spark: for tests of the driver logic, and for
 * machines where Spark is not wanted. Each trial is one {@link TrialAttempt} (no retries); an attempt that throws
 * (e.g. the tracking backend refused its child run) becomes a FAILED outcome with the exception as its executor
 * error, and the other trials still run.
 */
public final class InProcessTrialExecutor implements TrialExecutor {
  private final int threads;
  private final TrialAttempt.Trainer trainer;

  /** Trains with gradsweep's engine on {@code threads} threads. */
  public InProcessTrialExecutor(int threads) {
    this(threads, TrialAttempt.ENGINE);
  }

  /** Trains with {@code trainer} on {@code threads} threads. */
  public InProcessTrialExecutor(int threads, TrialAttempt.Trainer trainer) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    this.threads = threads;
    this.trainer = trainer;
  }

  @Override
  public String where() {
    return "in-process[" + threads + "]";
  }

  @Override
  public int defaultParallelism() {
    return threads;
  }

  @Override
  public Map<String, String> parentRunTags() {
    return Map.of();
  }

  @Override
  public List<TrialOutcome> execute(TrialBatch batch, TrialListener listener) throws InterruptedException {
    return TrialPool.runAll(batch.trials().size(), Math.min(threads, batch.parallelism()), "gradsweep-trial",
        "running a trial", index -> runOne(batch, index, listener));
  }

  private TrialOutcome runOne(TrialBatch batch, int index, TrialListener listener) {
    listener.attemptStarted(index);
    TrialOutcome outcome = runSegment(batch, batch.segments().get(index));
    if (outcome.executorFailed()) {
      listener.attemptFailed(index);
    }
    listener.trialFinished(index, outcome.result());
    return outcome;
  }

  @Override
  public TrialOutcome runSegment(TrialBatch batch, TrialSegment segment) {
    TrialSpec trial = segment.trial();
    long t0 = System.nanoTime();
    try {
      return new TrialOutcome(TrialAttempt.run(batch.tracking(), null, batch.sweep(), segment,
          "in-process thread " + Thread.currentThread().getName(), trainer), null);
    } catch (RuntimeException e) {
      String why = String.valueOf(e);
      return new TrialOutcome(TrialResult.failed(trial.id(), trial.displayName(), segment.runId(),
          "in-process: " + why, (System.nanoTime() - t0) / 1e9), why);
    }
  }

  @Override
  public String failureMessage(long failed, int total) {
    return "the in-process executor could not run " + failed + " of " + total + " trials";
  }
}
