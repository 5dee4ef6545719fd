package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import io.gradsweep.tracking.MetricPoint;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Driver loss: the driver JVM of a sweep on local[2] (started by jobs/bin/gradsweep, as a user would) is killed
 * with SIGKILL while trials run. {@code run --resume} then reuses the parent run, skips every trial that FINISHED,
 * ends the cut-off attempts FAILED (superseded) and runs the rest; resumed again with an extended grid, it runs
 * only the new trials. Every process started here is killed in {@code finally}.
 */
class DriverLossIT {
  static final Path REPO = StandaloneClusterIT.REPO;
  static final String EXPERIMENT = "gradsweep-driver-loss";
  static final String SPEC = """
      name: driver-loss
      experiment: gradsweep-driver-loss
      task: {name: adding, eval_size: 64, eval_seed: 7}
      training: {batch_size: 16, max_steps: 1500, eval_every: 500, solve_threshold: 0.0001, log_points: 1500}
      grid: {cell: [rnn], seq_len: [20], hidden: [16], lr: [0.01, 0.003], seeds: [SEEDS]}
      """;

  record Finished(int status, String out, String err) {}

  private static Process launch(Path spec, String uri, boolean resume, File out, File err) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("jobs/bin/gradsweep", "run", spec.toString(), "--tracking-uri", uri,
        "--conf", "spark.master=local[2]", "--conf", "spark.gradsweep.progress.seconds=0"));
    if (resume) {
      cmd.add("--resume");
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(REPO.toFile()).redirectOutput(out).redirectError(err);
    pb.environment().put("GRADSWEEP_NO_BUILD", "1");
    return pb.start();
  }

  private static Finished runToEnd(Path spec, String uri, boolean resume) throws Exception {
    File out = File.createTempFile("out", ".txt");
    File err = File.createTempFile("err", ".txt");
    Process p = launch(spec, uri, resume, out, err);
    try {
      assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the sweep ends: " + Files.readString(err.toPath()));
      Finished f = new Finished(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8),
          Files.readString(err.toPath(), StandardCharsets.UTF_8));
      System.out.print(f.err());
      return f;
    } finally {
      kill(p);
      out.delete();
      err.delete();
    }
  }

  private static void kill(Process p) {
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly(); // SIGKILL: no shutdown hook runs
  }

  private static List<RunRecord> children(MlflowRestReader reader, String parent) {
    return reader.children(parent);
  }

  private static List<RunRecord> parents(MlflowRestReader reader) {
    return reader.experimentId(EXPERIMENT).map(id -> reader.runsOfExperiment(id).stream()
        .filter(r -> r.parentRunId().isEmpty()).toList()).orElse(List.of());
  }

  @Test
  void killedDriverResumesWithoutRerunningFinishedTrialsAndAnExtendedGridRunsOnlyTheNewTrials() throws Exception {
    Path dir = Files.createTempDirectory(REPO.resolve("jobs/target"), "it-driver-loss");
    Path spec = dir.resolve("driver-loss.yaml");
    Files.writeString(spec, SPEC.replace("SEEDS", "1, 2, 3"));
    List<TrialSpec> planned = Sweeps.parseFile(spec).trials();
    assertEquals(6, planned.size());

    try (MlflowTestServer server = MlflowTestServer.start()) {
      MlflowRestReader reader = new MlflowRestReader(server.uri());

      // 1. start the sweep, and kill its driver once a trial has FINISHED while another is RUNNING
      File out = File.createTempFile("out", ".txt");
      File err = File.createTempFile("err", ".txt");
      Process driver = launch(spec, server.uri(), false, out, err);
      String parent;
      Map<String, String> finishedBefore = new HashMap<>(); // trial id -> run id
      Set<String> runningBefore = new HashSet<>();
      try {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        boolean killed = false;
        while (!killed && System.nanoTime() < deadline && driver.isAlive()) {
          Thread.sleep(200);
          List<RunRecord> ps = parents(reader);
          if (ps.isEmpty()) {
            continue;
          }
          List<RunRecord> cs = children(reader, ps.get(0).runId());
          boolean anyFinished = cs.stream().anyMatch(c -> c.status().equals("FINISHED"));
          boolean anyRunning = cs.stream().anyMatch(c -> c.status().equals("RUNNING"));
          if (anyFinished && anyRunning) {
            kill(driver);
            killed = true;
          }
        }
        assertTrue(killed, "killed the driver mid-sweep; its log:\n" + Files.readString(err.toPath()));
        assertTrue(driver.waitFor(30, TimeUnit.SECONDS));
      } finally {
        kill(driver);
        out.delete();
        err.delete();
      }
      List<RunRecord> ps = parents(reader);
      assertEquals(1, ps.size());
      parent = ps.get(0).runId();
      assertEquals("RUNNING", reader.status(parent), "SIGKILL: the parent run could not be ended");
      for (RunRecord c : children(reader, parent)) {
        String status = reader.status(c.runId()); // read again: a trial may have finished while we killed
        if (status.equals("FINISHED")) {
          finishedBefore.put(c.tags().get("gradsweep.trial_id"), c.runId());
        } else {
          assertEquals("RUNNING", status);
          runningBefore.add(c.runId());
        }
      }
      assertFalse(finishedBefore.isEmpty());
      assertTrue(finishedBefore.size() < planned.size(), "the sweep was cut off: " + finishedBefore.size());

      // 2. run --resume: same parent, finished trials skipped, the rest run
      Finished resumed = runToEnd(spec, server.uri(), true);
      assertEquals(0, resumed.status(), resumed.err());
      assertTrue(resumed.err().contains("resuming sweep 'driver-loss'") && resumed.err().contains(
          finishedBefore.size() + " of 6 trials already FINISHED, " + (6 - finishedBefore.size()) + " to run"),
          resumed.err());
      assertEquals(parent, SweepReadback.parentRunId(resumed.out()), "the parent run is reused");
      assertEquals(1, parents(reader).size(), "no second parent run");
      assertEquals("FINISHED", reader.status(parent));
      assertEquals("1", reader.tags(parent).get("gradsweep.resumed"));
      assertExactlyOneFinishedRunPerTrial(reader, parent, planned, finishedBefore, runningBefore);
      int cutOff = runningBefore.size();
      assertEquals(planned.size() + cutOff, children(reader, parent).size(),
          "one run per trial plus the " + cutOff + " cut-off attempts: finished trials were not run again");

      // 3. the grid extended by a seed: run --resume runs only the 2 new trials
      Map<String, String> finishedAll = new HashMap<>();
      children(reader, parent).stream().filter(c -> c.status().equals("FINISHED"))
          .forEach(c -> finishedAll.put(c.tags().get("gradsweep.trial_id"), c.runId()));
      int runsBefore = children(reader, parent).size();
      Files.writeString(spec, SPEC.replace("SEEDS", "1, 2, 3, 4"));
      List<TrialSpec> extended = Sweeps.parseFile(spec).trials();
      assertEquals(8, extended.size());
      Finished again = runToEnd(spec, server.uri(), true);
      assertEquals(0, again.status(), again.err());
      assertTrue(again.err().contains("6 of 8 trials already FINISHED, 2 to run"), again.err());
      assertEquals(runsBefore + 2, children(reader, parent).size(), "exactly the 2 new trials ran");
      assertEquals("2", reader.tags(parent).get("gradsweep.resumed"));
      assertTrue(reader.tags(parent).get(io.gradsweep.sweep.SweepDriver.CHANGED_PARAMS_TAG).contains("grid.seeds"),
          reader.tags(parent).toString());
      assertEquals("FINISHED", reader.status(parent));
      assertExactlyOneFinishedRunPerTrial(reader, parent, extended, finishedAll, Set.of());
      assertArrayEquals(Files.readAllBytes(spec), reader.downloadArtifact(parent, "sweep.yaml"),
          "sweep.yaml is the current spec");
      String csv = new String(reader.downloadArtifact(parent, "trials.csv"), StandardCharsets.UTF_8);
      assertEquals(1 + 8, csv.lines().count(), "trials.csv covers the whole extended sweep:\n" + csv);
      assertTrue(again.out().lines().filter(l -> l.matches("\\s*\\d+\\s.*")).count() >= 8, again.out());
    }
  }

  /**
   * Every planned trial has exactly one FINISHED run with its full loss history, each step once; trials that had
   * FINISHED before kept that run (not run again); the attempts cut off are FAILED and superseded; none RUNNING.
   */
  private static void assertExactlyOneFinishedRunPerTrial(MlflowRestReader reader, String parent,
      List<TrialSpec> planned, Map<String, String> finishedBefore, Set<String> cutOff) {
    Map<String, List<RunRecord>> byTrial = new HashMap<>();
    for (RunRecord c : children(reader, parent)) {
      byTrial.computeIfAbsent(c.tags().get("gradsweep.trial_id"), k -> new ArrayList<>()).add(c);
      assertFalse(c.status().equals("RUNNING"), "no run is left RUNNING: " + c);
      if (cutOff.contains(c.runId())) {
        assertEquals("FAILED", c.status());
        assertEquals("true", c.tags().get("gradsweep.superseded"), "cut-off attempt is tagged superseded");
      }
    }
    for (TrialSpec t : planned) {
      List<RunRecord> runs = byTrial.getOrDefault(t.id(), List.of());
      List<RunRecord> finished = runs.stream().filter(r -> r.status().equals("FINISHED")).toList();
      assertEquals(1, finished.size(), "exactly one FINISHED run of " + t.displayName() + ": " + runs);
      if (finishedBefore.containsKey(t.id())) {
        assertEquals(finishedBefore.get(t.id()), finished.get(0).runId(), t.displayName() + " was not run again");
      }
      List<Long> steps = reader.metricHistory(finished.get(0).runId(), "train/loss").stream()
          .map(MetricPoint::step).toList();
      assertEquals(LongStream.rangeClosed(1, t.maxSteps()).boxed().toList(), steps,
          "the full loss history of " + t.displayName() + ", each step once");
    }
  }
}
