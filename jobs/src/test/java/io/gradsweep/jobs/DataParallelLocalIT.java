package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.Names;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A spec with training.data_parallel end to end on local[2] (in this JVM) against a real MLflow server: the parent
 * run and the child run are logged as for any sweep (SweepReadback's checks: params, every step metric at every
 * logging window, eval steps, final metrics), plus the data-parallel tags and metrics. Spark 3.5 build only.
 */
class DataParallelLocalIT {
  static final Path SPEC = Path.of("src/test/resources/dp-sweep.yaml");
  static final Path MIXED = Path.of("src/test/resources/dp-mixed-sweep.yaml");

  @Test
  void dataParallelSpecLogsLikeAnyTrial() throws Exception {
    try (MlflowTestServer server = MlflowTestServer.start()) {
      String stdout = runOnLocal2(SPEC, server);
      String parentId = SweepReadback.parentRunId(stdout);
      List<RunRecord> children = SweepReadback.assertSweepLogged(server.uri(), SPEC, parentId);
      assertEquals(1, children.size());
      RunRecord child = children.get(0);
      assertEquals("dl4j-spark-parameter-averaging", child.tags().get(Names.Tag.TRAINER));
      assertEquals("workers=2,averaging_frequency=2,batch_per_worker=8", child.params().get("data_parallel"));
      assertEquals("16", child.params().get("batch_size"));
      MlflowRestReader mlflow = new MlflowRestReader(server.uri());
      assertEquals(List.of(2L, 4L, 6L, 8L, 10L, 12L), mlflow.metricHistory(child.runId(), Names.Metric.TRAIN_LOSS)
          .stream().map(MetricPoint::step).sorted().toList(), "one point per averaging round, at its last step");
      assertEquals(List.of(1L, 4L, 8L, 12L), mlflow.metricHistory(child.runId(), "profile/layer0/dh_b00").stream()
          .map(MetricPoint::step).sorted().toList(), "profile steps 1 and every 4, on the driver's copy");
      assertEquals(6.0, mlflow.metricHistory(child.runId(), Names.Metric.FINAL_DP_ROUNDS).get(0).value());
      assertTrue(mlflow.metricHistory(child.runId(), Names.Metric.DP_AVERAGING_SECONDS).size() == 6);
      assertTrue(mlflow.metricKeys(child.runId()).contains("grad/layer0/R_norm"));
    }
  }

  @Test
  void oneSweepMixesAOneTaskTrialAndADataParallelTrial() throws Exception {
    try (MlflowTestServer server = MlflowTestServer.start()) {
      String stdout = runOnLocal2(MIXED, server);
      List<RunRecord> children = SweepReadback.assertSweepLogged(server.uri(), MIXED,
          SweepReadback.parentRunId(stdout));
      assertEquals(2, children.size());
      List<RunRecord> dp = children.stream().filter(c -> c.params().containsKey("data_parallel")).toList();
      assertEquals(1, dp.size(), "one data-parallel trial");
      assertEquals("dl4j-spark-parameter-averaging", dp.get(0).tags().get(Names.Tag.TRAINER));
      RunRecord one = children.stream().filter(c -> !c.params().containsKey("data_parallel")).findFirst()
          .orElseThrow();
      assertTrue(!"dl4j-spark-parameter-averaging".equals(one.tags().get(Names.Tag.TRAINER)),
          "the other trial trained as one task: " + one.tags());
      assertEquals("16", one.params().get("batch_size"));
      MlflowRestReader mlflow = new MlflowRestReader(server.uri());
      assertEquals(12, mlflow.metricHistory(one.runId(), Names.Metric.TRAIN_LOSS).stream()
          .mapToLong(MetricPoint::step).max().orElse(-1), "the one-task trial trained its 12 steps");
      assertEquals(6.0, mlflow.metricHistory(dp.get(0).runId(), Names.Metric.FINAL_DP_ROUNDS).get(0).value());
    }
  }

  /** Runs the spec on local[2] against the server; asserts exit 0 and returns what the job printed on stdout. */
  private static String runOnLocal2(Path spec, MlflowTestServer server) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    System.setProperty("spark.master", "local[2]");
    try {
      status = SweepJob.run(new String[] {"run", spec.toString(), "--tracking-uri", server.uri()},
          Map.of("OMP_NUM_THREADS", "1"), new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
    } finally {
      System.clearProperty("spark.master");
    }
    String stdout = out.toString(StandardCharsets.UTF_8);
    String stderr = err.toString(StandardCharsets.UTF_8);
    System.out.println(stdout + stderr);
    assertEquals(0, status, stderr);
    return stdout;
  }
}
