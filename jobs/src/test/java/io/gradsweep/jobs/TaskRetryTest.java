package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.sweep.TrialAttempt;
import io.gradsweep.sweep.TrialOutcome;
import io.gradsweep.sweep.TrialSegment;
import io.gradsweep.sweep.Trials;
import io.gradsweep.tracking.MemoryRun;
import io.gradsweep.tracking.MemoryTrackingSink;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Spark retries a trial's task whose first attempt had already ended the trial's run FINISHED (its executor was lost
 * before Spark had the result; here the attempt throws after its run ended): the retry gets its attempt number from
 * the task ({@link TrialTask#attemptNumber()}), trains nothing and returns the FINISHED run's result, so the trial
 * keeps one run. Local Spark with task retries ({@code local[1,2]}), the in-memory tracking backend.
 */
class TaskRetryTest {
  private static final TrackingTarget MEMORY = new TrackingTarget("memory", null);
  /** Trainings of the stand-in trainer in this JVM (local mode: the tasks run here). */
  static final AtomicInteger TRAININGS = new AtomicInteger();
  private static SparkSession spark;
  private static JavaSparkContext jsc;

  @BeforeAll
  static void startSpark() {
    spark = SparkSession.builder().master("local[1,2]").appName("TaskRetryTest")
        .config("spark.ui.enabled", "false").getOrCreate();
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  /** As {@link TrialTask}, with a stand-in trainer; the first attempt dies after its run has ended. */
  private static final class DiesAfterItsRunEnded implements FlatMapFunction<Iterator<TrialSegment>, TrialResult> {
    private final SweepRun sweep;

    DiesAfterItsRunEnded(SweepRun sweep) {
      this.sweep = sweep;
    }

    @Override
    public Iterator<TrialResult> call(Iterator<TrialSegment> it) {
      TrialResult r = TrialAttempt.run(MEMORY, null, sweep, it.next(), "attempt " + TrialTask.attemptNumber(),
          (TrialSpec t, io.gradsweep.tracking.TrialRun run) -> {
            TRAININGS.incrementAndGet();
            run.setTag(Names.Tag.STATUS, TrialStatus.SOLVED.name());
            run.logMetrics(Map.of(Names.Metric.FINAL_STEPS, 10.0, Names.Metric.FINAL_STEPS_TO_SOLVE, 7.0), 10);
            run.finish(true);
            return new TrialResult(t.id(), t.displayName(), run.runId(), TrialStatus.SOLVED, 10, 7, -1, 0.01, 0.16,
                1, 0, Double.NaN, -1, 0, null);
          }, TrialTask.attemptNumber());
      if (TaskContext.get().attemptNumber() == 0) {
        throw new IllegalStateException("executor lost after the run ended (simulated)");
      }
      return List.of(r).iterator();
    }
  }

  @Test
  void aRetriedTaskReusesTheRunItsFirstAttemptFinished() throws Exception {
    SweepRun sweep;
    try (MemoryTrackingSink sink = new MemoryTrackingSink()) {
      sweep = sink.startSweep("task-retry-" + System.nanoTime(), "task-retry", Map.of(), Map.of(), null);
    }
    TrialSpec trial = Trials.trial("rnn", 0.01, 1);

    List<TrialOutcome> outcomes = TrialDispatcher.runAll(jsc, List.of(TrialSegment.whole(trial, 0)),
        new DiesAfterItsRunEnded(sweep), 1, (index, result) -> { }, TrialSegment::trial, "trial ");

    assertNull(outcomes.get(0).executorError(), "Spark's retry succeeded");
    assertEquals(1, TRAININGS.get(), "the retry trained nothing");
    List<MemoryRun> runs = MemoryTrackingSink.childrenOf(sweep.runId());
    assertEquals(1, runs.size(), "one run of the trial: " + runs);
    assertEquals(MemoryRun.FINISHED, runs.get(0).status());
    assertEquals(runs.get(0).runId(), outcomes.get(0).result().runId());
    assertEquals(7, outcomes.get(0).result().stepsToSolve(), "read back from the FINISHED run");
  }
}
