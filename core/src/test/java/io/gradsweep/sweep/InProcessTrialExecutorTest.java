package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.MemoryRun;
import io.gradsweep.tracking.MemoryTrackingSink;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InProcessTrialExecutorTest {
  private static final TrackingTarget MEMORY = new TrackingTarget("memory", null);

  @Test
  void outcomesComeBackInBatchOrderWithOneResultPerTrial() throws Exception {
    List<TrialSpec> trials = Trials.seeds(5);
    SweepRun sweep = new MemoryTrackingSink().startSweep("inproc-" + System.nanoTime(), "s", Map.of(), Map.of(),
        null);
    AtomicInteger atOnce = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    Map<Integer, TrialResult> finished = new ConcurrentHashMap<>();
    InProcessTrialExecutor executor = new InProcessTrialExecutor(3, (trial, run) -> {
      most.accumulateAndGet(atOnce.incrementAndGet(), Math::max);
      try {
        Thread.sleep(50L * (6 - trial.seed())); // later trials finish first
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      atOnce.decrementAndGet();
      if (trial.seed() == 2) {
        throw new IllegalStateException("boom");
      }
      run.finish(true);
      return Trials.result(trial, TrialStatus.NOT_SOLVED, -1, 0.2);
    });
    List<TrialOutcome> outcomes = executor.execute(new TrialBatch(trials, sweep, MEMORY, 2),
        (index, result) -> finished.put(index, result));
    assertEquals(5, outcomes.size());
    for (int i = 0; i < 5; i++) {
      assertEquals(trials.get(i).id(), outcomes.get(i).result().trialId());
      assertNull(outcomes.get(i).executorError(), "training outcomes are results, not executor errors");
      assertEquals(outcomes.get(i).result(), finished.get(i));
    }
    assertEquals(TrialStatus.FAILED, outcomes.get(1).result().status(), "the trainer threw");
    assertTrue(outcomes.get(1).result().error().contains("boom"));
    assertTrue(most.get() <= 2, "at most the batch's parallelism at once: " + most.get());
    List<MemoryRun> children = MemoryTrackingSink.childrenOf(sweep.runId());
    assertEquals(5, children.size());
    children.forEach(c -> assertTrue(c.tags().get(TrialAttempt.EXECUTOR_TAG).startsWith("in-process"), c.tags()
        .toString()));
  }

  @Test
  void batchesAreValidated() {
    SweepRun sweep = new SweepRun("1", "r", null);
    assertThrows(IllegalArgumentException.class, () -> new TrialBatch(List.of(), sweep, MEMORY, 1));
    assertThrows(IllegalArgumentException.class, () -> new TrialBatch(Trials.seeds(1), sweep, MEMORY, 0));
    assertThrows(IllegalArgumentException.class, () -> new InProcessTrialExecutor(0));
    assertThrows(NullPointerException.class, () -> new TrialOutcome(null, "x"));
  }
}
