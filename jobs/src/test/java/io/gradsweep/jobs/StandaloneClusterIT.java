package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.sweep.TrialAttempt;
import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import io.gradsweep.tracking.MetricPoint;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The product path on a real standalone cluster: jobs/bin/spark-cluster starts a master and two workers (one core
 * each) on 127.0.0.1 with the Spark distribution's sbin/spark-daemon.sh, jobs/bin/gradsweep submit sends
 * jobs/target/gradsweep-spark3.jar through the distribution's bin/spark-submit, the workers' executors train the
 * trials (ND4J natives loaded from the uber jar), and everything lands in a real MLflow server. Every process the
 * cluster started is stopped in {@code finally} ({@link LocalCluster#close()}).
 */
class StandaloneClusterIT {
  static final Path REPO = LocalCluster.REPO;
  static final Path TINY = REPO.resolve("jobs/src/test/resources/tiny-sweep.yaml");
  /** Two workers of one core; 1536 MB each leaves room for one executor of Spark's default 1 GB heap. */
  static final int WORKERS = 2;
  static final String WORKER_MEMORY = "1536m";
  private static final Pattern EXECUTOR_ID = Pattern.compile("^executor (\\S+) on .*, attempt \\d+$");

  /** The executor id in a run's {@code gradsweep.executor} tag ({@code executor 1 on 127.0.0.1, attempt 0}). */
  static String executorId(RunRecord run) {
    String tag = run.tags().get(TrialAttempt.EXECUTOR_TAG);
    Matcher m = EXECUTOR_ID.matcher(String.valueOf(tag));
    assertTrue(m.matches(), "executor tag of " + run.runName() + ": " + tag);
    return m.group(1);
  }

  @Test
  void sweepSubmittedToAStandaloneClusterRunsOnItsExecutors() throws Exception {
    LocalCluster cluster = null;
    try (MlflowTestServer server = MlflowTestServer.start()) {
      try {
        long t0 = System.nanoTime();
        cluster = LocalCluster.start(WORKERS, 1, WORKER_MEMORY);
        String master = cluster.master;
        assertEquals(master, LocalCluster.sh(cluster.env, 30, "jobs/bin/spark-cluster", "url").out().strip());
        double startSeconds = (System.nanoTime() - t0) / 1e9;
        // the daemons run from the distribution's jars (no home of symlinks into the Maven repository)
        String sparkHome = LocalCluster.sh(Map.of(), 60, "jobs/bin/spark-dist", "home").out().strip();
        String workerCommand = ProcessHandle.of(cluster.workerPid(1)).orElseThrow().info().commandLine().orElse("");
        assertTrue(workerCommand.contains(sparkHome + "/jars/") && workerCommand.contains(
            "org.apache.spark.deploy.worker.Worker"), "worker 1 runs from " + sparkHome + ": " + workerCommand);
        LocalCluster.Result status = LocalCluster.sh(cluster.env, 30, "jobs/bin/spark-cluster", "status");
        assertEquals(0, status.status(), status.err());
        assertTrue(status.out().contains("workers: " + WORKERS + " alive"), status.out());

        t0 = System.nanoTime();
        // --results goes through the launcher and spark-submit to run; the executors and the driver share this disk
        Path results = cluster.dir.resolve("results");
        LocalCluster.Result submit = LocalCluster.sh(cluster.env, 600, "jobs/bin/gradsweep", "submit", "--master",
            master, TINY.toString(), "--tracking-uri", server.uri(), "--results", "file:" + results);
        System.out.printf("cluster start: %.1f s, submit: %.1f s%n%s%s", startSeconds,
            (System.nanoTime() - t0) / 1e9, submit.out(), submit.err());
        assertEquals(0, submit.status(), submit.err());
        int planned = Sweeps.parseFile(TINY).trials().size();
        assertTrue(submit.err().contains(planned + " trials to run on " + master + ", at most 2 at a time"),
            "default parallelism: the cores of both workers' executors\n" + submit.err());

        assertTrue(submit.err().contains("[gradsweep] results: " + planned + " rows written to --results file:"
            + results), submit.err());
        assertTrue(submit.err().contains("warning: --results file:" + results + " on a cluster (" + master + ")"),
            "file: on a cluster is only right on a shared disk:\n" + submit.err());
        AnalysisIT.ProcessResult read = AnalysisIT.run(List.of(AnalysisIT.projectPython().toString(),
            REPO.resolve("jobs/src/test/python/read_results.py").toString(), results.toString()),
            cluster.dir.resolve("read_results.log"));
        assertEquals(0, read.exitCode(), read.output());
        assertTrue(read.output().contains("{\"rows\": " + planned + ","), read.output());

        List<RunRecord> children =
            SweepReadback.assertSweepLogged(server.uri(), TINY, SweepReadback.parentRunId(submit.out()));
        for (RunRecord c : children) {
          assertFalse(executorId(c).equals("driver"), "trained on a cluster executor, not in the driver");
          assertEquals("1", c.tags().get(TrialAttempt.OMP_TAG), "spark.executorEnv.OMP_NUM_THREADS on the executor");
          assertEquals("vector", c.tags().get(TrialAttempt.KERNELS_TAG), "the executor JVM has the Vector API");
          assertEquals("onednn", c.tags().get(io.gradsweep.tracking.Names.Tag.FLOAT_PRODUCTS),
              "oneDNN loaded in the executor JVM and computed the products");
        }
      } finally {
        if (cluster != null) {
          cluster.close();
        }
      }
    }
    assertFalse(cluster.daemons.isEmpty(), "pid files were written");
    assertEquals(1 + WORKERS, cluster.daemons.size(), "a master and two workers");
    for (long pgid : cluster.daemons) {
      assertFalse(LocalCluster.groupAlive(pgid), "process group " + pgid + " (daemon and its executors) is gone");
    }
    try (Stream<Path> jars = Files.walk(cluster.dir)) {
      assertEquals(List.of(), jars.filter(p -> p.toString().endsWith(".jar")).toList(),
          "stop removes the executors' copies of the application jar");
    }
  }

  /**
   * Worker loss: while both workers' executors train a trial each, worker 1's executor JVM is killed (SIGKILL, by
   * its pid). Spark runs the lost trial again on another executor; the sweep completes; every planned trial has
   * exactly one FINISHED child run with its step metrics once, the cut-off attempt is FAILED with tag
   * gradsweep.superseded, no run is left RUNNING, and the trials ran on the executors of both workers.
   */
  @Test
  void executorKilledMidTrialIsRetriedAndNoRunIsLeftRunning() throws Exception {
    LocalCluster cluster = null;
    try (MlflowTestServer server = MlflowTestServer.start()) {
      MlflowRestReader reader = new MlflowRestReader(server.uri());
      try {
        cluster = LocalCluster.start(WORKERS, 1, WORKER_MEMORY);
        Path spec = cluster.dir.resolve("long-trials.yaml");
        Files.writeString(spec, """
            name: worker-loss
            experiment: gradsweep-worker-loss
            task: {name: adding, eval_size: 64, eval_seed: 7}
            training: {batch_size: 16, max_steps: 3000, eval_every: 500, solve_threshold: 0.0001}
            grid: {cell: [rnn], seq_len: [30], hidden: [32], seeds: [1, 2]}
            """);
        List<TrialSpec> trials = Sweeps.parseFile(spec).trials();
        File out = File.createTempFile("out", ".txt");
        File err = File.createTempFile("err", ".txt");
        Process submit = cluster.launch(Map.of(), out, err, "jobs/bin/gradsweep", "submit", "--master",
            cluster.master, spec.toString(), "--tracking-uri", server.uri(), "--parallelism", "2");
        try {
          // wait until both trials train (one on each worker's executor), then kill worker 1's executor JVM
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
          int training = 0;
          while (training < trials.size() && System.nanoTime() < deadline && submit.isAlive()) {
            Thread.sleep(500);
            training = 0;
            var exp = reader.experimentId("gradsweep-worker-loss");
            if (exp.isPresent()) {
              for (RunRecord r : reader.runsOfExperiment(exp.get())) {
                if (r.parentRunId().isPresent() && !reader.metricHistory(r.runId(), "train/loss").isEmpty()) {
                  training++;
                }
              }
            }
          }
          assertEquals(trials.size(), training, "both trials started training:\n" + Files.readString(err.toPath()));
          List<ProcessHandle> victims = cluster.executorsOfWorker(1);
          assertEquals(1, victims.size(), "worker 1 runs one executor JVM");
          assertEquals(1, cluster.executorsOfWorker(2).size(), "worker 2 runs one executor JVM");
          assertEquals(0, LocalCluster.sh(Map.of(), 10, "kill", "-9", Long.toString(victims.get(0).pid())).status());
          assertTrue(submit.waitFor(420, TimeUnit.SECONDS), "the sweep finishes after the executor loss");
          String stderr = Files.readString(err.toPath());
          System.out.print(stderr);
          assertEquals(0, submit.exitValue(), stderr);

          String parent = SweepReadback.parentRunId(Files.readString(out.toPath()));
          List<RunRecord> children = reader.children(parent);
          Map<String, List<RunRecord>> byTrial = new HashMap<>();
          children.forEach(c -> byTrial.computeIfAbsent(c.tags().get("gradsweep.trial_id"), k -> new ArrayList<>())
              .add(c));
          assertEquals(trials.size(), byTrial.size(), "every planned trial has runs");
          int superseded = 0;
          Map<String, Integer> workerOf = cluster.workerOfExecutor();
          Set<Integer> workersUsed = new HashSet<>();
          for (TrialSpec t : trials) {
            List<RunRecord> runs = byTrial.get(t.id());
            List<RunRecord> finished = runs.stream().filter(r -> r.status().equals("FINISHED")).toList();
            assertEquals(1, finished.size(), "exactly one FINISHED run of " + t.displayName() + ": " + runs);
            for (String metric : SweepReadback.EVERY_STEP_METRICS) {
              List<Long> steps = reader.metricHistory(finished.get(0).runId(), metric).stream()
                  .map(MetricPoint::step).toList();
              assertEquals(SweepReadback.windowSteps(t, t.maxSteps()), steps.stream().sorted().toList(),
                  "the full " + metric + " history of " + t.displayName() + ", each logging window once");
            }
            for (RunRecord r : runs) {
              Integer worker = workerOf.get(executorId(r));
              assertTrue(worker != null, "executor " + executorId(r) + " has a work directory: " + workerOf);
              workersUsed.add(worker);
              if (!r.status().equals("FINISHED")) {
                assertEquals("FAILED", r.status(), "no run is left RUNNING");
                assertEquals("true", r.tags().get("gradsweep.superseded"), "cut-off attempt is tagged");
                assertEquals(1, worker, "the cut-off attempt ran on the killed executor of worker 1");
                superseded++;
              }
            }
          }
          assertTrue(superseded >= 1, "the killed executor cut off at least one attempt");
          assertEquals(Set.of(1, 2), workersUsed, "trials ran on both workers' executors");
          System.out.printf("worker loss: %d trials planned, %d FINISHED runs, %d superseded attempts%n",
              trials.size(), byTrial.size(), superseded);
        } finally {
          LocalCluster.kill(submit);
          out.delete();
          err.delete();
        }
      } finally {
        if (cluster != null) {
          cluster.close();
        }
      }
    }
  }

  /**
   * spark-cluster without a working curl: start waits on the workers' logs, status reads the master's JSON with
   * python3; and a start that fails half-way (worker JVMs that cannot start) stops the master it had started and
   * says why, instead of exiting silently under set -e.
   */
  @Test
  void startWorksWithoutCurlAndAFailedStartStopsWhatItStarted() throws Exception {
    Path bin = Files.createTempDirectory(REPO.resolve("jobs/target"), "no-curl");
    Path curl = bin.resolve("curl");
    Files.writeString(curl, "#!/bin/sh\necho 'curl: (7) stub' >&2\nexit 7\n");
    assertTrue(curl.toFile().setExecutable(true));
    Map<String, String> noCurl = Map.of("PATH", bin + File.pathSeparator + System.getenv("PATH"));

    LocalCluster cluster = LocalCluster.start(1, 1, "1g", noCurl);
    try {
      LocalCluster.Result status = LocalCluster.sh(cluster.env, 30, "jobs/bin/spark-cluster", "status");
      assertEquals(0, status.status(), status.err());
      assertTrue(status.out().contains("workers: 1 alive"), "python3 fallback:\n" + status.out());
    } finally {
      cluster.close();
    }

    Map<String, String> badWorker = new HashMap<>(noCurl);
    // a JVM that cannot start on any Java or Spark line (Spark 4 adds -XX:+IgnoreUnrecognizedVMOptions to every JVM)
    badWorker.put("SPARK_WORKER_OPTS", "-Djava.security.manager=no.such.SecurityManagerForThisTest");
    LocalCluster failing = LocalCluster.unstarted(badWorker);
    try {
      LocalCluster.Result start = LocalCluster.sh(failing.env, 180, "jobs/bin/spark-cluster", "start",
          "--workers", "1", "--cores", "1", "--memory", "1g");
      System.out.print(start.err());
      assertTrue(start.status() != 0, "the start fails: " + start.err());
      assertEquals("", start.out(), "no master URL is printed");
      assertTrue(start.err().contains("worker-1 did not start") || start.err().contains("worker 1 exited"),
          start.err());
      assertTrue(start.err().contains("start failed (exit status " + start.status() + "): stopping what it started"),
          start.err());
      assertTrue(start.err().contains("stopping master"), start.err());
      Matcher m = Pattern.compile("stopping master \\(process group (\\d+)\\)").matcher(start.err());
      assertTrue(m.find(), start.err());
      assertFalse(LocalCluster.groupAlive(Long.parseLong(m.group(1))), "the master's process group is gone");
      assertEquals(List.of(), LocalCluster.daemonPids(failing.dir), "stop removed the process group files");
      LocalCluster.Result url = LocalCluster.sh(failing.env, 30, "jobs/bin/spark-cluster", "url");
      assertEquals(1, url.status(), "no cluster runs: " + url.out());
    } finally {
      failing.close();
    }
  }
}
