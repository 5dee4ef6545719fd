package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.MemoryRun;
import io.gradsweep.tracking.MemoryTrackingSink;
import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.NoneTrackingSink;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.tracking.TrialRun;
import io.gradsweep.train.Segment;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialRunner;
import io.gradsweep.train.TrialStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * ASHA and resume-from-checkpoint through the sweep driver, on the in-process executor with the real engine and the
 * in-memory tracking backend (the MLflow and Spark versions are jobs' ITs).
 */
class AshaSweepTest {
  private static final TrackingTarget MEMORY = new TrackingTarget("memory", null);
  private final ByteArrayOutputStream errBuf = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(errBuf, true, StandardCharsets.UTF_8);
  private final PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

  private static SweepSpec spec(String experiment, String extraTraining, String search) {
    return Sweeps.parse("""
        name: asha-test
        experiment: %s
        task: {name: adding, eval_size: 32, eval_seed: 7}
        training: {batch_size: 8, max_steps: 90, eval_every: 10, solve_threshold: 0.0001%s}
        %s
        grid:
          seq_len: [10]
          cell: [lstm]
          optimizer: [adam]
          lr: [0.001, 0.01, 0.1]
          hidden: [4]
          seeds: [1, 2, 3]
        """.formatted(experiment, extraTraining, search), "test spec");
  }

  private int run(SweepSpec spec, boolean resume, TrialExecutor executor) throws InterruptedException {
    try (MemoryTrackingSink sink = new MemoryTrackingSink()) {
      SweepDriver driver = new SweepDriver(sink, MEMORY, out, err);
      return driver.run(driver.prepare(spec, resume), executor, 2);
    }
  }

  @Test
  void ashaStopsTrialsAtRungsAndPromotedTrialsContinueTheirSeriesInTheirRun() throws Exception {
    String experiment = "asha-" + System.nanoTime();
    SweepSpec spec = spec(experiment, "",
        "search: {scheduler: {asha: {min_steps: 10, reduction_factor: 3}}}");
    assertEquals(List.of(10, 30, 90), spec.scheduling().asha().rungs());
    assertEquals(0, run(spec, false, new InProcessTrialExecutor(2)), errBuf.toString());

    MemoryRun parent = MemoryTrackingSink.runsOfExperiment(experiment).stream()
        .filter(r -> r.parentRunId().isEmpty()).findFirst().orElseThrow();
    assertEquals("10,30,90", parent.tags().get(Names.Tag.ASHA_RUNGS));
    assertEquals("eval_loss", parent.tags().get(Names.Tag.ASHA_METRIC));
    assertEquals("asha", parent.params().get("search.scheduler"));
    List<MemoryRun> children = MemoryTrackingSink.childrenOf(parent.runId());
    assertEquals(9, children.size(), "one run per trial, continued across its segments");
    long stopped = 0;
    long total = 0;
    for (MemoryRun c : children) {
      assertEquals(MemoryRun.FINISHED, c.status(), c.toString());
      String status = c.tags().get(Names.Tag.STATUS);
      List<Long> steps = c.metricHistory(Names.Metric.TRAIN_LOSS).stream().map(MetricPoint::step).toList();
      long last = (long) c.metricHistory(Names.Metric.FINAL_STEPS).get(0).value();
      total += last;
      assertEquals(LongStream.rangeClosed(1, last).boxed().toList(), steps,
          "train/loss at every step 1.." + last + " once: no gap, no restart (" + status + ")");
      List<Long> rungSteps = c.metricHistory(Names.Metric.ASHA_RUNG).stream().map(MetricPoint::step).toList();
      int reached = Integer.parseInt(c.tags().get(Names.Tag.ASHA_RUNG));
      assertEquals(List.of(10L, 30L, 90L).subList(0, reached + 1), rungSteps);
      if (status.equals(TrialStatus.STOPPED_BY_SCHEDULER.name())) {
        stopped++;
        assertTrue(last == 10 || last == 30, "stopped at a rung below the last: " + last);
      } else {
        assertEquals(TrialStatus.NOT_SOLVED.name(), status);
        assertEquals(90, last);
      }
      assertEquals(1, c.metricHistory(Names.Metric.EVAL_BASELINE_LOSS).size(), "the baseline once");
    }
    // 9 trials, eta 3: at least 9 - 3 stop at rung 0 and at least one goes to the end
    assertTrue(stopped >= 6 && stopped <= 8, stopped + " stopped");
    assertTrue(total < 9 * 90, total + " steps, full budget " + 9 * 90);
    assertTrue(errBuf.toString().contains("ASHA: rungs 10,30,90, " + stopped + " of 9 trials stopped"),
        errBuf.toString());
  }

  @Test
  void aLastRungBelowTrainingMaxStepsEndsItsTrialsNotSolvedAtThatBudget() throws Exception {
    String experiment = "asha-short-" + System.nanoTime();
    SweepSpec spec = spec(experiment, "", "search: {scheduler: {asha: {min_steps: 10, max_steps: 30}}}");
    assertEquals(List.of(10, 30), spec.scheduling().asha().rungs());
    assertEquals(0, run(spec, false, new InProcessTrialExecutor(2)), errBuf.toString());
    MemoryRun parent = MemoryTrackingSink.runsOfExperiment(experiment).stream()
        .filter(r -> r.parentRunId().isEmpty()).findFirst().orElseThrow();
    int ended = 0;
    for (MemoryRun c : MemoryTrackingSink.childrenOf(parent.runId())) {
      assertEquals(MemoryRun.FINISHED, c.status());
      double last = c.metricHistory(Names.Metric.FINAL_STEPS).get(0).value();
      if (c.tags().get(Names.Tag.STATUS).equals(TrialStatus.NOT_SOLVED.name())) {
        ended++;
        assertEquals(30.0, last, "the last rung's budget, not training.max_steps 90");
        assertEquals("1", c.tags().get(Names.Tag.ASHA_RUNG));
      } else {
        assertEquals(TrialStatus.STOPPED_BY_SCHEDULER.name(), c.tags().get(Names.Tag.STATUS));
        assertEquals(10.0, last);
      }
    }
    assertTrue(ended >= 3, ended + " trials reached the last rung (9 / 3 at least)");
  }

  @Test
  void ashaWithTrackingNoneIsRefusedBeforeAnythingRuns() {
    SweepSpec spec = spec("x", "", "search: {scheduler: {asha: {min_steps: 10}}}");
    try (NoneTrackingSink sink = new NoneTrackingSink()) {
      SweepDriver driver = new SweepDriver(sink, TrackingTarget.none(), out, err);
      SweepFailure f = assertThrows(SweepFailure.class, () -> driver.prepare(spec, false));
      assertEquals(ExitStatus.USAGE_ERROR, f.status());
      assertTrue(f.getMessage().contains("tracking backend 'none' keeps none"), f.getMessage());
    }
  }

  /** Stands in for a task cut off at step 25: the trial's run is left with its checkpoint at step 20. */
  private static final class CutOff implements TrialAttempt.Trainer {
    @Override
    public TrialResult train(TrialSpec trial, TrialRun run) {
      throw new UnsupportedOperationException();
    }

    @Override
    public TrialResult train(TrialSpec trial, TrialRun run, Segment segment) {
      TrialRun dying = new TrialRun() {
        @Override
        public String runId() {
          return run.runId();
        }

        @Override
        public void logMetric(String key, double value, long step) {
          if (step > 25) {
            throw new IllegalStateException("executor lost");
          }
          run.logMetric(key, value, step);
        }

        @Override
        public void setTag(String key, String value) {
          run.setTag(key, value);
        }

        @Override
        public void logArtifact(String path, byte[] content) {
          run.logArtifact(path, content);
        }

        @Override
        public void finish(boolean success) {
          // the task died: nothing ends the run
        }
      };
      return new TrialRunner(DataType.FLOAT).run(trial, dying, segment);
    }
  }

  @Test
  void resumeContinuesACutOffTrialFromItsCheckpointInItsRunAndEndsAsAnUncutTrial() throws Exception {
    String experiment = "ckpt-" + System.nanoTime();
    SweepSpec spec = spec(experiment, ", checkpoint_every: 20", "");
    assertEquals(20, spec.scheduling().checkpointEvery());
    run(spec, false, new InProcessTrialExecutor(2, new CutOff()));
    MemoryRun parent = MemoryTrackingSink.runsOfExperiment(experiment).stream()
        .filter(r -> r.parentRunId().isEmpty()).findFirst().orElseThrow();
    Map<String, String> firstRuns = MemoryTrackingSink.childrenOf(parent.runId()).stream()
        .collect(Collectors.toMap(r -> r.tags().get(Names.Tag.TRIAL_ID), MemoryRun::runId));
    MemoryTrackingSink.childrenOf(parent.runId())
        .forEach(r -> assertEquals("20", r.tags().get(Names.Tag.CHECKPOINT_STEP), r.toString()));

    assertEquals(0, run(spec, true, new InProcessTrialExecutor(2)), errBuf.toString());
    assertTrue(errBuf.toString().contains("9 of 9 trials continue from their last checkpoint"), errBuf.toString());
    List<MemoryRun> children = MemoryTrackingSink.childrenOf(parent.runId());
    assertEquals(9, children.size(), "no new run: each trial continued in its own");

    // the same sweep uncut, in another experiment: the same final eval loss, bit for bit
    String plain = "plain-" + System.nanoTime();
    assertEquals(0, run(spec(plain, ", checkpoint_every: 20", ""), false, new InProcessTrialExecutor(2)));
    MemoryRun plainParent = MemoryTrackingSink.runsOfExperiment(plain).stream()
        .filter(r -> r.parentRunId().isEmpty()).findFirst().orElseThrow();
    Map<String, Double> expected = MemoryTrackingSink.childrenOf(plainParent.runId()).stream().collect(
        Collectors.toMap(r -> r.tags().get(Names.Tag.TRIAL_ID),
            r -> r.metricHistory(Names.Metric.FINAL_EVAL_LOSS).get(0).value()));
    for (MemoryRun c : children) {
      String id = c.tags().get(Names.Tag.TRIAL_ID);
      assertEquals(firstRuns.get(id), c.runId());
      assertEquals(MemoryRun.FINISHED, c.status());
      assertEquals("false", c.tags().get(Names.Tag.SUPERSEDED));
      assertEquals(expected.get(id), c.metricHistory(Names.Metric.FINAL_EVAL_LOSS).get(0).value(), id);
      List<Long> steps = c.metricHistory(Names.Metric.TRAIN_LOSS).stream().map(MetricPoint::step).toList();
      // steps 1..25 from the cut-off attempt, 21..90 again from the checkpoint at 20
      assertEquals(LongStream.concat(LongStream.rangeClosed(1, 25), LongStream.rangeClosed(21, 90)).boxed().toList(),
          steps);
      assertFalse(c.metricHistory(Names.Metric.FINAL_STEPS).isEmpty());
    }
  }
}
