package io.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.StopRules;
import io.gradsweep.spec.TrialSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Early stopping in real (small) training runs. */
class EarlyStopRunnerTest {
  /**
   * A tanh RNN on the adding problem at T = 500 with a tiny learning rate: its gradient reaches a few steps back
   * from the loss, and it does not learn.
   */
  static TrialSpec vanishing(int maxSteps) {
    return TrialSpecs.of("rnn", "tanh", 500, ClipSpec.NONE, 0, "sgd", 1e-5, 8, 1, maxSteps);
  }

  @Test
  void aVanishingTanhRnnStopsAsVanishedWithItsMetricsKept() {
    // default rule: horizon < 0.1 * 500 at 5 profiles in a row (steps 1, 10, 20, 30, 40), loss at the baseline
    TrialSpec spec = TrialSpecs.withStop(vanishing(80), new StopRules(StopRules.Vanished.DEFAULTS, null));
    RecordingTrialRun run = new RecordingTrialRun();
    TrialResult r = new TrialRunner().run(spec, run);
    assertEquals(TrialStatus.VANISHED, r.status(), r + " horizons " + run.values("profile/layer0/dh_horizon"));
    assertEquals(40, r.steps());
    assertEquals(Boolean.TRUE, run.finished, "a stopped trial is a result: its run ends FINISHED");
    assertEquals("VANISHED", run.tags.get("gradsweep.status"));
    assertTrue(run.tags.get("gradsweep.stop_reason").contains("5 profiles in a row"), run.tags.toString());
    for (double h : run.values("profile/layer0/dh_horizon")) {
      assertTrue(h < 50, "horizon " + h);
    }
    // what was logged before the stop is kept, and the final metrics are those of step 40
    assertEquals(40, run.values("train/loss").size());
    assertEquals(List.of(10L, 20L, 30L, 40L), run.metrics.get("eval/loss").stream()
        .map(RecordingTrialRun.Point::step).toList());
    assertEquals(List.of(40.0), run.values("final/steps"));
    assertEquals(List.of(40.0), run.values("final/stopped_at_step"));
    assertEquals(List.of(-1.0), run.values("final/diverged_at_step"));
    double lastEval = run.values("eval/loss").get(3);
    assertEquals(lastEval, r.finalEvalLoss(), 1e-6);
    assertEquals(List.of(r.finalEvalLoss()), run.values("final/eval_loss"));
    assertTrue(r.finalEvalLoss() >= 0.95 * r.baselineLoss(), r.toString());
  }

  @Test
  void withoutARuleTheSameTrialRunsToItsBudget() {
    RecordingTrialRun run = new RecordingTrialRun();
    TrialResult r = new TrialRunner().run(vanishing(80), run);
    assertEquals(TrialStatus.NOT_SOLVED, r.status(), r.toString());
    assertEquals(80, r.steps());
    assertEquals(80, run.values("train/loss").size());
    assertNull(run.tags.get("gradsweep.stop_reason"));
    assertFalse(run.metrics.containsKey("final/stopped_at_step"), "logged only by trials with a rule");
  }

  @Test
  void aRuleThatDoesNotFireChangesNothingButTheParam() {
    // the horizon is ~40 steps: never below 0.05 * 500 = 25
    TrialSpec spec = TrialSpecs.withStop(vanishing(30), new StopRules(new StopRules.Vanished(0.05, 2, 0.05), null));
    RecordingTrialRun with = new RecordingTrialRun();
    TrialResult r = new TrialRunner().run(spec, with);
    RecordingTrialRun without = new RecordingTrialRun();
    TrialResult plain = new TrialRunner().run(vanishing(30), without);
    assertEquals(TrialStatus.NOT_SOLVED, r.status());
    assertEquals(plain.finalEvalLoss(), r.finalEvalLoss());
    assertEquals(without.values("train/loss"), with.values("train/loss"));
    assertEquals(List.of(-1.0), with.values("final/stopped_at_step"));
  }

  @Test
  void aLossStuckAboveTheBaselineStopsAsPlateau() {
    // the loss (20x the baseline) falls by ~0.4% per evaluation: no improvement over min_delta 2% at the
    // evaluations of steps 20, 30, 40 on the reference, step 10's
    TrialSpec spec = TrialSpecs.withStop(vanishing(80), new StopRules(null, new StopRules.Plateau(3, 0.05, 0.02)));
    RecordingTrialRun run = new RecordingTrialRun();
    TrialResult r = new TrialRunner().run(spec, run);
    assertEquals(TrialStatus.PLATEAU, r.status(), r + " eval " + run.values("eval/loss"));
    assertEquals(40, r.steps());
    assertEquals("PLATEAU", run.tags.get("gradsweep.status"));
    assertNotNull(run.tags.get("gradsweep.stop_reason"));
    assertEquals(List.of(40.0), run.values("final/stopped_at_step"));
    assertEquals(4, run.values("eval/loss").size());
  }
}
