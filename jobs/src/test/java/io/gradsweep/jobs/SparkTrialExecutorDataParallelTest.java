package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.sweep.TrialBatch;
import io.gradsweep.sweep.TrialOutcome;
import io.gradsweep.tracking.MemoryRun;
import io.gradsweep.tracking.MemoryTrackingSink;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * Trials with and without {@code training.data_parallel} in one batch on local[2]: every trial gets its outcome in
 * the batch's order and its child run; the data-parallel one is trained by DL4J's parameter averaging from the
 * driver, the others as tasks. (Spark 3.5 build only: left out of the spark4 build's tests.)
 */
class SparkTrialExecutorDataParallelTest {
  private static TrialSpec trial(String training) {
    return Sweeps.parse("name: mix\nexperiment: e\ntask: {name: adding, eval_size: 32}\ntraining: {max_steps: 4"
        + training + "}\ngrid: {cell: [lstm], seq_len: [8], hidden: [4]}\n", "mix.yaml").trials().get(0);
  }

  @Test
  void dataParallelAndOneTaskTrialsMixInOneBatch() throws Exception {
    TrialSpec plain = trial(", batch_size: 8");
    TrialSpec dp = trial(", data_parallel: {workers: 2, averaging_frequency: 1, batch_per_worker: 4}");
    TrialSpec other = trial(", batch_size: 4");
    assertNotEquals(plain.id(), dp.id());
    SweepRun sweep = new MemoryTrackingSink().startSweep("mix-" + System.nanoTime(), "mix", Map.of(), Map.of(),
        null);
    Map<Integer, TrialResult> finished = new ConcurrentHashMap<>();
    List<TrialOutcome> outcomes;
    try (JavaSparkContext jsc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("mix")
        .set("spark.ui.enabled", "false"))) {
      outcomes = new SparkTrialExecutor(jsc).execute(new TrialBatch(List.of(plain, dp, other), sweep,
          new TrackingTarget("memory", null), 2), (index, result) -> finished.put(index, result));
    }
    List<TrialSpec> trials = List.of(plain, dp, other);
    assertEquals(3, outcomes.size());
    for (int i = 0; i < 3; i++) {
      TrialResult r = outcomes.get(i).result();
      assertEquals(trials.get(i).id(), r.trialId(), "batch order");
      assertNull(outcomes.get(i).executorError());
      assertNotEquals(TrialStatus.FAILED, r.status(), () -> "trial failed: " + r.error());
      assertEquals(r, finished.get(i), "the listener heard each trial at its batch index");
    }
    List<MemoryRun> children = MemoryTrackingSink.childrenOf(sweep.runId());
    assertEquals(3, children.size());
    MemoryRun dpRun = children.stream().filter(c -> dp.id().equals(c.tags().get(Names.Tag.TRIAL_ID))).findFirst()
        .orElseThrow();
    assertEquals("dl4j-spark-parameter-averaging", dpRun.tags().get(Names.Tag.TRAINER));
    assertTrue(dpRun.tags().get(Names.Tag.EXECUTOR).startsWith("driver (local[2], data-parallel: 2 workers)"),
        dpRun.tags().toString());
    assertEquals(4, dpRun.metricHistory(Names.Metric.TRAIN_LOSS).size());
    for (MemoryRun c : children) {
      if (c != dpRun) {
        assertFalse(c.tags().containsKey(Names.Tag.TRAINER), "one-task trials keep their tags");
        assertTrue(c.tags().get(Names.Tag.EXECUTOR).startsWith("executor driver on "), c.tags().toString());
      }
    }
  }
}
