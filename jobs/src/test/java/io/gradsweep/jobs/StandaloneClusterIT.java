package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The product path on a real standalone cluster: jobs/bin/spark-cluster starts 1 master + 1 worker on
 * 127.0.0.1, jobs/bin/gradsweep submit sends the shaded jar through SparkSubmit, the worker's executor trains
 * the trials (ND4J natives loaded from the uber jar), and everything lands in a real MLflow server. Every
 * process the cluster started is stopped in {@code finally}.
 */
class StandaloneClusterIT {
  static final Path REPO = Path.of(System.getProperty("gradsweep.repo.root", "..")).toAbsolutePath().normalize();
  static final Path TINY = REPO.resolve("jobs/src/test/resources/tiny-sweep.yaml");

  record Result(int status, String out, String err) {}

  private static Result sh(Map<String, String> env, long timeoutSeconds, String... command) throws Exception {
    File out = File.createTempFile("out", ".txt");
    File err = File.createTempFile("err", ".txt");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).directory(REPO.toFile()).redirectOutput(out).redirectError(err);
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s:\n"
            + Files.readString(err.toPath()));
      }
      return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
          Files.readString(err.toPath(), StandardCharsets.UTF_8));
    } finally {
      out.delete();
      err.delete();
    }
  }

  /** Process group ids of the daemons (each runs in a session of its own: pid = pgid). */
  private static List<Long> daemonPids(Path clusterDir) throws Exception {
    List<Long> pids = new ArrayList<>();
    if (Files.isDirectory(clusterDir)) {
      try (Stream<Path> files = Files.list(clusterDir)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".pid")).toList()) {
          pids.add(Long.parseLong(Files.readString(f).strip()));
        }
      }
    }
    return pids;
  }

  private static boolean groupAlive(long pgid) throws Exception {
    return sh(Map.of(), 10, "pgrep", "-g", Long.toString(pgid)).status() == 0;
  }

  @Test
  void sweepSubmittedToAStandaloneClusterRunsOnItsExecutors() throws Exception {
    Path clusterDir = Files.createTempDirectory(REPO.resolve("jobs/target"), "it-spark-cluster");
    Map<String, String> env = Map.of("GRADSWEEP_CLUSTER_DIR", clusterDir.toString(), "GRADSWEEP_NO_BUILD", "1");
    List<Long> daemons = new ArrayList<>();
    try (MlflowTestServer server = MlflowTestServer.start()) {
      try {
        long t0 = System.nanoTime();
        Result start = sh(env, 180, "jobs/bin/spark-cluster", "start", "--workers", "1", "--cores", "2",
            "--memory", "2g");
        daemons.addAll(daemonPids(clusterDir));
        assertEquals(0, start.status(), start.err());
        String master = start.out().strip();
        assertTrue(master.matches("spark://127\\.0\\.0\\.1:\\d+"), master);
        assertEquals(master, sh(env, 30, "jobs/bin/spark-cluster", "url").out().strip());
        double startSeconds = (System.nanoTime() - t0) / 1e9;

        t0 = System.nanoTime();
        Result submit = sh(env, 600, "jobs/bin/gradsweep", "submit", "--master", master, TINY.toString(),
            "--tracking-uri", server.uri());
        System.out.printf("cluster start: %.1f s, submit: %.1f s%n%s%s", startSeconds,
            (System.nanoTime() - t0) / 1e9, submit.out(), submit.err());
        assertEquals(0, submit.status(), submit.err());
        int planned = io.gradsweep.spec.SweepSpecParser.parseFile(TINY).trials().size();
        assertTrue(submit.err().contains(planned + " trials to run on " + master + ", at most 2 at a time"), submit.err());

        List<RunRecord> children =
            SweepReadback.assertSweepLogged(server.uri(), TINY, SweepReadback.parentRunId(submit.out()));
        for (RunRecord c : children) {
          String executor = c.tags().get(TrialTask.EXECUTOR_TAG);
          assertTrue(executor.startsWith("executor ") && !executor.startsWith("executor driver"),
              "trained on a cluster executor, not in the driver: " + executor);
          assertEquals("1", c.tags().get(TrialTask.OMP_TAG), "spark.executorEnv.OMP_NUM_THREADS on the executor");
        }
      } finally {
        Result stop = sh(env, 60, "jobs/bin/spark-cluster", "stop");
        System.out.print(stop.err());
        if (stop.status() != 0) { // a safety net should the script fail: only the processes this test started
          for (long pgid : daemons) {
            ProcessHandle.of(pgid).ifPresent(h -> {
              h.descendants().forEach(ProcessHandle::destroyForcibly);
              h.destroyForcibly();
            });
          }
        }
      }
    }
    assertFalse(daemons.isEmpty(), "pid files were written");
    for (long pgid : daemons) {
      assertFalse(groupAlive(pgid), "process group " + pgid + " (daemon and its executors) is gone after stop");
    }
    try (Stream<Path> jars = Files.walk(clusterDir)) {
      assertEquals(List.of(), jars.filter(p -> p.toString().endsWith(".jar")).toList(),
          "stop removes the executors' copies of the application jar");
    }
  }

  /**
   * Worker loss: the executor JVM is killed (SIGKILL) while trials train. Spark runs the lost trials again on a
   * new executor; the sweep completes; every planned trial has exactly one FINISHED child run with its step
   * metrics once, and the cut-off attempts are not left RUNNING (FAILED, tag gradsweep.superseded).
   */
  @Test
  void executorKilledMidTrialIsRetriedAndNoRunIsLeftRunning() throws Exception {
    Path clusterDir = Files.createTempDirectory(REPO.resolve("jobs/target"), "it-spark-cluster");
    Path spec = clusterDir.resolve("long-trials.yaml");
    Files.writeString(spec, """
        name: worker-loss
        experiment: gradsweep-worker-loss
        task: {name: adding, eval_size: 64, eval_seed: 7}
        training: {batch_size: 16, max_steps: 3000, eval_every: 500, solve_threshold: 0.0001}
        grid: {cell: [rnn], seq_len: [30], hidden: [32], seeds: [1, 2]}
        """);
    Map<String, String> env = Map.of("GRADSWEEP_CLUSTER_DIR", clusterDir.toString(), "GRADSWEEP_NO_BUILD", "1");
    List<Long> daemons = new ArrayList<>();
    try (MlflowTestServer server = MlflowTestServer.start()) {
      io.gradsweep.testkit.MlflowRestReader reader = new io.gradsweep.testkit.MlflowRestReader(server.uri());
      try {
        Result start = sh(env, 180, "jobs/bin/spark-cluster", "start", "--workers", "1", "--cores", "2",
            "--memory", "2g");
        daemons.addAll(daemonPids(clusterDir));
        assertEquals(0, start.status(), start.err());
        String master = start.out().strip();

        File out = File.createTempFile("out", ".txt");
        File err = File.createTempFile("err", ".txt");
        ProcessBuilder pb = new ProcessBuilder("jobs/bin/gradsweep", "submit", "--master", master, spec.toString(),
            "--tracking-uri", server.uri()).directory(REPO.toFile()).redirectOutput(out).redirectError(err);
        pb.environment().putAll(env);
        Process submit = pb.start();
        try {
          // wait until a trial is training on the executor, then kill the executor JVM
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
          boolean training = false;
          while (!training && System.nanoTime() < deadline && submit.isAlive()) {
            Thread.sleep(500);
            var exp = reader.experimentId("gradsweep-worker-loss");
            if (exp.isPresent()) {
              for (RunRecord r : reader.runsOfExperiment(exp.get())) {
                if (r.parentRunId().isPresent() && !reader.metricHistory(r.runId(), "train/loss").isEmpty()) {
                  training = true;
                }
              }
            }
          }
          assertTrue(training, "a trial started training:\n" + Files.readString(err.toPath()));
          List<ProcessHandle> executors = new ArrayList<>();
          for (long pgid : daemons) {
            ProcessHandle.of(pgid).ifPresent(h -> h.descendants()
                .filter(d -> d.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
                .forEach(executors::add));
          }
          assertFalse(executors.isEmpty(), "found the executor JVM");
          executors.forEach(ProcessHandle::destroyForcibly); // SIGKILL
          assertTrue(submit.waitFor(420, TimeUnit.SECONDS), "the sweep finishes after the executor loss");
          String stderr = Files.readString(err.toPath());
          System.out.print(stderr);
          assertEquals(0, submit.exitValue(), stderr);

          String parent = SweepReadback.parentRunId(Files.readString(out.toPath()));
          List<RunRecord> children = reader.children(parent);
          Map<String, List<RunRecord>> byTrial = new java.util.HashMap<>();
          children.forEach(c -> byTrial.computeIfAbsent(c.tags().get("gradsweep.trial_id"), k -> new ArrayList<>())
              .add(c));
          var trials = io.gradsweep.spec.SweepSpecParser.parseFile(spec).trials();
          assertEquals(trials.size(), byTrial.size(), "every planned trial has runs");
          int superseded = 0;
          for (var t : trials) {
            List<RunRecord> runs = byTrial.get(t.id());
            List<RunRecord> finished = runs.stream().filter(r -> r.status().equals("FINISHED")).toList();
            assertEquals(1, finished.size(), "exactly one FINISHED run of " + t.displayName() + ": " + runs);
            List<Long> steps = reader.metricHistory(finished.get(0).runId(), "train/loss").stream()
                .map(io.gradsweep.tracking.MetricPoint::step).toList();
            assertEquals(java.util.stream.LongStream.rangeClosed(1, t.maxSteps()).boxed().toList(), steps,
                "the full loss history of " + t.displayName() + ", each step once");
            for (RunRecord r : runs) {
              if (!r.status().equals("FINISHED")) {
                assertEquals("FAILED", r.status(), "no run is left RUNNING");
                assertEquals("true", r.tags().get("gradsweep.superseded"), "cut-off attempt is tagged");
                superseded++;
              }
            }
          }
          assertTrue(superseded >= 1, "the killed executor cut off at least one attempt");
        } finally {
          if (submit.isAlive()) {
            submit.descendants().forEach(ProcessHandle::destroyForcibly);
            submit.destroyForcibly();
          }
          out.delete();
          err.delete();
        }
      } finally {
        Result stop = sh(env, 60, "jobs/bin/spark-cluster", "stop");
        System.out.print(stop.err());
        for (long pgid : daemons) {
          ProcessHandle.of(pgid).ifPresent(h -> {
            h.descendants().forEach(ProcessHandle::destroyForcibly);
            h.destroyForcibly();
          });
        }
      }
    }
  }
}
