package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's spark-submit line, as a user types it: the line under the marker {@value #MARKER} in README.md is
 * taken verbatim, {@code spark://HOST:PORT} and {@code URI} are replaced by the master of a standalone cluster that
 * jobs/bin/spark-cluster starts with the Spark distribution's own sbin/spark-daemon.sh and by the URL of an MLflow
 * server that jobs/bin/mlflow-local starts, and bash runs it in the repository with {@code SPARK_HOME} set to the
 * distribution (jobs/bin/spark-dist home). The sweep must land in MLflow with one FINISHED child per trial.
 */
class SparkSubmitReadmeIT {
  static final Path REPO = LocalCluster.REPO;
  static final String MARKER = "<!-- readme-spark-submit -->";

  /** The command line under the marker in README.md (the first non-blank line that is not a code fence). */
  static String readmeLine() throws Exception {
    List<String> lines = Files.readAllLines(REPO.resolve("README.md"), StandardCharsets.UTF_8);
    int at = lines.indexOf(MARKER);
    assertTrue(at >= 0, "README.md has the marker " + MARKER);
    for (String line : lines.subList(at + 1, lines.size())) {
      if (!line.isBlank() && !line.startsWith("```")) {
        return line.strip();
      }
    }
    throw new AssertionError("no line after " + MARKER + " in README.md");
  }

  @Test
  void readmeLineIsTheOneUberJarOnStockSparkSubmit() throws Exception {
    String line = readmeLine();
    assertEquals("$SPARK_HOME/bin/spark-submit --master spark://HOST:PORT jobs/target/gradsweep-spark3.jar run "
        + "conf/quickstart.yaml --tracking-uri URI", line);
    assertTrue(Files.isRegularFile(REPO.resolve("jobs/target/gradsweep-spark3.jar")), "the jar the line names");
    try (var jars = Files.list(REPO.resolve("jobs/target"))) {
      assertEquals(List.of("gradsweep-spark3.jar"), jars.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("gradsweep-spark") && n.endsWith(".jar")).toList(), "one uber jar name");
    }
  }

  @Test
  void readmeSparkSubmitLineRunsTheQuickstartOnAStandaloneCluster() throws Exception {
    String line = readmeLine();
    assertTrue(line.contains("spark://HOST:PORT") && line.contains(" URI"), line);
    LocalCluster.Result home = LocalCluster.sh(Map.of(), 900, "jobs/bin/spark-dist", "home");
    assertEquals(0, home.status(), home.err());
    String sparkHome = home.out().strip();
    assertTrue(Files.isExecutable(Path.of(sparkHome, "bin/spark-submit")), sparkHome);

    LocalCluster cluster = LocalCluster.start(2, 1, "1536m");
    Map<String, String> mlflowEnv = Map.of("GRADSWEEP_MLFLOW_STATE_DIR", cluster.dir.resolve("mlflow").toString());
    try {
      LocalCluster.Result mlflow = LocalCluster.sh(mlflowEnv, 600, "jobs/bin/mlflow-local", "start");
      assertEquals(0, mlflow.status(), mlflow.err());
      String uri = mlflow.out().strip();
      assertTrue(uri.matches("http://127\\.0\\.0\\.1:\\d+"), uri);

      String command = line.replace("spark://HOST:PORT", cluster.master).replace(" URI", " " + uri);
      System.out.println("running the README's line: " + command);
      Map<String, String> env = new HashMap<>();
      env.put("SPARK_HOME", sparkHome);
      long t0 = System.nanoTime();
      LocalCluster.Result submit = LocalCluster.sh(env, 900, "bash", "-c", command);
      System.out.printf("README spark-submit line: exit %d in %.1f s%n%s", submit.status(),
          (System.nanoTime() - t0) / 1e9, submit.out());
      assertEquals(0, submit.status(), submit.err());
      Path spec = REPO.resolve("conf/quickstart.yaml");
      int planned = Sweeps.parseFile(spec).trials().size();
      assertTrue(submit.err().contains(planned + " trials to run on " + cluster.master), submit.err());
      List<RunRecord> children =
          SweepReadback.assertSweepLogged(uri, spec, SweepReadback.parentRunId(submit.out()));
      assertEquals(planned, children.stream().filter(c -> c.status().equals("FINISHED")).count(),
          "one FINISHED child per trial");
      for (RunRecord c : children) {
        assertTrue(!StandaloneClusterIT.executorId(c).equals("driver"), "trained on a cluster executor");
      }
    } finally {
      LocalCluster.Result stop = LocalCluster.sh(mlflowEnv, 120, "jobs/bin/mlflow-local", "stop");
      System.out.print(stop.err());
      cluster.close();
    }
  }
}
