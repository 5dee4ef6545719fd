package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A tiny sweep end to end on local[2] (in this JVM) against a real MLflow server. */
class SweepJobLocalIT {
  static final Path TINY = Path.of("src/test/resources/tiny-sweep.yaml");

  @Test
  void localSweepLogsOneChildRunPerPlannedTrial() throws Exception {
    try (MlflowTestServer server = MlflowTestServer.start()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      long t0 = System.nanoTime();
      int status;
      System.setProperty("spark.master", "local[2]"); // as spark-submit passes it
      try {
        status = SweepJob.run(new String[] {"run", TINY.toString(), "--tracking-uri", server.uri()},
            Map.of("OMP_NUM_THREADS", "1"), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
      } finally {
        System.clearProperty("spark.master");
      }
      String stdout = out.toString(StandardCharsets.UTF_8);
      String stderr = err.toString(StandardCharsets.UTF_8);
      System.out.printf("local sweep: %.1f s%n%s%s", (System.nanoTime() - t0) / 1e9, stdout, stderr);
      assertEquals(0, status, stderr);

      List<RunRecord> children = SweepReadback.assertSweepLogged(server.uri(), TINY, SweepReadback.parentRunId(stdout));
      for (RunRecord c : children) {
        assertEquals("1", c.tags().get(TrialTask.OMP_TAG), "OMP_NUM_THREADS seen by the task");
        assertTrue(c.tags().get(TrialTask.EXECUTOR_TAG).startsWith("executor driver on "),
            c.tags().get(TrialTask.EXECUTOR_TAG));
      }
      assertTrue(stderr.contains("[gradsweep] sweep 'tiny-adding': 4 trials on local[2], at most 2 at a time"),
          stderr);
      assertEquals(4, stderr.lines().filter(l -> l.matches("\\[gradsweep\\] trial \\d .*trials \\d/4 done.*"))
          .count(), "one progress line per finished trial:\n" + stderr);
      assertTrue(stdout.lines().anyMatch(l -> l.startsWith("#  trial")), "summary table header:\n" + stdout);
    }
  }
}
