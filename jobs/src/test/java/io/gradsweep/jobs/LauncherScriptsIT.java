package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * jobs/bin/gradsweep's help and usage errors, which come from SweepJob in the uber jar (so: after package, with
 * GRADSWEEP_NO_BUILD=1), and the launcher with the jar built and no Maven. Nothing here starts MLflow; one test
 * runs a tiny sweep on local Spark.
 */
class LauncherScriptsIT {
  record Result(int status, String out, String err) {}

  static Result gradsweep(String... args) throws Exception {
    return gradsweep(java.util.Map.of("GRADSWEEP_NO_BUILD", "1"), args);
  }

  static Result gradsweep(java.util.Map<String, String> env, String... args) throws Exception {
    File out = File.createTempFile("out", ".txt");
    File err = File.createTempFile("err", ".txt");
    try {
      List<String> command = new java.util.ArrayList<>(List.of("bin/gradsweep"));
      command.addAll(List.of(args));
      ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out).redirectError(err);
      pb.environment().remove("GRADSWEEP_NO_BUILD");
      pb.environment().remove("MLFLOW_TRACKING_URI");
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(300, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new AssertionError(command + " did not finish in 300 s");
      }
      return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
          Files.readString(err.toPath(), StandardCharsets.UTF_8));
    } finally {
      out.delete();
      err.delete();
    }
  }

  @Test
  void helpExplainsEveryCommandOptionAndVariable() throws Exception {
    Result r = gradsweep("--help");
    assertEquals(0, r.status(), r.err());
    for (String word : List.of("gradsweep plan", "gradsweep run", "gradsweep submit", "--master", "gradsweep report",
        "--experiment", "--sweep", "--out", "gradsweep replay", "[SPOOL_DIR]", "spark.gradsweep.spool.dir",
        "spark.gradsweep.spool.max.mb", "spark.gradsweep.mlflow.giveup.seconds", "--tracking-uri", "--tracking-backend",
        "--parallelism", "--conf", "MLFLOW_TRACKING_URI", "JAVA_HOME", "GRADSWEEP_JAVA_OPTS",
        "GRADSWEEP_OMP_NUM_THREADS", "GRADSWEEP_NO_BUILD", "GRADSWEEP_MLFLOW_BACKEND", "SPARK_LOCAL_IP", "SPARK_HOME",
        "jobs/target/gradsweep-spark3.jar",
        "mlflow-local start", "Exit status", "spark.gradsweep.progress.seconds",
        "spark.gradsweep.executor.wait.seconds")) {
      assertTrue(r.out().contains(word), word);
    }
    for (String command : SweepJob.COMMANDS) {
      Result c = gradsweep(command, "--help");
      assertEquals(0, c.status(), c.err());
      assertTrue(c.out().startsWith("Usage: gradsweep " + command), c.out());
    }
  }

  @Test
  void usageErrorsAreExit2BeforeAnythingStarts() throws Exception {
    Result unknown = gradsweep("frobnicate");
    assertEquals(2, unknown.status());
    assertTrue(unknown.err().contains("unknown command 'frobnicate'"), unknown.err());
    Result noMaster = gradsweep("submit", "s.yaml", "--tracking-uri", "http://127.0.0.1:9");
    assertEquals(2, noMaster.status());
    assertTrue(noMaster.err().contains("submit needs --master URL"), noMaster.err());
    Result conf = gradsweep("run", "s.yaml", "--conf", "spark.master");
    assertEquals(2, conf.status());
    assertTrue(conf.err().contains("--conf") && conf.err().contains("expected KEY=VALUE"), conf.err());
    Result badSpec = gradsweep("run", "no/such/spec.yaml");
    assertEquals(2, badSpec.status());
    assertTrue(badSpec.err().contains("no/such/spec.yaml"), badSpec.err());
    assertTrue(!badSpec.err().contains("mlflow-local"), "no MLflow server was started: " + badSpec.err());
    Result parallelism = gradsweep("run", "s.yaml", "--parallelism", "0");
    assertEquals(2, parallelism.status());
    assertTrue(parallelism.err().contains("--parallelism") && parallelism.err().contains("'0'"), parallelism.err());
  }

  @Test
  void planPrintsTheTrials() throws Exception {
    Result r = gradsweep("plan", "src/test/resources/tiny-sweep.yaml");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().startsWith("sweep tiny-adding"), r.out());
  }

  /**
   * With the uber jar built and no sources newer, the launcher runs no Maven: {@code mvn} on the PATH is a stub
   * that records every call and fails, and GRADSWEEP_NO_BUILD is not set. {@code plan} and a tiny {@code run}
   * on local Spark (through the distribution's spark-submit, logging nothing) both work.
   */
  @Test
  void planAndRunNeedNoMavenWhenTheJarIsBuilt() throws Exception {
    java.nio.file.Path bin = Files.createTempDirectory(java.nio.file.Path.of("target"), "no-mvn");
    java.nio.file.Path calls = bin.resolve("mvn-calls.txt");
    java.nio.file.Path mvn = bin.resolve("mvn");
    Files.writeString(mvn, "#!/bin/sh\necho \"mvn $*\" >> '" + calls.toAbsolutePath() + "'\nexit 127\n");
    assertTrue(mvn.toFile().setExecutable(true));
    java.util.Map<String, String> env = java.util.Map.of("PATH", bin.toAbsolutePath() + File.pathSeparator
        + System.getenv("PATH"));

    Result plan = gradsweep(env, "plan", "src/test/resources/tiny-sweep.yaml");
    assertEquals(0, plan.status(), plan.err());
    assertTrue(plan.out().startsWith("sweep tiny-adding"), plan.out());
    Result run = gradsweep(env, "run", "src/test/resources/tiny-sweep.yaml", "--tracking-backend", "none",
        "--conf", "spark.master=local[2]");
    System.out.print(run.err());
    assertEquals(0, run.status(), run.err());
    assertTrue(run.err().contains("trials to run on local[2]"), run.err());
    assertTrue(!Files.exists(calls), "no mvn call: " + (Files.exists(calls) ? Files.readString(calls) : ""));
  }
}
