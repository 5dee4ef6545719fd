package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The bash launchers' help and argument checks that need no uber jar (nothing here builds or starts MLflow or
 * Spark): spark-cluster's, spark-dist's and benchmark's, and how the launchers judge a SPARK_HOME (fake ones, laid
 * out as a distribution); jobs/bin/gradsweep's, which SweepJob answers, are in {@link LauncherScriptsIT}.
 */
class LauncherScriptsTest {
  record Result(int status, String out, String err) {}

  static Result sh(String... command) throws Exception {
    return sh(java.util.Map.of(), command);
  }

  static Result sh(java.util.Map<String, String> env, String... command) throws Exception {
    File out = File.createTempFile("out", ".txt");
    File err = File.createTempFile("err", ".txt");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out).redirectError(err);
      pb.environment().putAll(env);
      Process p = pb.start();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", command) + " did not finish");
      return new Result(p.exitValue(), java.nio.file.Files.readString(out.toPath(), StandardCharsets.UTF_8),
          java.nio.file.Files.readString(err.toPath(), StandardCharsets.UTF_8));
    } finally {
      out.delete();
      err.delete();
    }
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

  @Test
  void benchmarkSweepHelpAndArgumentChecks() throws Exception {
    Result help = sh("bin/benchmark", "--help");
    assertEquals(0, help.status());
    for (String word : List.of("--sweep", "--trials", "--steps", "--tiny", "--tracking", "--tracking-uri", "--gradsweep",
        "--java-opts",
        "2x1/p2")) {
      assertTrue(help.out().contains(word), word);
    }
    // each refused before anything is built or started: exit 2 and a message naming the option and the value
    List<List<String>> bad = List.of(
        List.of("--sweep", "--trials", "3"), List.of("--sweep", "--trials", "0"), List.of("--sweep", "--steps", "0"),
        List.of("--sweep", "--steps", "1e3"), List.of("--sweep", "--tiny", "1"), List.of("--sweep", "--runs", "-1"),
        List.of("--sweep", "--shapes", "64x32x100"), List.of("--tiny", "10"), List.of("--sweep", "--gradsweep",
            "/nonexistent/gradsweep"), List.of("--sweep", "--bogus"),
        List.of("--sweep", "--tracking", "--tracking-uri", "http://h:5000"),
        List.of("--sweep", "--tracking-uri", "h:5000"));
    List<String> says = List.of("--trials must be an even number >= 2", "--trials must be an even number >= 2",
        "--steps must be a whole number >= 1, got '0'", "--steps must be a whole number >= 1, got '1e3'",
        "--tiny must be 0 (skip) or a whole number >= 2, got '1'", "--runs must be a whole number >= 1, got '-1'",
        "--shapes is an option of the step benchmark, not of --sweep", "--tiny is an option of --sweep",
        "--gradsweep: /nonexistent/gradsweep is not an executable launcher", "unknown argument: --bogus",
        "--tracking and --tracking-uri exclude each other",
        "--tracking-uri must start with http:// or https://, got 'h:5000'");
    for (int i = 0; i < bad.size(); i++) {
      List<String> cmd = new java.util.ArrayList<>(List.of("bin/benchmark"));
      cmd.addAll(bad.get(i));
      Result r = sh(cmd.toArray(String[]::new));
      assertEquals(2, r.status(), cmd + ": " + r.err());
      assertTrue(r.err().contains(says.get(i)), cmd + ": " + r.err());
      assertEquals("", r.out(), cmd + " printed on stdout");
    }
  }

  /** A directory laid out as a Spark distribution of {@code version} (empty jars, a spark-submit that fails). */
  static java.nio.file.Path fakeSparkHome(String scala, String version) throws Exception {
    java.nio.file.Path home = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("target"), "fake-spark");
    java.nio.file.Files.createDirectories(home.resolve("bin"));
    java.nio.file.Files.createDirectories(home.resolve("jars"));
    java.nio.file.Path submit = home.resolve("bin/spark-submit");
    java.nio.file.Files.writeString(submit, "#!/bin/sh\nexit 99\n");
    assertTrue(submit.toFile().setExecutable(true));
    java.nio.file.Files.createFile(home.resolve("jars/spark-core_" + scala + "-" + version + ".jar"));
    return home.toAbsolutePath();
  }

  @Test
  void sparkDistReadsTheVersionOfASparkHomeAndRefusesWhatIsNone() throws Exception {
    Result help = sh("bin/spark-dist", "--help");
    assertEquals(0, help.status());
    for (String word : List.of("install", "home", "version", "SPARK_HOME", ".gradsweep/spark/VERSION/pyspark")) {
      assertTrue(help.out().contains(word), word);
    }
    assertEquals(2, sh("bin/spark-dist", "frobnicate").status());

    java.nio.file.Path spark4 = fakeSparkHome("2.13", "4.2.0");
    Result version = sh(java.util.Map.of("SPARK_HOME", spark4.toString()), "bin/spark-dist", "version");
    assertEquals(0, version.status(), version.err());
    assertEquals("4.2.0", version.out().strip());
    Result home = sh(java.util.Map.of("SPARK_HOME", spark4.toString()), "bin/spark-dist", "home");
    assertEquals(spark4.toString(), home.out().strip());

    java.nio.file.Path empty = java.nio.file.Files.createTempDirectory(java.nio.file.Path.of("target"), "no-spark");
    Result none = sh(java.util.Map.of("SPARK_HOME", empty.toString()), "bin/spark-dist", "home");
    assertEquals(1, none.status());
    assertTrue(none.err().contains("SPARK_HOME=" + empty + " has no bin/spark-submit: not a Spark distribution"),
        none.err());
    java.nio.file.Files.delete(spark4.resolve("jars/spark-core_2.13-4.2.0.jar"));
    Result noJars = sh(java.util.Map.of("SPARK_HOME", spark4.toString()), "bin/spark-dist", "version");
    assertEquals(1, noJars.status());
    assertTrue(noJars.err().contains("has no jars/spark-core_*.jar"), noJars.err());
    Result badVersion = sh("bin/spark-dist", "install", "3.5");
    assertEquals(1, badVersion.status());
    assertTrue(badVersion.err().contains("Spark version '3.5': expected MAJOR.MINOR.PATCH"), badVersion.err());
  }

  @Test
  void gradsweepRefusesASparkHomeItHasNoJarFor() throws Exception {
    java.nio.file.Path spark5 = fakeSparkHome("2.13", "5.0.0");
    Result r = sh(java.util.Map.of("SPARK_HOME", spark5.toString(), "GRADSWEEP_NO_BUILD", "1"), "bin/gradsweep",
        "plan", "src/test/resources/tiny-sweep.yaml");
    assertEquals(1, r.status());
    assertTrue(r.err().contains("SPARK_HOME=" + spark5 + " is Spark 5.0.0; gradsweep has jars for Spark 3.5 (")
        && r.err().contains("jobs/target/gradsweep-spark3.jar") && r.err().contains(
        "jobs/target-spark4/gradsweep-spark4.jar"), r.err());
  }
}
