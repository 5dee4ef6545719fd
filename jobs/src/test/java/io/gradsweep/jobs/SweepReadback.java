package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.tracking.MetricPoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads a finished sweep back from a real MLflow server and checks that everything planned is there. */
final class SweepReadback {
  /**
   * Step metrics: logged once per logging window of ceil(max_steps / log_points) steps, at its last step, and at
   * the last step before the trial stopped (see {@link #windowSteps}).
   */
  static final List<String> EVERY_STEP_METRICS =
      List.of("train/loss", "grad/global_norm", "grad/global_norm_clipped", "grad/clipped");
  /** Metric the trial runner logs at every eval_every-th step and at the last step. */
  static final String EVAL_METRIC = "eval/loss";
  /** Metrics the trial runner logs once, at the end. */
  static final List<String> FINAL_METRICS = List.of("final/eval_loss", "final/max_grad_norm", "final/clip_rate");

  private SweepReadback() {}

  /**
   * The steps at which a trial that trained {@code lastStep} finite steps logs its step metrics: every multiple of
   * its window ({@code ceil(max_steps / log_points)}) up to {@code lastStep}, and {@code lastStep} itself.
   */
  static List<Long> windowSteps(TrialSpec t, long lastStep) {
    long window = Math.max(1, (t.maxSteps() + t.logPoints() - 1) / t.logPoints());
    List<Long> out = new ArrayList<>();
    if (t.dataParallel() != null) {
      // a data-parallel trial logs per averaging round of k steps, windows of max(1, window / k) rounds
      long k = t.dataParallel().averagingFrequency();
      long rounds = Math.max(1, window / k);
      for (long s = rounds * k; s <= lastStep; s += rounds * k) {
        out.add(s);
      }
      window = rounds * k;
    } else {
      for (long s = window; s <= lastStep; s += window) {
        out.add(s);
      }
    }
    if (lastStep > 0 && (out.isEmpty() || out.get(out.size() - 1) != lastStep)) {
      out.add(lastStep);
    }
    return out;
  }

