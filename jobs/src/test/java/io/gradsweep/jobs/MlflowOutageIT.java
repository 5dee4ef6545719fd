package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import io.gradsweep.tracking.MetricPoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MLflow outages during a real sweep on local[2]: the server process is killed (by its own process id, through
 * {@link MlflowTestServer#stop()}) while the trials train. Trials go on training, their records wait in the disk
 * spool, and every metric point ends up in MLflow exactly once; when the server does not come back in time, the
 * sweep ends with exit status 3 and {@code gradsweep replay} delivers everything later.
 */
class MlflowOutageIT {
  static final Path OUTAGE = Path.of("src/test/resources/outage-sweep.yaml");
  /** How long the server stays down in the first test (the 60 s). */
  static final long OUTAGE_MS = 60_000;

  private static MlflowTestServer server;

  @BeforeAll
  static void startServer() {
    server = MlflowTestServer.start();
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  /** A sweep running in a thread of its own, with its output. */
  private record Sweep(Future<Integer> status, ByteArrayOutputStream out, ByteArrayOutputStream err) {
    String stdout() {
      return out.toString(StandardCharsets.UTF_8);
    }

    String stderr() {
      return err.toString(StandardCharsets.UTF_8);
    }
  }

  private static Sweep start(ExecutorService pool, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Future<Integer> f = pool.submit(() -> SweepJob.run(args, Map.of("OMP_NUM_THREADS", "1"),
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8)));
    return new Sweep(f, out, err);
  }

  /**
   * Waits until the sweep's parent run (the newest of the experiment without a parent, started after
   * {@code since}) has one child per planned trial and each has stored training steps: every trial is training.
   */
  private static String awaitTraining(MlflowRestReader reader, SweepSpec spec, long since, Sweep sweep)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (System.nanoTime() < deadline) {
      assertFalse(sweep.status().isDone(), "the sweep ended before its trials trained:\n" + sweep.stderr());
      Optional<String> exp = reader.experimentId(spec.experiment());
      if (exp.isPresent()) {
        Optional<RunRecord> parent = reader.runsOfExperiment(exp.get()).stream()
            .filter(r -> r.parentRunId().isEmpty() && r.runName().equals(spec.name()) && r.startTime() >= since)
            .findFirst();
        if (parent.isPresent()) {
          List<RunRecord> children = reader.children(parent.get().runId());
          if (children.size() == spec.trials().size() && children.stream()
              .allMatch(c -> !reader.metricHistory(c.runId(), "train/loss").isEmpty())) {
            return parent.get().runId();
          }
        }
      }
      Thread.sleep(500);
    }
    throw new AssertionError("the trials did not start training within 5 minutes:\n" + sweep.stderr());
  }

  /**
   * Every metric point of every child is stored exactly once: no (key, step) twice, every step metric at steps
   * 1..N, eval/loss at its eval steps. Returns, per child, how many points were logged between {@code from} and
   * {@code to} (ms), i.e. while the server was down.
   */
  private static List<Long> assertExactlyOnce(MlflowRestReader reader, SweepSpec spec, List<RunRecord> children,
      long from, long to) {
    List<Long> during = new ArrayList<>();
    for (RunRecord c : children) {
      TrialSpec trial = spec.trials().stream().filter(t -> t.params().equals(c.params())).findFirst().orElseThrow();
      List<Long> everyStep = LongStream.rangeClosed(1, trial.maxSteps()).boxed().toList();
      List<String> keys = reader.metricKeys(c.runId());
      assertTrue(keys.size() > 10, "metric keys of " + c.runName() + ": " + keys);
      long inOutage = 0;
      long total = 0;
      for (String key : keys) {
        List<MetricPoint> h = reader.metricHistory(c.runId(), key);
        total += h.size();
        Set<Long> steps = new HashSet<>();
        for (MetricPoint p : h) {
          assertTrue(steps.add(p.step()), key + " of " + c.runName() + " has step " + p.step() + " twice");
          if (p.timestamp() >= from && p.timestamp() <= to) {
            inOutage++;
          }
        }
        if (key.startsWith("train/") || key.startsWith("grad/")) {
          assertEquals(everyStep, h.stream().map(MetricPoint::step).sorted().toList(), key + " of " + c.runName());
        }
      }
      // every eval_every steps, and at the last step
      assertEquals(LongStream.concat(LongStream.iterate(trial.evalEvery(), s -> s < trial.maxSteps(),
              s -> s + trial.evalEvery()), LongStream.of(trial.maxSteps())).boxed().toList(),
          reader.metricHistory(c.runId(), "eval/loss").stream().map(MetricPoint::step).sorted().toList(),
          "eval/loss of " + c.runName());
      System.out.printf("%s: %d metric points in %d keys, %d logged while the server was down%n", c.runName(), total,
          keys.size(), inOutage);
      during.add(inOutage);
    }
    return during;
  }

  /** After a failed assertion: stops the sweep's Spark session (its tasks end) so that nothing keeps running. */
  private static void stopUnfinished(Sweep sweep, ExecutorService pool) throws InterruptedException {
    if (sweep != null && !sweep.status().isDone()) {
      if (SparkSession.getDefaultSession().isDefined()) {
        SparkSession.getDefaultSession().get().stop();
      }
    }
    pool.shutdownNow();
    pool.awaitTermination(2, TimeUnit.MINUTES);
  }

  private static long runSpools(Path root) throws IOException {
    if (!Files.isDirectory(root)) {
      return 0;
    }
    try (Stream<Path> l = Files.list(root)) {
      return l.filter(p -> Files.exists(p.resolve("run.properties"))).count();
    }
  }

  @Test
  void aSixtySecondOutageMidSweepLosesNothingAndDuplicatesNothing(@TempDir Path spool) throws Exception {
    SweepSpec spec = Sweeps.parseFile(OUTAGE);
    MlflowRestReader reader = new MlflowRestReader(server.uri());
    ExecutorService pool = Executors.newSingleThreadExecutor();
    System.setProperty("spark.master", "local[2]");
    long t0 = System.nanoTime();
    Sweep sweep = null;
    try {
      long since = System.currentTimeMillis();
      sweep = start(pool, "run", OUTAGE.toString(), "--tracking-uri", server.uri(), "--conf",
          "spark.gradsweep.spool.dir=" + spool);
      awaitTraining(reader, spec, since, sweep);
      long down = System.currentTimeMillis();
      server.stop();
      Thread.sleep(OUTAGE_MS);
      assertFalse(sweep.status().isDone(), "the sweep waits for the server:\n" + sweep.stderr());
      long up = System.currentTimeMillis();
      server.restart();
      int status = sweep.status().get(10, TimeUnit.MINUTES);
      double seconds = (System.nanoTime() - t0) / 1e9;
      System.out.printf("outage sweep: %.1f s in all (server down %.1f s)%n%s%s", seconds, (up - down) / 1e3,
          sweep.stdout(), sweep.stderr());
      assertEquals(0, status, sweep.stderr());

      String parentId = SweepReadback.parentRunId(sweep.stdout());
      List<RunRecord> children = SweepReadback.assertSweepLogged(server.uri(), OUTAGE, parentId);
      assertEquals(spec.trials().size(), children.size(), "exactly one run per planned trial");
      List<Long> during = assertExactlyOnce(reader, spec, children, down, up);
      for (long n : during) {
        assertTrue(n > 0, "every trial kept training (and logging) while the server was down: " + during);
      }
      assertEquals(0, runSpools(spool), "every spool was delivered and deleted");
    } finally {
      System.clearProperty("spark.master");
      stopUnfinished(sweep, pool);
      if (!server.isRunning()) {
        server.restart();
      }
    }
  }

  @Test
  void aServerThatDoesNotComeBackEndsTheSweepWithExit3AndReplayDeliversEverything(@TempDir Path dir)
      throws Exception {
    Path spool = dir.resolve("spool");
    Path specFile = dir.resolve("short-outage.yaml");
    // the same trials, shorter: they only need to be training when the server goes away
    Files.writeString(specFile, Files.readString(OUTAGE).replace("max_steps: 2500", "max_steps: 1500")
        .replace("eval_every: 1000", "eval_every: 500")
        .replace("name: outage", "name: outage-no-return"));
    SweepSpec spec = Sweeps.parseFile(specFile);
    MlflowRestReader reader = new MlflowRestReader(server.uri());
    ExecutorService pool = Executors.newSingleThreadExecutor();
    System.setProperty("spark.master", "local[2]");
    long t0 = System.nanoTime();
    Sweep sweep = null;
    try {
      long since = System.currentTimeMillis();
      sweep = start(pool, "run", specFile.toString(), "--tracking-uri", server.uri(), "--conf",
          "spark.gradsweep.spool.dir=" + spool, "--conf", "spark.gradsweep.mlflow.giveup.seconds=5");
      String parentId = awaitTraining(reader, spec, since, sweep);
      server.stop();
      int status = sweep.status().get(10, TimeUnit.MINUTES);
      System.out.printf("sweep without a server: %.1f s%n%s%s", (System.nanoTime() - t0) / 1e9, sweep.stdout(),
          sweep.stderr());
      String err = sweep.stderr();
      assertEquals(SweepJob.TRACKING_ERROR, status, err);
      assertTrue(err.contains("gradsweep: MLflow at " + server.uri() + " stayed unreachable: 2 of 2 trial runs"),
          err);
      assertTrue(err.contains(" in " + spool + ": 2 trial runs, "), err);
      assertTrue(err.contains("the parent run " + parentId + " (its artifacts and its end: it cannot be ended now"),
          err);
      assertTrue(err.contains("jobs/bin/gradsweep replay --tracking-uri " + server.uri() + " " + spool), err);
      assertTrue(sweep.stdout().lines().anyMatch(l -> l.startsWith("#  trial")), "the results are printed:\n"
          + sweep.stdout());
      assertEquals(3, runSpools(spool), "two trial runs and the parent run wait on disk");

      server.restart();
      assertEquals("RUNNING", reader.status(parentId));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream rerr = new ByteArrayOutputStream();
      int replay = SweepJob.run(new String[] {"replay", "--tracking-uri", server.uri(), spool.toString()}, Map.of(),
          new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(rerr, true, StandardCharsets.UTF_8));
      String replayOut = out.toString(StandardCharsets.UTF_8);
      System.out.printf("replay:%n%s%s", replayOut, rerr.toString(StandardCharsets.UTF_8));
      assertEquals(0, replay, rerr.toString(StandardCharsets.UTF_8));
      assertTrue(replayOut.contains("3 of 3 run spools sent and deleted"), replayOut);
      assertEquals(0, runSpools(spool));

      List<RunRecord> children = SweepReadback.assertSweepLogged(server.uri(), specFile, parentId);
      assertExactlyOnce(reader, spec, children, 0, 0);
      SweepJobLocalIT.assertSweepArtifacts(reader, parentId, spec.trials().size());
      assertTrue(reader.allArtifactPaths(parentId).contains("summary.txt"));

      // replaying again finds nothing and changes nothing
      out.reset();
      assertEquals(0, SweepJob.run(new String[] {"replay", spool.toString()}, Map.of(),
          new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(rerr, true, StandardCharsets.UTF_8)));
      assertTrue(out.toString(StandardCharsets.UTF_8).contains("nothing to replay"), out.toString());
    } finally {
      System.clearProperty("spark.master");
      stopUnfinished(sweep, pool);
      if (!server.isRunning()) {
        server.restart();
      }
    }
  }
}
