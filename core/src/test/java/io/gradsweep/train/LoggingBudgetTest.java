package io.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.ClipMode;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** training.log_points: step series aggregated over windows, nothing important lost. */
class LoggingBudgetTest {

  /** A ReLU RNN on long sequences without clipping: its gradient norm spikes at a few steps. */
  private static final TrialSpec SPIKY = TrialSpecs.of("rnn", "relu", 40, new ClipSpec(ClipMode.GLOBAL_NORM, 1.0), 0,
      "adam", 0.003, 16, 3, 120);

  @Test
  void windowedSeriesAreExactAggregatesOfTheStepSeriesAndKeepTheLargestSpike() {
    RecordingTrialRun everyStep = new RecordingTrialRun();
    TrialResult full = new TrialRunner().run(TrialSpecs.withLogPoints(SPIKY, 120), everyStep);
    RecordingTrialRun windowed = new RecordingTrialRun();
    TrialResult budget = new TrialRunner().run(TrialSpecs.withLogPoints(SPIKY, 12), windowed);
    assertEquals(full.steps(), budget.steps(), "the budget changes what is logged, not what is trained");
    assertEquals(full.maxGradNorm(), budget.maxGradNorm());

    List<Double> norms = everyStep.values("grad/global_norm");
    List<Double> clipped = everyStep.values("grad/clipped");
    List<Double> loss = everyStep.values("train/loss");
    assertEquals(120, norms.size());
    assertEquals(12, windowed.values("grad/global_norm").size(), "120 steps / 12 points = windows of 10 steps");
    assertEquals(List.of(10L, 20L, 30L, 40L, 50L, 60L, 70L, 80L, 90L, 100L, 110L, 120L),
        windowed.metrics.get("grad/global_norm").stream().map(RecordingTrialRun.Point::step).toList(),
        "each window is logged at its last step");
    for (int w = 0; w < 12; w++) {
      List<Double> n = norms.subList(10 * w, 10 * w + 10);
      assertEquals(n.stream().mapToDouble(d -> d).max().orElseThrow(),
          windowed.values("grad/global_norm_max").get(w), "window " + w + " max");
      assertEquals(n.stream().mapToDouble(d -> d).average().orElseThrow(),
          windowed.values("grad/global_norm").get(w), 1e-9, "window " + w + " mean");
      assertEquals(clipped.subList(10 * w, 10 * w + 10).stream().mapToDouble(d -> d).average().orElseThrow(),
          windowed.values("grad/clipped").get(w), 1e-12, "window " + w + " clip share");
      assertEquals(loss.subList(10 * w, 10 * w + 10).stream().mapToDouble(d -> d).average().orElseThrow(),
          windowed.values("train/loss").get(w), 1e-9, "window " + w + " loss");
    }
    // the single largest step survives: its value is in the windowed maxima, although 9 of 10 points are gone
    int spike = IntStream.range(0, norms.size()).boxed().max((a, b) -> Double.compare(norms.get(a), norms.get(b)))
        .orElseThrow();
    double median = norms.stream().sorted().toList().get(norms.size() / 2);
    assertTrue(norms.get(spike) > 2 * median, "the ReLU trial has a spike: max " + norms.get(spike) + ", median "
        + median);
    assertEquals(norms.get(spike), windowed.values("grad/global_norm_max").get(spike / 10));
    assertEquals(full.maxGradNorm(), windowed.values("grad/global_norm_max").stream().mapToDouble(d -> d).max()
        .orElseThrow());
    for (String k : List.of("grad/layer0_norm_max", "grad/layer0_norm_clipped_max", "grad/layer0/R_norm_max",
        "grad/global_norm_clipped_max")) {
      assertEquals(12, windowed.values(k).size(), k);
    }
  }

  @Test
  void divergenceStepStaysExactAndThePartialWindowIsLogged() {
    TrialSpec exploding = TrialSpecs.withLogPoints(
        TrialSpecs.of("rnn", "relu", 30, ClipSpec.NONE, 0, "sgd", 10.0, 16, 1, 1000), 10);
    RecordingTrialRun run = new RecordingTrialRun();
    TrialResult r = new TrialRunner().run(exploding, run);
    assertEquals(TrialStatus.DIVERGED, r.status(), r.toString());
    assertEquals(List.of((double) r.divergedAtStep()), run.values("final/diverged_at_step"));
    assertEquals(List.of(new RecordingTrialRun.Point(0.0, r.divergedAtStep())), run.metrics.get("train/loss_finite"),
        "the first non-finite step is logged at that step");
    if (r.divergedAtStep() > 1) {
      List<RecordingTrialRun.Point> last = run.metrics.get("grad/global_norm_max");
      assertEquals(r.divergedAtStep() - 1, last.get(last.size() - 1).step(),
          "the finite steps before divergence are logged, at the last of them");
    }
  }

  @Test
  void aLongBudgetLogsAtMostLogPointsPerSeries() {
    TrialSpec spec = TrialSpecs.withLogPoints(TrialSpecs.of("gru", null, 8, ClipSpec.NONE, 0, "adam", 0.001, 8, 1,
        1001), 100);
    assertEquals(11, spec.logWindow(), "ceil(1001 / 100)");
    RecordingTrialRun run = new RecordingTrialRun();
    TrialResult r = new TrialRunner().run(spec, run);
    int windows = (r.steps() + 10) / 11;
    assertTrue(windows <= 100, "at most log_points windows");
    for (String k : List.of("train/loss", "grad/global_norm", "grad/global_norm_max", "grad/clipped")) {
      assertEquals(windows, run.values(k).size(), k);
    }
  }
}
