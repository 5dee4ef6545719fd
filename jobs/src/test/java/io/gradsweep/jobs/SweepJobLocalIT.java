package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.sweep.SweepArtifactsTest;
import io.gradsweep.sweep.TrialAttempt;
import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny sweep end to end on local[2] (in this JVM) against a real MLflow server. */
class SweepJobLocalIT {
  static final Path TINY = Path.of("src/test/resources/tiny-sweep.yaml");

  @Test
  void localSweepLogsOneChildRunPerPlannedTrial(@TempDir Path tmp) throws Exception {
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

      String parentId = SweepReadback.parentRunId(stdout);
      List<RunRecord> children = SweepReadback.assertSweepLogged(server.uri(), TINY, parentId);
      assertSweepArtifacts(new MlflowRestReader(server.uri()), parentId, children.size());
      for (RunRecord c : children) {
        assertEquals("1", c.tags().get(TrialAttempt.OMP_TAG), "OMP_NUM_THREADS seen by the task");
        assertEquals("1", c.tags().get(io.gradsweep.tracking.Names.Tag.ENGINE_THREADS), "one thread per trial");
        assertEquals("vector", c.tags().get(TrialAttempt.KERNELS_TAG), "the SIMD kernels trained the trial");
        assertEquals("onednn", c.tags().get(io.gradsweep.tracking.Names.Tag.FLOAT_PRODUCTS),
            "oneDNN loaded in the executor JVM and computed the products");
        assertTrue(c.tags().get(TrialAttempt.EXECUTOR_TAG).startsWith("executor driver on "),
            c.tags().get(TrialAttempt.EXECUTOR_TAG));
      }
      int planned = io.gradsweep.search.Sweeps.parseFile(TINY).trials().size();
      assertEquals(planned, children.size());
      assertTrue(stderr.contains("[gradsweep] sweep 'tiny-adding': " + planned + " trials to run on local[2], at most "
          + "2 at a time"), stderr);
      assertEquals(planned, stderr.lines().filter(l -> l.matches("\\[gradsweep\\] trial \\d .*trials \\d/" + planned
          + " done.*")).count(), "one progress line per finished trial:\n" + stderr);
      assertTrue(stdout.lines().anyMatch(l -> l.startsWith("#  trial")), "summary table header:\n" + stdout);
      assertTrue(stderr.lines().noneMatch(l -> l.contains("warning")), stderr);

      // the ablation report on the parent run; the report command on the same sweep reproduces it
      MlflowRestReader reader = new MlflowRestReader(server.uri());
      Map<String, byte[]> attached = new TreeMap<>();
      for (String p : reader.allArtifactPaths(parentId)) {
        if (p.startsWith("report/") && !p.endsWith(".png") || p.equals("trials.csv")) {
          attached.put(p, reader.downloadArtifact(parentId, p));
        }
      }
      assertTrue(attached.keySet().containsAll(List.of("report/report.md", "report/by_length.csv",
          "report/effects.csv")), attached.keySet().toString());
      assertTrue(reader.allArtifactPaths(parentId).contains("report/effects_success.png"));
      String md = new String(attached.get("report/report.md"), StandardCharsets.UTF_8);
      for (String factor : List.of("seq_len", "network", "optimizer", "lr", "hidden")) {
        assertTrue(md.contains("**" + factor + "**"), factor + " ranked:\n" + md);
      }
      Path outDir = tmp.resolve("report-out");
      ByteArrayOutputStream rout = new ByteArrayOutputStream();
      ByteArrayOutputStream rerr = new ByteArrayOutputStream();
      int rs = SweepJob.run(new String[] {"report", TINY.toString(), "--tracking-uri", server.uri(), "--out",
          outDir.toString()}, Map.of(), new PrintStream(rout, true, StandardCharsets.UTF_8),
          new PrintStream(rerr, true, StandardCharsets.UTF_8));
      assertEquals(0, rs, rerr.toString(StandardCharsets.UTF_8));
      for (Map.Entry<String, byte[]> e : attached.entrySet()) {
        assertEquals(new String(e.getValue(), StandardCharsets.UTF_8),
            Files.readString(outDir.resolve(e.getKey()), StandardCharsets.UTF_8), e.getKey() + " reproduced");
      }
      assertTrue(rout.toString(StandardCharsets.UTF_8).contains(parentId), rout.toString(StandardCharsets.UTF_8));
    }
  }

  /**
   * An experiment named by a workspace path, as Databricks requires (MLflow takes '/'): the sweep runs and logs into
   * that experiment, its settings ({@code --conf spark.gradsweep.spool.dir}) reach the trials, and {@code report}
   * finds the sweep by the experiment's name.
   */
  /** spark.task.cpus = 2 on local[2]: one trial at a time, each with two engine threads. */
  @Test
  void aTaskWithTwoCpusTrainsItsTrialOnTwoEngineThreads() throws Exception {
    try (MlflowTestServer server = MlflowTestServer.start()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int status = SweepJob.run(new String[] {"run", TINY.toString(), "--tracking-uri", server.uri(), "--conf",
          "spark.master=local[2]", "--conf", "spark.task.cpus=2", "--conf", "spark.gradsweep.progress.seconds=0"},
          Map.of("OMP_NUM_THREADS", "1"), new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      String stdout = out.toString(StandardCharsets.UTF_8);
      String stderr = err.toString(StandardCharsets.UTF_8);
      System.out.printf("two cpus per task:%n%s%s", stdout, stderr);
      assertEquals(0, status, stderr);
      assertTrue(stderr.contains("trials to run on local[2], at most 1 at a time"), stderr);
      List<RunRecord> children = SweepReadback.assertSweepLogged(server.uri(), TINY,
          SweepReadback.parentRunId(stdout));
      for (RunRecord c : children) {
        assertEquals("2", c.tags().get(io.gradsweep.tracking.Names.Tag.ENGINE_THREADS), "the task's CPUs");
        assertEquals("1", c.tags().get(TrialAttempt.OMP_TAG));
      }
    }
  }

  @Test
  void anExperimentNamedByAWorkspacePathWorksEndToEnd(@TempDir Path tmp) throws Exception {
    String experiment = "/Users/someone@example.com/gradsweep-it";
    Path spec = tmp.resolve("workspace-path.yaml");
    Files.writeString(spec, Files.readString(TINY).replace("name: tiny-adding", "name: tiny-workspace-path")
        .replace("experiment: gradsweep-it", "experiment: '" + experiment + "'"));
    Path spool = tmp.resolve("spool");
    try (MlflowTestServer server = MlflowTestServer.start()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int status = SweepJob.run(new String[] {"run", spec.toString(), "--tracking-uri", server.uri(), "--conf",
          "spark.master=local[2]", "--conf", "spark.gradsweep.spool.dir=" + spool, "--conf",
          "spark.gradsweep.progress.seconds=0"}, Map.of("OMP_NUM_THREADS", "1"),
          new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
      String stdout = out.toString(StandardCharsets.UTF_8);
      String stderr = err.toString(StandardCharsets.UTF_8);
      System.out.printf("workspace-path experiment:%n%s%s", stdout, stderr);
      assertEquals(0, status, stderr);
      MlflowRestReader reader = new MlflowRestReader(server.uri());
      assertTrue(reader.experimentNames().contains(experiment), reader.experimentNames().toString());
      String parentId = SweepReadback.parentRunId(stdout);
      List<RunRecord> children = SweepReadback.assertSweepLogged(server.uri(), spec, parentId);
      assertSweepArtifacts(reader, parentId, children.size());
      assertTrue(Files.isDirectory(spool), "the trials spooled under spark.gradsweep.spool.dir");
      try (var left = Files.list(spool)) {
        assertEquals(0, left.count(), "every run spool was delivered and deleted");
      }

      Path outDir = tmp.resolve("report-out");
      ByteArrayOutputStream rout = new ByteArrayOutputStream();
      ByteArrayOutputStream rerr = new ByteArrayOutputStream();
      int rs = SweepJob.run(new String[] {"report", "--experiment", experiment, "--sweep", "tiny-workspace-path",
          "--tracking-uri", server.uri(), "--out", outDir.toString()}, Map.of(),
          new PrintStream(rout, true, StandardCharsets.UTF_8), new PrintStream(rerr, true, StandardCharsets.UTF_8));
      assertEquals(0, rs, rerr.toString(StandardCharsets.UTF_8));
      assertTrue(rout.toString(StandardCharsets.UTF_8).contains(parentId), rout.toString(StandardCharsets.UTF_8));
      assertTrue(Files.isRegularFile(outDir.resolve("report/report.md")));
      assertTrue(Files.isRegularFile(outDir.resolve("trials.csv")));
    }
  }

  /** trials.csv with a header and one row per planned trial (each naming a child run), and the two pictures. */
  static void assertSweepArtifacts(MlflowRestReader reader, String parentId, int plannedTrials) {
    List<String> paths = reader.allArtifactPaths(parentId);
    assertTrue(paths.containsAll(List.of("trials.csv", "final_profiles.png", "init_profiles.png")), paths.toString());
    String csv = new String(reader.downloadArtifact(parentId, "trials.csv"), StandardCharsets.UTF_8);
    List<String> lines = csv.lines().toList();
    assertEquals(1 + plannedTrials, lines.size(), csv);
    List<String> header = List.of(lines.get(0).split(","));
    assertTrue(header.containsAll(List.of("seq_len", "cell", "lr", "status", "steps", "steps_to_solve",
        "final_eval_loss", "max_grad_norm", "wall_seconds", "run_id")), header.toString());
    Set<String> childIds = new HashSet<>();
    for (RunRecord c : reader.children(parentId)) {
      childIds.add(c.runId());
    }
    int runIdCol = header.indexOf("run_id");
    for (String row : lines.subList(1, lines.size())) {
      List<String> f = SweepArtifactsTest.fields(row);
      assertEquals(header.size(), f.size(), row);
      assertTrue(childIds.contains(f.get(runIdCol)), "row names a child run: " + row);
    }
    for (String png : List.of("final_profiles.png", "init_profiles.png")) {
      byte[] b = reader.downloadArtifact(parentId, png);
      assertTrue(b.length > 1000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G', png + ": " + b.length + " bytes");
    }
  }
}
