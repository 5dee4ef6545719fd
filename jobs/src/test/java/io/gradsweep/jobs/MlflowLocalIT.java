package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * jobs/bin/mlflow-local as the README's two commands use it, one after the other: the quickstart starts the
 * checkout's server, and a later {@code jobs/bin/test-all} (or another quickstart) installs again while that server
 * runs. The server must not inherit the install lock (or it blocks every later install until it stops), nor any
 * other descriptor of the script beyond its standard streams and its own files.
 */
class MlflowLocalIT {
  private static final Path SCRIPT = Path.of("bin/mlflow-local").toAbsolutePath();
  private static final Path STATE = Path.of("..", ".gradsweep").toAbsolutePath().normalize();

  record Result(int status, String out, String err) {}

  private static Result run(int seconds, String... args) throws Exception {
    File out = File.createTempFile("out", ".txt");
    File err = File.createTempFile("err", ".txt");
    try {
      List<String> command = new ArrayList<>(List.of(SCRIPT.toString()));
      command.addAll(List.of(args));
      Process p = new ProcessBuilder(command).redirectOutput(out).redirectError(err).start();
      boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
      if (!done) {
        p.destroyForcibly();
      }
      assertTrue(done, "mlflow-local " + String.join(" ", args) + " did not finish within " + seconds + " s: "
          + Files.readString(err.toPath(), StandardCharsets.UTF_8));
      return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
          Files.readString(err.toPath(), StandardCharsets.UTF_8));
    } finally {
      out.delete();
      err.delete();
    }
  }

  /** Where the descriptors of {@code pid} and of every process in its process group point. */
  static List<String> descriptorsOfGroup(long pid) throws IOException {
    List<String> targets = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String stat = Files.readString(proc.resolve("stat"));
          String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          if (Long.parseLong(fields[2]) != pid) { // field 5 of stat: the process group
            continue;
          }
          try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
            for (Path fd : fds.toList()) {
              targets.add(proc.getFileName() + " fd " + fd.getFileName() + " -> " + Files.readSymbolicLink(fd));
            }
          }
        } catch (IOException | RuntimeException gone) {
          // the process ended while we looked
        }
      }
    }
    return targets;
  }

  @Test
  void theServerHoldsNoInstallLockAndInstallingAgainWhileItRunsFinishes() throws Exception {
    boolean wasRunning = run(60, "status").status() == 0;
    if (wasRunning) {
      run(60, "stop");
    }
    // as on a fresh clone: 'start' must install first (here pip finds everything in place), under the lock
    Files.deleteIfExists(STATE.resolve("venv/.gradsweep-requirements.sha256"));
    Result start = run(300, "start");
    assertTrue(start.err().contains("installing mlflow"), "start installed first: " + start.err());
    assertEquals(0, start.status(), start.err());
    try {
      long pid = Long.parseLong(Files.readString(STATE.resolve("mlflow/server.pid")).strip());
      List<String> fds = descriptorsOfGroup(pid);
      assertTrue(!fds.isEmpty(), "found the server's process group " + pid);
      assertTrue(fds.stream().noneMatch(f -> f.endsWith("install.lock") || f.endsWith("mlflow-local.lock")),
          "the server inherited the install lock: " + fds);

      Result install = run(300, "install");
      assertEquals(0, install.status(), install.err());
      Result again = run(60, "start");
      assertEquals(0, again.status(), again.err());
      assertTrue(again.err().contains("reusing server pid " + pid), again.err());
    } finally {
      if (!wasRunning) {
        run(60, "stop");
      }
    }
    assertTrue(run(60, "install").err().contains("MLflow already installed"), "the install stamp is back");
  }
}
