package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.MemoryRun;
import io.gradsweep.tracking.MemoryTrackingSink;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.tracking.TrialRun;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A trial attempt that is retried (Spark retries the task of a lost executor; the first attempt may have ended its
 * run already, or still be running somewhere): one FINISHED child run per trial, whatever the order, on the in-memory
 * tracking backend with a stand-in trainer.
 */
class RetriedAttemptTest {
  private static final TrackingTarget MEMORY = new TrackingTarget("memory", null);
  private final AtomicInteger trainings = new AtomicInteger();

  private static SweepRun sweep() {
    try (MemoryTrackingSink sink = new MemoryTrackingSink()) {
      return sink.startSweep("retry-test-" + System.nanoTime(), "retry-test", Map.of(), Map.of(), null);
    }
  }

  /** Stands in for the engine: final metrics, SOLVED, the run finished. */
  private TrialResult solve(TrialSpec trial, TrialRun run) {
    trainings.incrementAndGet();
    run.logMetrics(Map.of(Names.Metric.FINAL_STEPS, 30.0, Names.Metric.FINAL_STEPS_TO_SOLVE, 12.0,
        Names.Metric.FINAL_EVAL_LOSS, 0.01), 30);
    run.setTag(Names.Tag.STATUS, TrialStatus.SOLVED.name());
    run.finish(true);
    return new TrialResult(trial.id(), trial.displayName(), run.runId(), TrialStatus.SOLVED, 30, 12, -1, 0.01,
        0.16, 1.5, 0, 0.9, 10, 0.1, null);
  }

  private static List<MemoryRun> runs(SweepRun sweep, String status) {
    return MemoryTrackingSink.childrenOf(sweep.runId()).stream().filter(r -> status.equals(r.status())).toList();
  }

  @Test
  void aRetryOfAnAttemptWhoseRunFinishedReusesThatRunAndTrainsNothing() {
    SweepRun sweep = sweep();
    TrialSpec trial = Trials.trial("rnn", 0.01, 1);
    // attempt 0 ends its run FINISHED, then its executor dies before Spark has the task's result
    TrialResult first = TrialAttempt.run(MEMORY, null, sweep, trial, "executor 1, attempt 0", this::solve);

    TrialResult retry = TrialAttempt.run(MEMORY, null, sweep, TrialSegment.whole(trial, 0), "executor 2, attempt 1",
        this::solve, 1);

    assertEquals(1, trainings.get(), "the retry trained nothing");
    assertEquals(1, MemoryTrackingSink.childrenOf(sweep.runId()).size(), "no second run");
    assertEquals(first.runId(), retry.runId(), "the retry's result is that of the FINISHED run");
    assertEquals(TrialStatus.SOLVED, retry.status());
    assertEquals(12, retry.stepsToSolve(), "read back from the run's final metrics");
  }

  @Test
  void aRetryEndsTheRunOfACutOffAttemptSupersededAndLogsItsOwn() {
    SweepRun sweep = sweep();
    TrialSpec trial = Trials.trial("rnn", 0.01, 2);
    String cutOff;
    try (MemoryTrackingSink sink = new MemoryTrackingSink()) {
      cutOff = sink.startTrial(sweep, trial).runId(); // attempt 0's executor was killed while it trained
    }
    // (closing the sink ended it FAILED; an MLflow run of a killed executor stays RUNNING: set that back up)
    MemoryTrackingSink.forceStatus(cutOff, MemoryRun.RUNNING);

    TrialResult retry = TrialAttempt.run(MEMORY, null, sweep, TrialSegment.whole(trial, 0), "attempt 1",
        this::solve, 1);

    MemoryRun old = MemoryTrackingSink.run(cutOff).orElseThrow();
    assertEquals(MemoryRun.FAILED, old.status());
    assertEquals("true", old.tags().get(Names.Tag.SUPERSEDED));
    assertNotEquals(cutOff, retry.runId());
    assertEquals(List.of(retry.runId()), runs(sweep, MemoryRun.FINISHED).stream().map(MemoryRun::runId).toList());
  }

  @Test
  void aFirstAttemptThatFinishesAfterItsRetryIsEndedKilledAsItsDuplicate() throws Exception {
    SweepRun sweep = sweep();
    TrialSpec trial = Trials.trial("rnn", 0.01, 3);
    CountDownLatch training = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    // attempt 0 on an executor Spark gave up on, but which still runs (or whose spooled end is sent late)
    CompletableFuture<TrialResult> zombie = CompletableFuture.supplyAsync(() -> TrialAttempt.run(MEMORY, null, sweep,
        trial, "attempt 0", (t, run) -> {
          run.logMetric(Names.Metric.TRAIN_LOSS, 0.5, 1);
          training.countDown();
          try {
            assertTrue(release.await(30, TimeUnit.SECONDS));
          } catch (InterruptedException e) {
            throw new IllegalStateException(e);
          }
          run.setTag(Names.Tag.STATUS, TrialStatus.SOLVED.name());
          run.finish(true);
          return new TrialResult(t.id(), t.displayName(), run.runId(), TrialStatus.SOLVED, 30, 20, -1, 0.02, 0.16,
              1.5, 0, 0.9, 10, 0.1, null);
        }));
    assertTrue(training.await(30, TimeUnit.SECONDS));
    String first = MemoryTrackingSink.childrenOf(sweep.runId()).get(0).runId();

    TrialResult retry = TrialAttempt.run(MEMORY, null, sweep, TrialSegment.whole(trial, 0), "attempt 1",
        this::solve, 1);
    release.countDown();
    zombie.get(30, TimeUnit.SECONDS);

    assertEquals(List.of(retry.runId()), runs(sweep, MemoryRun.FINISHED).stream().map(MemoryRun::runId).toList(),
        "one FINISHED run: the retry's");
    MemoryRun late = MemoryTrackingSink.run(first).orElseThrow();
    assertEquals(MemoryRun.KILLED, late.status());
    assertEquals(retry.runId(), late.tags().get(Names.Tag.DUPLICATE_OF));
  }
}
