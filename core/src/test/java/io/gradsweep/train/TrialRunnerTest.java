package io.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.ClipMode;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrialRunnerTest {

  @Test
  void explodingTrialEndsDivergedWithItsStepAndTheRunFinishes() {
    // ReLU RNN, plain SGD with a huge learning rate: the weights blow up to Inf/NaN within a few steps
    TrialSpec spec = TrialSpecs.of("rnn", "relu", 30, ClipSpec.NONE, 0, "sgd", 10.0, 16, 1, 200);
    RecordingTrialRun run = new RecordingTrialRun();
    TrialResult r = new TrialRunner().run(spec, run);
    assertEquals(TrialStatus.DIVERGED, r.status(), r.toString());
    assertTrue(r.divergedAtStep() > 0 && r.divergedAtStep() < 200, r.toString());
    assertEquals("DIVERGED", run.tags.get("gradsweep.status"));
    assertEquals(Boolean.TRUE, run.finished, "a diverged trial is a result: its run ends FINISHED");
    assertEquals(List.of((double) r.divergedAtStep()), run.values("final/diverged_at_step"));
  }

  @Test
  void eachStepRecordsLossAndGradientNormsBeforeAndAfterClipping() {
    TrialSpec spec = TrialSpecs.of("lstm", null, 10, new ClipSpec(ClipMode.GLOBAL_NORM, 0.05), 0, "adam", 0.01, 8,
        3, 20);
    RecordingTrialRun run = new RecordingTrialRun();
    TrialResult r = new TrialRunner().run(spec, run);
    assertEquals(TrialStatus.NOT_SOLVED, r.status(), r.toString());
    assertEquals(20, run.values("train/loss").size());
    List<Double> pre = run.values("grad/global_norm");
    List<Double> post = run.values("grad/global_norm_clipped");
    List<Double> acted = run.values("grad/clipped");
    assertEquals(20, pre.size());
    for (int i = 0; i < pre.size(); i++) {
      assertTrue(post.get(i) <= Math.min(pre.get(i), 0.05) + 1e-6, "step " + (i + 1));
      assertEquals(pre.get(i) > 0.05 ? 1.0 : 0.0, acted.get(i));
    }
    for (String k : List.of("grad/layer0_norm", "grad/head_norm", "grad/layer0/W_norm", "grad/layer0/R_norm",
        "grad/layer0/b_norm", "grad/layer0_norm_clipped")) {
      assertEquals(20, run.values(k).size(), k);
    }
    assertEquals(2, run.values("eval/loss").size());
    double rate = acted.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    assertEquals(rate, r.clipRate(), 1e-12);
    assertNotNull(r.runId());
  }

  @Test
  void gradientProfileIsRecordedAtInitialisationAndAtTheSpecsCadence() {
    TrialSpec spec = new TrialSpec("test", "unit", "adding", 32, 99, 12, "gru", null, ClipSpec.NONE, 0, "adam", 0.003,
        8, 1, "default", 2, 8, 20, 10, 0.001, 6);
    RecordingTrialRun run = new RecordingTrialRun();
    new TrialRunner().run(spec, run);
    List<Long> steps = run.metrics.get("profile/layer0/dh_decay_rate").stream().map(RecordingTrialRun.Point::step)
        .toList();
    assertEquals(List.of(1L, 6L, 12L, 18L), steps);
    assertEquals(12, run.metrics.keySet().stream().filter(k -> k.matches("profile/layer0/dh_b\\d\\d")).count(),
        "one bucket metric per time step when T < 16");
  }

  @Test
  void sameTrialTwiceGivesTheSameLossCurve() {
    TrialSpec spec = TrialSpecs.of("rnn", "tanh", 10, ClipSpec.NONE, 0, "rmsprop", 0.01, 8, 7, 15);
    RecordingTrialRun a = new RecordingTrialRun();
    RecordingTrialRun b = new RecordingTrialRun();
    new TrialRunner().run(spec, a);
    new TrialRunner().run(spec, b);
    assertEquals(a.values("train/loss"), b.values("train/loss"));
  }

  @Test
  void shortAddingProblemIsSolvedByAnLstm() {
    TrialSpec spec = new TrialSpec("test", "unit", "adding", 256, 99, 6, "lstm", null, ClipSpec.NONE, 0, "adam",
        0.01, 16, 1, "default", 1, 32, 1500, 50, 0.01);
    RecordingTrialRun run = new RecordingTrialRun();
    TrialResult r = new TrialRunner().run(spec, run);
    assertEquals(TrialStatus.SOLVED, r.status(), r.toString());
    assertTrue(r.finalEvalLoss() < 0.01 && r.finalEvalLoss() < r.baselineLoss() / 10, r.toString());
    assertEquals(r.stepsToSolve(), r.steps());
  }
}
