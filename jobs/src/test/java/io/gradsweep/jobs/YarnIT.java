package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.sweep.TrialAttempt;
import io.gradsweep.testkit.MlflowTestServer;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A sweep on YARN with the Spark distribution's own spark-submit: jobs/bin/yarn-mini starts a MiniYARNCluster (its
 * own JVM and class path) with its directory under jobs/target, a real MLflow server takes the runs, and
 * {@code spark-submit --master yarn} runs the uber jar in client deploy mode (driver here, spec given as a
 * {@code file:///} URI and read with Hadoop's FileSystem) and in cluster deploy mode (driver in a YARN container,
 * spec shipped with {@code --files} and named by its file name), both submitted at once. Each mode must exit 0, leave a YARN application
 * FINISHED/SUCCEEDED, and one FINISHED child run per trial, trained in YARN containers (executor tag) with the
 * Vector API. The cluster is stopped in {@code finally}; afterwards no process of it, and no container, is left.
 */
class YarnIT {
  static final Path REPO = LocalCluster.REPO;
  /** The uber jar, as the README's spark-submit line names it (the one place this test names it). */
  static final String UBER_JAR = "jobs/target/gradsweep-spark3.jar";
  /** The Spark 3.5 distribution (pyspark's), unless SPARK_HOME names another. */
  static final Path SPARK_HOME = System.getenv("SPARK_HOME") != null ? Path.of(System.getenv("SPARK_HOME"))
      : REPO.resolve(".gradsweep/spark/3.5.8/pyspark");
  static final Path TINY = REPO.resolve("jobs/src/test/resources/tiny-sweep.yaml");
  private static final Pattern APP_ID = Pattern.compile("(application_\\d+_\\d+)");

  record Result(int status, String out, String err) {}

  @Test
  void sweepRunsOnYarnInClientAndClusterDeployMode() throws Exception {
    assertTrue(Files.isExecutable(SPARK_HOME.resolve("bin/spark-submit")), "no Spark distribution at " + SPARK_HOME
        + ": install it with jobs/bin/spark-dist install");
    Path dir = Files.createTempDirectory(REPO.resolve("jobs/target"), "it-yarn");
    Map<String, String> yarnEnv = Map.of("GRADSWEEP_YARN_DIR", dir.toString());
    List<Long> clusterPids = new ArrayList<>();
    try (MlflowTestServer server = MlflowTestServer.start()) {
      try {
        long t0 = System.nanoTime();
        Result start = run(yarnEnv, dir.resolve("yarn-mini-start"), 300, "jobs/bin/yarn-mini", "start");
        Files.readAllLines(dir.resolve("yarn-mini.pid")).forEach(l -> clusterPids.add(Long.parseLong(l.strip())));
        assertEquals(0, start.status(), start.err());
        Path conf = Path.of(start.out().strip());
        assertTrue(Files.isRegularFile(conf.resolve("yarn-site.xml")), conf + " has yarn-site.xml");
        double startSeconds = seconds(t0);
        Map<String, String> submitEnv = Map.of("HADOOP_CONF_DIR", conf.toString(),
            "SPARK_HOME", SPARK_HOME.toString());
        // Spark's jars are on this machine already: no zip of SPARK_HOME/jars uploaded per application
        String jars = "spark.yarn.jars=local:" + SPARK_HOME.resolve("jars") + "/*";

        // both modes at once (the cluster has room for both; much of each is waiting for YARN), each with one
        // executor container of two cores: two trials at a time
        t0 = System.nanoTime();
        Running client = start(submitEnv, dir.resolve("client"), SPARK_HOME.resolve("bin/spark-submit").toString(),
            "--master", "yarn", "--deploy-mode", "client", "--conf", jars, "--num-executors", "1",
            "--executor-cores", "2", UBER_JAR, "run", TINY.toUri().toString(), "--tracking-uri", server.uri());
        Running cluster = start(submitEnv, dir.resolve("cluster"), SPARK_HOME.resolve("bin/spark-submit").toString(),
            "--master", "yarn", "--deploy-mode", "cluster", "--conf", jars, "--conf", "spark.yarn.maxAppAttempts=1",
            "--num-executors", "1", "--executor-cores", "2", "--files", TINY.toString(), UBER_JAR,
            "run", TINY.getFileName().toString(), "--tracking-uri", server.uri());
        Result clientResult = client.await(300);
        Result clusterResult = cluster.await(300);
        double clientSeconds = (client.endedNanos().get() - t0) / 1e9;
        double clusterSeconds = (cluster.endedNanos().get() - t0) / 1e9;

        assertEquals(0, clientResult.status(), clientResult.err());
        String clientApp = appId(clientResult.err());
        assertTrue(clientResult.err().contains("5 trials to run on yarn, at most 2 at a time"), clientResult.err());
        assertTrainedInContainers(SweepReadback.assertSweepLogged(server.uri(), TINY,
            SweepReadback.parentRunId(clientResult.out())));

        assertEquals(0, clusterResult.status(), clusterResult.err());
        String clusterApp = appId(clusterResult.err());
        assertTrue(clusterResult.err().contains("final status: SUCCEEDED"), clusterResult.err());
        // the driver ran in the ApplicationMaster's container: its stdout (summary, parent run) is in its log
        Path driverStdout = containerLog(dir, clusterApp, "_01_000001", "stdout");
        String driverErr = Files.readString(containerLog(dir, clusterApp, "_01_000001", "stderr"));
        assertTrue(driverErr.contains("[gradsweep] sweep 'tiny-adding': 5 trials to run on yarn, at most 2 at a "
            + "time"), driverErr);
        assertTrainedInContainers(SweepReadback.assertSweepLogged(server.uri(), TINY,
            SweepReadback.parentRunId(Files.readString(driverStdout))));

        Result apps = run(yarnEnv, dir.resolve("apps"), 60, "jobs/bin/yarn-mini", "apps");
        assertEquals(0, apps.status(), apps.err());
        assertEquals(Set.of(clientApp + "\tFINISHED\tSUCCEEDED\tgradsweep tiny-adding",
            clusterApp + "\tFINISHED\tSUCCEEDED\t" + Path.of(UBER_JAR).getFileName()), Set.copyOf(apps.out().lines().toList()),
            "client mode: named after the sweep; cluster mode: YARN has the name spark-submit gave (--name sets it)");
        System.out.printf("yarn-mini start: %.1f s, both submitted at once: client mode done after %.1f s, cluster "
            + "mode after %.1f s%n", startSeconds,
            clientSeconds, clusterSeconds);
      } finally {
        long t0 = System.nanoTime();
        Result stop = run(yarnEnv, dir.resolve("yarn-mini-stop"), 120, "jobs/bin/yarn-mini", "stop");
        System.out.printf("yarn-mini stop: %.1f s%n%s", seconds(t0), stop.err());
        for (long pid : clusterPids) { // safety net: only the process group the script started
          ProcessHandle.of(pid).ifPresent(h -> {
            h.descendants().forEach(ProcessHandle::destroyForcibly);
            h.destroyForcibly();
          });
        }
      }
    }
    assertEquals(1, clusterPids.size(), "yarn-mini wrote its pid");
    assertFalse(LocalCluster.groupAlive(clusterPids.get(0)), "the cluster's process group is gone");
    assertEquals(List.of(), processesUnder(dir), "no container process is left");
    assertFalse(Files.exists(dir.resolve("conf/ready")), "the ready marker is removed");
    assertTrue(Files.exists(dir.resolve("yarn-mini.log")), "the cluster's log stays");
    try (Stream<Path> files = Files.walk(dir)) {
      assertEquals(List.of(), files.filter(p -> p.toString().endsWith(".jar")).toList(),
          "stop removes the NodeManager's cached copies of the application jar");
    }
  }

  /** Every child trained in an executor container (not the driver), with the Vector API and one OpenMP thread. */
  private static void assertTrainedInContainers(List<RunRecord> children) {
    for (RunRecord c : children) {
      String executor = StandaloneClusterIT.executorId(c);
      assertTrue(executor.matches("\\d+"), "trained in executor container " + executor + ", not the driver: "
          + c.tags().get(TrialAttempt.EXECUTOR_TAG));
      assertEquals("vector", c.tags().get(TrialAttempt.KERNELS_TAG), "the executor JVM has the Vector API");
      assertEquals("onednn", c.tags().get(io.gradsweep.tracking.Names.Tag.FLOAT_PRODUCTS),
          "oneDNN loaded in the executor JVM and computed the products");
      assertEquals("1", c.tags().get(TrialAttempt.OMP_TAG), "spark.executorEnv.OMP_NUM_THREADS in the container");
    }
  }

  private static String appId(String sparkSubmitErr) {
    Matcher m = APP_ID.matcher(sparkSubmitErr);
    assertTrue(m.find(), "spark-submit names the YARN application:\n" + sparkSubmitErr);
    return m.group(1);
  }

  /** {@code name} (stdout, stderr) of the container of {@code app} whose id ends with {@code suffix}. */
  private static Path containerLog(Path dir, String app, String suffix, String name) throws IOException {
    try (Stream<Path> files = Files.walk(dir.resolve("work"))) {
      List<Path> hits = files.filter(p -> p.getFileName().toString().equals(name))
          .filter(p -> p.getParent().getFileName().toString().endsWith(suffix))
          .filter(p -> p.getParent().getParent().getFileName().toString().equals(app)).toList();
      assertEquals(1, hits.size(), "one " + name + " of " + app + "'s container *" + suffix + ": " + hits);
      return hits.get(0);
    }
  }

  /** Pids of live processes whose working directory is under {@code dir} (a container runs in its own). */
  private static List<Long> processesUnder(Path dir) throws IOException {
    Path real = dir.toRealPath();
    List<Long> out = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          if (Files.readSymbolicLink(p.resolve("cwd")).startsWith(real)) {
            out.add(Long.parseLong(p.getFileName().toString()));
          }
        } catch (IOException | SecurityException e) {
          // gone, or not ours to read
        }
      }
    }
    return out;
  }

  /** A command started by {@link #start}. */
  record Running(Process process, Path out, Path err, String command, CompletableFuture<Long> endedNanos) {
    Result await(long timeoutSeconds) throws Exception {
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new AssertionError(command + " did not finish in " + timeoutSeconds + " s:\n"
            + Files.readString(err, StandardCharsets.UTF_8));
      }
      return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    }
  }

  /** Starts {@code command} in the repository with {@code env} added; stdout and stderr go to prefix.out/.err. */
  static Running start(Map<String, String> env, Path prefix, String... command) throws IOException {
    Path out = Path.of(prefix + ".out");
    Path err = Path.of(prefix + ".err");
    ProcessBuilder pb = new ProcessBuilder(command).directory(REPO.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    return new Running(p, out, err, String.join(" ", command), p.onExit().thenApply(x -> System.nanoTime()));
  }

  /** Runs {@code command} in the repository with {@code env} added; stdout and stderr kept in prefix.out/.err. */
  static Result run(Map<String, String> env, Path prefix, long timeoutSeconds, String... command) throws Exception {
    return start(env, prefix, command).await(timeoutSeconds);
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
