package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.TrialSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The steps of SweepJob that come before Spark: usage, spec validation, plan, tracking check. */
class SweepJobTest {
  static final Path TINY = Path.of("src/test/resources/tiny-sweep.yaml");
  /** Nothing listens on the discard port of the loopback address. */
  static final String DEAD_URI = "http://127.0.0.1:9";

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return SweepJob.run(args, Map.of("OMP_NUM_THREADS", "1"), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void sparkRedactsTrackingCredentialKeysIncludingTheUserName() {
    String regex = SparkSessions.redactionRegex(SparkSessions.DEFAULT_REDACTION_REGEX);
    assertEquals(regex, SparkSessions.redactionRegex(regex), "extended once");
    java.util.regex.Pattern p = java.util.regex.Pattern.compile(regex); // Spark redacts on find() in key or value
    for (String key : new String[] {"spark.executorEnv.MLFLOW_TRACKING_USERNAME",
        "spark.executorEnv.MLFLOW_TRACKING_PASSWORD", "spark.executorEnv.MLFLOW_TRACKING_TOKEN", "spark.x.secret"}) {
      assertTrue(p.matcher(key).find(), key);
    }
    assertEquals(false, p.matcher("spark.executorEnv.MLFLOW_TRACKING_URI").find());
    assertTrue(java.util.regex.Pattern.compile(SparkSessions.redactionRegex("(?i)mine"))
        .matcher("mlflow_tracking_token").find(), "a user's own regex is extended, not replaced");
  }

  @Test
  void planPrintsEveryTrial() {
    assertEquals(0, run("plan", TINY.toString()), err());
    for (TrialSpec t : Sweeps.parseFile(TINY).trials()) {
      assertTrue(out().contains(t.id()), out());
    }
    assertTrue(out().startsWith("sweep tiny-adding (experiment gradsweep-it, task adding"), out());
    assertTrue(out().contains("total: " + Sweeps.parseFile(TINY).trials().size() + " trials"), out());
  }

  @Test
  void planPrintsTheDrawnTrialsOfASampledSweep(@TempDir Path dir) throws Exception {
    Path spec = Path.of("../conf/random-search.yaml");
    assertEquals(0, run("plan", spec.toString()), err());
    java.util.List<TrialSpec> trials = Sweeps.parseFile(spec).trials();
    assertEquals(64, trials.size());
    for (TrialSpec t : trials) {
      assertTrue(out().contains(t.id() + "  lstm") && out().contains(io.gradsweep.util.Canon.num(t.lr())), out());
    }
    assertTrue(out().startsWith("sweep random-search (experiment gradsweep-random-search, task adding, strategy random "
        + "(64 samples, seed 14)"), out());
    assertTrue(out().endsWith("total: 64 trials\n"), out());
    // a distribution under grid search: exit 2, the path and the advice
    Path bad = dir.resolve("grid.yaml");
    Files.writeString(bad, Files.readString(spec).replace("strategy: random", "strategy: grid")
        .replaceAll("(?m)^  (num_samples|seed):.*\n", ""));
    assertEquals(SweepJob.USAGE_ERROR, run("plan", bad.toString()));
    assertTrue(err().contains("grid.clip: a sampled clip threshold ([global_norm:{log_uniform: [0.1, 10]}]) needs a "
        + "sampled search"), err());
  }

  @Test
  void invalidSpecIsExit2BeforeTheTrackingBackendIsContacted(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, Files.readString(TINY).replace("hidden: [8]", "hiden: [8]"));
    assertEquals(SweepJob.USAGE_ERROR, run("run", bad.toString(), "--tracking-uri", DEAD_URI));
    assertTrue(err().startsWith("gradsweep: invalid sweep spec " + bad + ": "), err());
    assertTrue(err().contains("grid.hiden: unknown key"), err());
    assertTrue(!err().contains("not reachable"), err());
    assertEquals("", out());
  }

  @Test
  void missingSpecFileIsExit2() {
    assertEquals(SweepJob.USAGE_ERROR, run("plan", "no/such/file.yaml"));
    assertTrue(err().contains("no/such/file.yaml"), err());
  }

