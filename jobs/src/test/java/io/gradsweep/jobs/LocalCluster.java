package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on 127.0.0.1 for the jobs ITs, started by {@code jobs/bin/spark-cluster} with the
 * Spark distribution's own {@code sbin/spark-daemon.sh} (SPARK_HOME, else the project's
 * {@code .gradsweep/spark/<version>/pyspark}) in a directory of its own under {@code jobs/target}. {@link #close()}
 * stops it with the script and then, as a safety net, forcibly ends what is left of the process groups it started
 * (each daemon runs in a session of its own, recorded in {@code <name>.pgid}: the executors the workers launched are
 * in it). Only these processes are ever signalled.
 */
final class LocalCluster implements AutoCloseable {
  static final Path REPO = Path.of(System.getProperty("gradsweep.repo.root", "..")).toAbsolutePath().normalize();

  record Result(int status, String out, String err) {}

  final Path dir;
  final Map<String, String> env;
  final List<Long> daemons = new ArrayList<>();
  String master;

  private LocalCluster(Path dir, Map<String, String> extraEnv) {
    this.dir = dir;
    Map<String, String> e = new HashMap<>(extraEnv);
    e.put("GRADSWEEP_CLUSTER_DIR", dir.toString());
    e.put("GRADSWEEP_NO_BUILD", "1");
    this.env = Map.copyOf(e);
  }

  /** A cluster directory of its own, nothing started yet (for tests of the script's failures). */
  static LocalCluster unstarted(Map<String, String> extraEnv) throws Exception {
    return new LocalCluster(Files.createTempDirectory(Files.createDirectories(REPO.resolve("jobs/target")), "it-spark-cluster"), extraEnv);
  }

  /** Starts a master and {@code workers} workers with {@code cores} cores and {@code memory} each. */
  static LocalCluster start(int workers, int cores, String memory) throws Exception {
    return start(workers, cores, memory, Map.of());
  }

  /** The same, with {@code extraEnv} in the environment of every spark-cluster call. */
  static LocalCluster start(int workers, int cores, String memory, Map<String, String> extraEnv) throws Exception {
    LocalCluster c = unstarted(extraEnv);
    try {
      Result start = sh(c.env, 180, "jobs/bin/spark-cluster", "start", "--workers", Integer.toString(workers),
          "--cores", Integer.toString(cores), "--memory", memory);
      c.daemons.addAll(daemonPids(c.dir));
      assertEquals(0, start.status(), start.err());
      c.master = start.out().strip();
      assertTrue(c.master.matches("spark://127\\.0\\.0\\.1:\\d+"), c.master);
      return c;
    } catch (Throwable t) {
      c.close();
      throw t;
    }
  }

  /** The pid of worker {@code n}'s JVM (1-based), as the distribution's spark-daemon.sh recorded it. */
  long workerPid(int n) throws Exception {
    return Long.parseLong(Files.readString(
        dir.resolve("pids/spark-gradsweep-org.apache.spark.deploy.worker.Worker-" + n + ".pid")).strip());
  }

  /** Pids of the executor JVMs that worker {@code n} (1-based) launched and that are alive now. */
  List<ProcessHandle> executorsOfWorker(int n) throws Exception {
    long pid = workerPid(n);
    List<ProcessHandle> out = new ArrayList<>();
    ProcessHandle.of(pid).ifPresent(h -> h.descendants()
        .filter(d -> d.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
        .forEach(out::add));
    return out;
  }

  /**
   * Which worker ran each executor: executor id to worker number, from the workers' work directories
   * ({@code work/worker-N/<app id>/<executor id>/}).
   */
  Map<String, Integer> workerOfExecutor() throws Exception {
    Map<String, Integer> out = new HashMap<>();
    try (Stream<Path> workers = Files.list(dir.resolve("work"))) {
      for (Path w : workers.toList()) {
        int n = Integer.parseInt(w.getFileName().toString().substring("worker-".length()));
        try (Stream<Path> apps = Files.list(w)) {
          for (Path app : apps.filter(Files::isDirectory).toList()) {
            try (Stream<Path> execs = Files.list(app)) {
              execs.filter(Files::isDirectory).forEach(e -> out.put(e.getFileName().toString(), n));
            }
          }
        }
      }
    }
    return out;
  }

  /** Every file the cluster wrote (daemon logs, executor stdout/stderr), as text. */
  Map<Path, String> allLogs() throws Exception {
    Map<Path, String> out = new HashMap<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.toString().endsWith(".jar")).toList()) {
        out.put(f, new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
      }
    }
    return out;
  }

  /** Stops the cluster: the script first, then SIGKILL to anything left in the daemons' process groups. */
  @Override
  public void close() throws Exception {
    Result stop = sh(env, 60, "jobs/bin/spark-cluster", "stop");
    System.out.print(stop.err());
    for (long pgid : daemons) { // safety net: only the process groups this cluster started
      if (groupAlive(pgid)) {
        sh(Map.of(), 10, "kill", "-KILL", "--", "-" + pgid);
      }
    }
  }

  static Result sh(Map<String, String> env, long timeoutSeconds, String... command) throws Exception {
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

  /** Process group ids of the daemons ({@code <name>.pgid}: each runs in a session of its own). */
  static List<Long> daemonPids(Path clusterDir) throws Exception {
    List<Long> pids = new ArrayList<>();
    if (Files.isDirectory(clusterDir)) {
      try (Stream<Path> files = Files.list(clusterDir)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".pgid")).toList()) {
          pids.add(Long.parseLong(Files.readString(f).strip()));
        }
      }
    }
    return pids;
  }

  static boolean groupAlive(long pgid) throws Exception {
    return sh(Map.of(), 10, "pgrep", "-g", Long.toString(pgid)).status() == 0;
  }

  /** A process started in the repository with the cluster's environment plus {@code extraEnv}. */
  Process launch(Map<String, String> extraEnv, File out, File err, String... command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(REPO.toFile()).redirectOutput(out).redirectError(err);
    pb.environment().putAll(env);
    pb.environment().putAll(extraEnv);
    return pb.start();
  }

  /** Ends a process and its descendants if it still runs. */
  static void kill(Process p) {
    if (p.isAlive()) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
  }
}
