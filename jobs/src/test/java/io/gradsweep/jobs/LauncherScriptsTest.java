package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The bash launchers' help and argument checks (nothing here builds, starts Java, MLflow or Spark). */
class LauncherScriptsTest {
  record Result(int status, String out, String err) {}

  static Result sh(String... command) throws Exception {
    File out = File.createTempFile("out", ".txt");
    File err = File.createTempFile("err", ".txt");
    try {
      Process p = new ProcessBuilder(command).redirectOutput(out).redirectError(err).start();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
      return new Result(p.exitValue(), java.nio.file.Files.readString(out.toPath(), StandardCharsets.UTF_8),
          java.nio.file.Files.readString(err.toPath(), StandardCharsets.UTF_8));
    } finally {
      out.delete();
      err.delete();
    }
  }

  @Test
  void gradsweepHelpExplainsEveryOptionAndVariable() throws Exception {
    Result r = sh("bin/gradsweep", "--help");
    assertEquals(0, r.status(), r.err());
    for (String word : List.of("plan SPEC", "run SPEC", "submit --master URL", "report SPEC",
        "--experiment E", "--sweep NAME", "--out DIR", "replay [--tracking-uri URI] [SPOOL_DIR]",
        "gradsweep.spool.dir", "gradsweep.spool.max.mb", "gradsweep.mlflow.giveup.seconds", "--tracking-uri",
        "--tracking-backend",
        "--parallelism", "--conf", "--master", "MLFLOW_TRACKING_URI", "JAVA_HOME", "GRADSWEEP_JAVA_OPTS",
        "GRADSWEEP_OMP_NUM_THREADS", "GRADSWEEP_NO_BUILD", "SPARK_LOCAL_IP", "mlflow-local start", "Exit status",
        SweepJob.PROGRESS_SECONDS_PROPERTY, SweepJob.EXECUTOR_WAIT_PROPERTY)) {
      assertTrue(r.out().contains(word), word);
    }
  }

  @Test
  void gradsweepUsageErrorsAreExit2() throws Exception {
    Result unknown = sh("bin/gradsweep", "frobnicate");
    assertEquals(2, unknown.status());
    assertTrue(unknown.err().contains("unknown command 'frobnicate'"), unknown.err());
    Result noMaster = sh("bin/gradsweep", "submit", "s.yaml", "--tracking-uri", "http://127.0.0.1:9");
    assertEquals(2, noMaster.status());
    assertTrue(noMaster.err().contains("submit needs --master URL"), noMaster.err());
    Result conf = sh("bin/gradsweep", "run", "s.yaml", "--conf", "spark.master");
    assertEquals(2, conf.status());
    assertTrue(conf.err().contains("--conf expects KEY=VALUE"), conf.err());
  }

  @Test
  void sparkClusterHelpAndArgumentChecks() throws Exception {
    Result help = sh("bin/spark-cluster", "--help");
    assertEquals(0, help.status());
    for (String word : List.of("start", "--workers", "--cores", "--memory", "stop", "status", "url")) {
      assertTrue(help.out().contains(word), word);
    }
    Result bad = sh("bin/spark-cluster", "start", "--workers", "0");
    assertEquals(1, bad.status());
    assertTrue(bad.err().contains("--workers: expected a whole number >= 1, got '0'"), bad.err());
    assertEquals(2, sh("bin/spark-cluster", "restart").status());
  }
}
