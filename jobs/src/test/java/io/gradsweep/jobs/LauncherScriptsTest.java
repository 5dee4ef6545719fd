package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The bash launchers' help and argument checks that need no Java (nothing here builds, starts Java, MLflow or
 * Spark); jobs/bin/gradsweep's, which SweepJob answers, are in {@link LauncherScriptsIT}.
 */
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
