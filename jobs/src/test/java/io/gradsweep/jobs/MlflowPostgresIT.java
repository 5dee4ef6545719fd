package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrialRun;
import io.gradsweep.tracking.mlflow.MlflowTrackingSink;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * jobs/bin/mlflow-local with the PostgreSQL store, real servers throughout: {@code jobs/bin/gradsweep run} with
 * {@code GRADSWEEP_MLFLOW_BACKEND=postgres} and no tracking URI starts PostgreSQL and the MLflow server and the
 * tiny sweep logs into them; {@code restart} replaces the MLflow server on the same URL while PostgreSQL keeps
 * running, and everything logged is still there and logging goes on; after both die by SIGKILL (a stale
 * postmaster.pid left behind) {@code start} brings them back on the same store; {@code stop}, twice, leaves no
 * process behind. No server holds a lock of the script or the launcher's output.
 *
 * <p>Its own state directory ({@code GRADSWEEP_MLFLOW_STATE_DIR}, under /tmp so that the unprivileged user
 * PostgreSQL runs as when the tests run as root can reach it); the venv is the checkout's.
 */
class MlflowPostgresIT {
  private static final Path SCRIPT = Path.of("bin/mlflow-local").toAbsolutePath();
  private static final Path LAUNCHER = Path.of("bin/gradsweep").toAbsolutePath();
  private static final Path TINY = Path.of("src/test/resources/tiny-sweep.yaml");

  private Path state;
  private Path pgData;

  record Result(int status, String out, String err) {}

