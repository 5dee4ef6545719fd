package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.SweepSpecParser;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowRestReader.RunInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.LongStream;

/** Reads a finished sweep back from a real MLflow server and checks that everything planned is there. */
final class SweepReadback {
  /** Metrics the trial runner logs at every training step. */
  static final List<String> EVERY_STEP_METRICS = List.of("train_loss", "grad_norm");
  /** Metric the trial runner logs at every eval_every-th step. */
  static final String EVAL_METRIC = "eval_loss";

  private SweepReadback() {}

  /** The parent run id from SweepJob's last stdout line, {@code parent run: http://.../runs/<id>}. */
  static String parentRunId(String stdout) {
    String line = stdout.lines().filter(l -> l.startsWith("parent run: ")).reduce((a, b) -> b)
        .orElseThrow(() -> new AssertionError("no 'parent run:' line in:\n" + stdout));
    return line.substring(line.lastIndexOf('/') + 1).strip();
  }

  /**
   * Asserts the sweep of {@code specFile} is fully logged under {@code parentRunId}: the parent FINISHED with the
   * sweep params and a byte-identical sweep.yaml; exactly one FINISHED child per planned trial, each with the
   * trial's params and every step metric. Returns the children.
   */
  static List<RunInfo> assertSweepLogged(String mlflowUri, Path specFile, String parentRunId) throws Exception {
    SweepSpec spec = SweepSpecParser.parseFile(specFile);
    MlflowRestReader mlflow = new MlflowRestReader(mlflowUri);

    RunInfo parent = mlflow.run(parentRunId);
    assertEquals("FINISHED", parent.status(), "parent run status");
    assertEquals(spec.sweepParams(), parent.params(), "parent run params");
    assertArrayEquals(Files.readAllBytes(specFile), mlflow.artifact(parentRunId, "sweep.yaml"),
        "sweep.yaml artifact of the parent run");

    List<RunInfo> children = mlflow.children(mlflow.experimentId(spec.experiment()), parentRunId);
    assertEquals(spec.trials().size(), children.size(), "one child run per planned trial");
    Set<Map<String, String>> planned = new HashSet<>();
    spec.trials().forEach(t -> planned.add(t.params()));
    Set<Map<String, String>> logged = new HashSet<>();
    children.forEach(c -> logged.add(c.params()));
    assertEquals(planned, logged, "the children's params are the planned trials' params");

    for (RunInfo child : children) {
      TrialSpec trial = spec.trials().stream().filter(t -> t.params().equals(child.params())).findFirst()
          .orElseThrow();
      assertEquals("FINISHED", child.status(), "status of " + trial.displayName());
      List<Long> everyStep = LongStream.rangeClosed(1, trial.maxSteps()).boxed().toList();
      for (String metric : EVERY_STEP_METRICS) {
        assertEquals(everyStep, mlflow.metricSteps(child.runId(), metric), metric + " of " + trial.displayName());
      }
      List<Long> evalSteps = new ArrayList<>();
      for (long s = trial.evalEvery(); s <= trial.maxSteps(); s += trial.evalEvery()) {
        evalSteps.add(s);
      }
      List<Long> logSteps = mlflow.metricSteps(child.runId(), EVAL_METRIC);
      assertTrue(logSteps.containsAll(evalSteps), EVAL_METRIC + " of " + trial.displayName() + ": " + logSteps);
    }
    return children;
  }
}