  @Test
  void unreachableTrackingBackendIsExit3BeforeTheSweepStarts(@TempDir Path spool) throws Exception {
    assertEquals(SweepJob.TRACKING_ERROR, run("run", TINY.toString(), "--tracking-uri", DEAD_URI, "--conf",
        "spark.gradsweep.spool.dir=" + spool));
    assertTrue(err().startsWith("gradsweep: tracking backend 'mlflow' at " + DEAD_URI + " is not reachable"), err());
    assertTrue(err().contains("connection refused"), err());
    assertTrue(!err().contains("[gradsweep] sweep"), "Spark was started: " + err());
    assertTrue(org.apache.spark.sql.SparkSession.getDefaultSession().isEmpty(), "no Spark session was made");
    assertEquals("", out(), "no summary: nothing was trained");
    try (var files = Files.list(spool)) {
      assertEquals(0, files.count(), "nothing was spooled");
    }
  }

  @Test
  void replayOfAnEmptyOrMissingSpoolIsExit0(@TempDir Path dir) {
    assertEquals(0, run("replay", dir.resolve("none").toString()), err());
    assertTrue(out().contains("nothing to replay: " + dir.resolve("none") + " is not a directory"), out());
  }

  @Test
  void usageErrorIsExit2AndPointsToHelp() {
    assertEquals(SweepJob.USAGE_ERROR, run("run", TINY.toString(), "--parallelism", "0", "--tracking-backend", "none"));
    assertTrue(err().contains("--parallelism") && err().contains("--help"), err());
  }

  @Test
  void helpIsExit0OnStdout() {
    assertEquals(0, run("--help"));
    assertTrue(out().startsWith("Usage: gradsweep plan"), out());
    assertEquals("", err());
  }

  @Test
  void reportOnAMissingSweepIsExit2AndNamesIt() {
    assertEquals(SweepJob.USAGE_ERROR, run("report", "--experiment", "no-such-experiment", "--sweep", "nope",
        "--tracking-backend", "memory"));
    assertTrue(err().contains("no sweep 'nope' in experiment 'no-such-experiment'"), err());
  }

  @Test
  void reportRebuildsTheReportFromTheRunsAndAttachesIt(@TempDir Path dir) throws Exception {
    // a finished sweep made by hand in the in-process backend: two trials of the tiny spec, one SOLVED, one not
    io.gradsweep.spec.SweepSpec spec = Sweeps.parseFile(TINY);
    String experiment = "report-test-" + System.nanoTime();
    io.gradsweep.tracking.MemoryTrackingSink sink = new io.gradsweep.tracking.MemoryTrackingSink();
    io.gradsweep.tracking.SweepRun sweep = sink.startSweep(experiment, spec.name(), Map.of(), Map.of(),
        spec.yaml().getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < 2; i++) {
      io.gradsweep.tracking.TrialRun r = sink.startTrial(sweep, spec.trials().get(i));
      r.logMetrics(Map.of("final/steps", 30.0, "final/steps_to_solve", i == 0 ? 20.0 : -1, "final/horizon", 10.0,
          "final/baseline_loss", 0.16, "final/eval_loss", i == 0 ? 0.01 : 0.15), 30);
      r.setTag("gradsweep.status", i == 0 ? "SOLVED" : "NOT_SOLVED");
      r.finish(true);
    }
    sink.endSweep(sweep, true);
    Path outDir = dir.resolve("out");
    assertEquals(0, run("report", "--experiment", experiment, "--sweep", spec.name(), "--tracking-backend", "memory",
        "--out", outDir.toString()), err());
    String md = Files.readString(outDir.resolve("report/report.md"));
    assertTrue(md.contains("# Ablation report: " + spec.name()), md);
    assertTrue(md.contains(spec.trials().size() + " trials"), "the plan from sweep.yaml:\n" + md);
    assertTrue(md.contains((spec.trials().size() - 2) + " failed"), "planned trials without a run:\n" + md);
    List<String> csv = Files.readAllLines(outDir.resolve("trials.csv"));
    assertEquals(1 + spec.trials().size(), csv.size());
    assertEquals(List.of("report/report.md"), io.gradsweep.tracking.MemoryTrackingSink.run(sweep.runId())
        .orElseThrow().artifactPaths().stream().filter(p -> p.endsWith(".md")).toList());
    assertTrue(out().contains("report:"), out());
  }
}