  @BeforeEach
  void stateDirectory() throws IOException {
    state = Files.createTempDirectory("gradsweep-pg-it-", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwxr-xr-x")));
    pgData = state.toRealPath().resolve("postgres/data");
  }

  @AfterEach
  void cleanUp() throws Exception {
    try {
      run(120, Map.of(), SCRIPT.toString(), "stop");
    } finally {
      try (Stream<Path> walk = Files.walk(state)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private Result run(int seconds, Map<String, String> env, String... command) throws Exception {
    File out = File.createTempFile("out", ".txt");
    File err = File.createTempFile("err", ".txt");
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out).redirectError(err);
      pb.environment().remove("MLFLOW_TRACKING_URI");
      pb.environment().remove("GRADSWEEP_MLFLOW_BACKEND");
      pb.environment().remove("GRADSWEEP_MLFLOW_WORKERS");
      pb.environment().put("GRADSWEEP_MLFLOW_STATE_DIR", state.toString());
      pb.environment().putAll(env);
      Process p = pb.start();
      boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
      if (!done) {
        p.destroyForcibly();
      }
      String stderr = Files.readString(err.toPath(), StandardCharsets.UTF_8);
      assertTrue(done, String.join(" ", command) + " did not finish within " + seconds + " s: " + stderr);
      String stdout = Files.readString(out.toPath(), StandardCharsets.UTF_8);
      assertFalse(heldByAnyProcess(out.toPath()) || heldByAnyProcess(err.toPath()),
          "a server kept the output of " + String.join(" ", command) + " open");
      return new Result(p.exitValue(), stdout, stderr);
    } finally {
      out.delete();
      err.delete();
    }
  }

  private Result script(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(SCRIPT.toString()));
    command.addAll(List.of(args));
    return run(300, Map.of(), command.toArray(String[]::new));
  }

  @Test
  void aSweepLogsIntoPostgresAndSurvivesRestartsAndCrashes() throws Exception {
    long t0 = System.nanoTime();
    // the launcher starts mlflow-local itself: no tracking URI, the store (and one worker, to start faster on a
    // small machine) from the environment
    Result sweep = run(300, Map.of("GRADSWEEP_MLFLOW_BACKEND", "postgres", "GRADSWEEP_MLFLOW_WORKERS", "1",
        "GRADSWEEP_NO_BUILD", "1"),
        LAUNCHER.toString(), "run", TINY.toString(), "--parallelism", "2");
    assertEquals(0, sweep.status(), sweep.err());
    assertTrue(sweep.err().contains("starting postgres on 127.0.0.1:"), sweep.err());
    double sweepSeconds = (System.nanoTime() - t0) / 1e9;

    Result status = script("status");
    assertEquals(0, status.status(), status.out() + status.err());
    assertTrue(status.out().contains("postgres store") && status.out().contains("postgres: running on 127.0.0.1:"),
        status.out());
    String url = script("url").out().strip();
    String parentLine = "parent run: +" + Pattern.quote(url) + "/.*";
    assertTrue(sweep.out().lines().anyMatch(l -> l.matches(parentLine)), "logged to " + url + ":\n" + sweep.out());
    String parentId = SweepReadback.parentRunId(sweep.out());
    SweepReadback.assertSweepLogged(url, TINY, parentId);
    assertTrue(Files.readString(state.resolve("mlflow/server.store")).startsWith("postgresql+psycopg://mlflow@"));

    long mlflowPid = serverPid();
    long postmaster = postmasterPid();
    assertNoLockHeld(processGroup(mlflowPid));
    assertNoLockHeld(postgresProcesses());

    // restart: a new MLflow server on the same URL, with as many workers as before; the same PostgreSQL
    long t1 = System.nanoTime();
    Result restart = script("restart");
    assertEquals(0, restart.status(), restart.err());
    double restartSeconds = (System.nanoTime() - t1) / 1e9;
    assertEquals(url, restart.out().strip());
    assertTrue(script("status").out().contains("postgres store, 1 worker(s)"));
    assertNotEquals(mlflowPid, serverPid());
    assertTrue(processGroup(mlflowPid).isEmpty(), "the old server's processes are gone");
    assertEquals(postmaster, postmasterPid(), "PostgreSQL kept running");
    SweepReadback.assertSweepLogged(url, TINY, parentId);
    String afterRestart = logOneTrial(url, "after-restart");

    // both die by SIGKILL: start brings them back on the same store and workers, the MLflow server on the same URL
    long t2 = System.nanoTime();
    long before = serverPid();
    new ProcessBuilder("kill", "-KILL", "--", "-" + before).start().waitFor();
    new ProcessBuilder("kill", "-KILL", Long.toString(postmasterPid())).start().waitFor();
    waitUntil(() -> processGroup(before).isEmpty() && postgresProcesses().isEmpty(), 20);
    assertTrue(Files.exists(pgData.resolve("postmaster.pid")), "the crash left postmaster.pid behind");
    assertEquals(3, script("status").status());
    Result again = script("start"); // no --backend: the store of the server that crashed
    assertEquals(0, again.status(), again.err());
    assertTrue(again.err().contains("removing the stale"), again.err());
    assertEquals(url, again.out().strip(), again.err());
    assertTrue(script("status").out().contains("postgres store, 1 worker(s)"));
    double crashSeconds = (System.nanoTime() - t2) / 1e9;
    MlflowRestReader reader = new MlflowRestReader(url);
    assertEquals("FINISHED", reader.status(parentId));
    assertEquals(Sweeps.parseFile(TINY).trials().size(), reader.children(parentId).size());
    assertEquals(100, reader.metricHistory(afterRestart, "train/loss").size());
    Result twice = script("start", "--backend", "postgres");
    assertEquals(0, twice.status(), twice.err());
    assertTrue(twice.err().contains("reusing server pid " + serverPid()), twice.err());
    Result other = script("start", "--backend", "sqlite");
    assertEquals(1, other.status());
    assertTrue(other.err().contains("an MLflow server with the postgres store runs at " + url), other.err());

    // stop, twice: nothing left
    long last = serverPid();
    Result stop = script("stop");
    assertEquals(0, stop.status(), stop.err());
    assertTrue(processGroup(last).isEmpty(), "MLflow server processes left: " + processGroup(last));
    assertTrue(postgresProcesses().isEmpty(), "PostgreSQL processes left: " + postgresProcesses());
    Result stopAgain = script("stop");
    assertEquals(0, stopAgain.status(), stopAgain.err());
    assertTrue(stopAgain.err().contains("no MLflow server running") && stopAgain.err().contains("no postgres running"),
        stopAgain.err());
    assertEquals(3, script("status").status());
    System.out.printf("MlflowPostgresIT: sweep with PostgreSQL's first start %.1f s, restart %.1f s, SIGKILL and "
        + "start %.1f s, all %.1f s%n", sweepSeconds, restartSeconds, crashSeconds, (System.nanoTime() - t0) / 1e9);
  }

  /** A sweep of one trial with 100 train/loss points through the project's MLflow sink; the trial's run id. */
  private static String logOneTrial(String url, String sweepName) {
    TrialSpec trial = Sweeps.parseFile(TINY).trials().get(0);
    try (TrackingSink sink = new MlflowTrackingSink(url)) {
      SweepRun sweep = sink.startSweep("gradsweep-pg-it", sweepName, Map.of("n", "1"), Map.of(),
          "name: x\n".getBytes(StandardCharsets.UTF_8));
      String runId;
      try (TrialRun run = sink.startTrial(sweep, trial)) {
        for (int step = 1; step <= 100; step++) {
          run.logMetric("train/loss", 1.0 / step, step);
        }
        run.finish(true);
        runId = run.runId();
      }
      sink.endSweep(sweep, true);
      return runId;
    }
  }

  private long serverPid() throws IOException {
    return Long.parseLong(Files.readString(state.resolve("mlflow/server.pid")).strip());
  }

  private long postmasterPid() throws IOException {
    return Long.parseLong(Files.readAllLines(pgData.resolve("postmaster.pid")).get(0).strip());
  }

  /** Live (not zombie) processes of process group {@code pgid}. */
  private static List<Long> processGroup(long pgid) throws IOException {
    return liveProcesses(stat -> Long.parseLong(stat[2]) == pgid, proc -> true);
  }

  /** Live processes working in our PostgreSQL data directory: the postmaster and all its children. */
  private List<Long> postgresProcesses() throws IOException {
    return liveProcesses(stat -> true, proc -> {
      try {
        return Files.readSymbolicLink(proc.resolve("cwd")).equals(pgData);
      } catch (IOException e) {
        return false;
      }
    });
  }

  private static List<Long> liveProcesses(java.util.function.Predicate<String[]> statTest,
      java.util.function.Predicate<Path> procTest) throws IOException {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String stat = Files.readString(proc.resolve("stat"));
          // after "(comm) ": state, ppid, pgrp, ...
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          if (!fields[0].equals("Z") && statTest.test(fields) && procTest.test(proc)) {
            pids.add(Long.parseLong(proc.getFileName().toString()));
          }
        } catch (IOException | RuntimeException gone) {
          // the process ended while we looked
        }
      }
    }
    return pids;
  }

  private static Map<Long, List<String>> descriptors(List<Long> pids) {
    Map<Long, List<String>> all = new HashMap<>();
    for (long pid : pids) {
      List<String> targets = new ArrayList<>();
      try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
        for (Path fd : fds.toList()) {
          try {
            targets.add(Files.readSymbolicLink(fd).toString());
          } catch (IOException closed) {
            // closed while we looked
          }
        }
      } catch (IOException gone) {
        // ended while we looked
      }
      all.put(pid, targets);
    }
    return all;
  }

  private static void assertNoLockHeld(List<Long> pids) {
    assertFalse(pids.isEmpty(), "found the server's processes");
    Map<Long, List<String>> fds = descriptors(pids);
    assertTrue(fds.values().stream().flatMap(List::stream)
        .noneMatch(t -> t.endsWith("install.lock") || t.endsWith("mlflow-local.lock")),
        "a server holds a lock: " + fds);
  }

  private static boolean heldByAnyProcess(Path file) throws IOException {
    Path real = file.toRealPath();
    String self = Long.toString(ProcessHandle.current().pid());
    List<Long> all = liveProcesses(stat -> true, proc -> !proc.getFileName().toString().equals(self));
    return descriptors(all).values().stream().flatMap(List::stream).anyMatch(t -> t.equals(real.toString()));
  }

  interface Check {
    boolean holds() throws IOException;
  }

  private static void waitUntil(Check check, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!check.holds()) {
      assertTrue(System.nanoTime() < deadline, "not within " + seconds + " s");
      Thread.sleep(200);
    }
  }
}