  /** The parent run id from SweepJob's line {@code parent run: http://.../runs/<id>?workflowType=...}. */
  static String parentRunId(String stdout) {
    String line = stdout.lines().filter(l -> l.startsWith("parent run: ")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no 'parent run:' line in:\n" + stdout));
    String url = line.substring("parent run: ".length()).strip();
    int query = url.indexOf('?');
    String path = query >= 0 ? url.substring(0, query) : url;
    return path.substring(path.lastIndexOf('/') + 1);
  }

  private static List<Long> steps(MlflowRestReader mlflow, String runId, String key) {
    return mlflow.metricHistory(runId, key).stream().map(MetricPoint::step).sorted().toList();
  }

  /**
   * Asserts the sweep of {@code specFile} is fully logged under {@code parentRunId}: the parent FINISHED with the
   * sweep params and a byte-identical sweep.yaml; exactly one FINISHED child per planned trial, each with the
   * trial's params and every step metric. Returns the children.
   */
  static List<RunRecord> assertSweepLogged(String mlflowUri, Path specFile, String parentRunId) throws Exception {
    return assertSweepLogged(new MlflowRestReader(mlflowUri), specFile, parentRunId);
  }

  /** The same, reading through {@code mlflow} (e.g. a reader with credentials). */
  static List<RunRecord> assertSweepLogged(MlflowRestReader mlflow, Path specFile, String parentRunId)
      throws Exception {
    SweepSpec spec = Sweeps.parseFile(specFile);

    RunRecord parent = mlflow.run(parentRunId);
    assertEquals("FINISHED", parent.status(), "parent run status");
    assertEquals(mlflow.experimentId(spec.experiment()).orElseThrow(), parent.experimentId(),
        "the parent run is in the spec's experiment");
    assertTrue(parent.params().entrySet().containsAll(spec.sweepParams().entrySet()),
        "parent params " + parent.params() + " include the sweep params " + spec.sweepParams());
    assertArrayEquals(Files.readAllBytes(specFile), mlflow.downloadArtifact(parentRunId, "sweep.yaml"),
        "sweep.yaml artifact of the parent run");

    List<RunRecord> children = mlflow.children(parentRunId);
    assertEquals(spec.trials().size(), children.size(), "one child run per planned trial");
    Set<Map<String, String>> planned = new HashSet<>();
    spec.trials().forEach(t -> planned.add(t.params()));
    Set<Map<String, String>> logged = new HashSet<>();
    children.forEach(c -> logged.add(c.params()));
    assertEquals(planned, logged, "the children's params are the planned trials' params");

    for (RunRecord child : children) {
      TrialSpec trial = spec.trials().stream().filter(t -> t.params().equals(child.params())).findFirst()
          .orElseThrow();
      String name = trial.displayName();
      assertEquals("FINISHED", child.status(), "status of " + name);
      String status = child.tags().get("gradsweep.status");
      // the spec's exploding trial (plain SGD, learning rate >= 10) is a result, not a crash
      boolean explodes = trial.optimizer().equals("sgd") && trial.lr() >= 10;
      // with early-stopping rules (training.stop) a trial that does not diverge may also stop as VANISHED or PLATEAU
      List<String> outcomes = trial.stop().enabled() ? List.of("NOT_SOLVED", "SOLVED", "VANISHED", "PLATEAU")
          : List.of("NOT_SOLVED", "SOLVED");
      assertEquals(explodes ? "DIVERGED" : "NOT_SOLVED/SOLVED",
          status.equals("DIVERGED") ? "DIVERGED" : outcomes.contains(status)
              ? "NOT_SOLVED/SOLVED" : status, "gradsweep.status of " + name);
      long steps = Math.round(mlflow.metricHistory(child.runId(), "final/steps").get(0).value());
      // a diverged trial logs step metrics up to the step before the one that produced NaN/Inf
      long lastFull = status.equals("DIVERGED") ? steps - 1 : steps;
      if (status.equals("DIVERGED")) {
        assertEquals(steps, Math.round(mlflow.metricHistory(child.runId(), "final/diverged_at_step").get(0).value()));
      } else if (status.equals("NOT_SOLVED")) {
        assertEquals(trial.maxSteps(), steps, "steps of " + name);
      } else if (List.of("VANISHED", "PLATEAU").contains(status)) {
        assertEquals(steps, Math.round(mlflow.metricHistory(child.runId(), "final/stopped_at_step").get(0).value()));
        assertTrue(steps < trial.maxSteps(), "a stopped trial stops before max_steps: " + name);
      }
      List<Long> everyWindow = windowSteps(trial, lastFull);
      for (String metric : EVERY_STEP_METRICS) {
        assertEquals(everyWindow, steps(mlflow, child.runId(), metric), metric + " of " + name);
      }
      List<Long> evalSteps = new ArrayList<>();
      for (long s = trial.evalEvery(); s <= lastFull; s += trial.evalEvery()) {
        evalSteps.add(s);
      }
      List<Long> evalLogged = steps(mlflow, child.runId(), EVAL_METRIC);
      assertTrue(evalLogged.containsAll(evalSteps), EVAL_METRIC + " of " + name + " at " + evalLogged);
      for (String metric : FINAL_METRICS) {
        // a diverged trial has no final eval loss: NaN is not sent to MLflow but counted in a tag
        boolean absent = status.equals("DIVERGED") && metric.equals("final/eval_loss");
        assertEquals(absent ? 0 : 1, mlflow.metricHistory(child.runId(), metric).size(), metric + " of " + name);
      }
      if (status.equals("DIVERGED")) {
        assertTrue(Integer.parseInt(child.tags().get("gradsweep.nonfinite_metrics")) >= 1,
            "non-finite values of " + name + " are counted, not sent");
      }
    }
    return children;
  }
}
