package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradsweep.conf.ConfKeys;
import io.gradsweep.conf.GradsweepConf;
import io.gradsweep.report.TrialRow;
import io.gradsweep.report.TrialsTable;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.MemoryRun;
import io.gradsweep.tracking.MemoryTrackingSink;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.tracking.TrialRun;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep driver without Spark: new sweeps, resumed sweeps (after a dead driver, with an extended grid),
 * executor failures, on the in-process executor and the in-memory tracking backend, with a stand-in trainer.
 */
class SweepDriverTest {
  private static final TrackingTarget MEMORY = new TrackingTarget("memory", null);

  private final ByteArrayOutputStream outBuf = new ByteArrayOutputStream();
  private final ByteArrayOutputStream errBuf = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(outBuf, true, StandardCharsets.UTF_8);
  private final PrintStream err = new PrintStream(errBuf, true, StandardCharsets.UTF_8);
  /** Trial ids the stand-in trainer trained. */
  private final Set<String> trained = ConcurrentHashMap.newKeySet();

  /** A spec with three trials (seeds), under an experiment of its own so that tests do not see each other. */
  private static SweepSpec spec(String experiment, String seeds) {
    return Sweeps.parse("""
        name: driver-test
        experiment: %s
        task: {name: adding, eval_size: 32, eval_seed: 7}
        training: {batch_size: 8, max_steps: 20, eval_every: 10, solve_threshold: 0.05}
        grid:
          seq_len: [10]
          cell: [lstm]
          optimizer: [adam]
          lr: [0.01]
          hidden: [4]
          seeds: %s
        """.formatted(experiment, seeds), "test spec");
  }

  private static String experiment() {
    return "driver-test-" + System.nanoTime();
  }

  /** Stands in for the engine: logs the final metrics a real trial logs, SOLVED, and finishes the run. */
  private TrialResult train(TrialSpec trial, TrialRun run) {
    trained.add(trial.id());
    run.logMetrics(Map.of("final/steps", 20.0, "final/steps_to_solve", 15.0, "final/eval_loss", 0.01,
        "final/baseline_loss", 0.16), 20);
    run.setTag(Names.Tag.STATUS, TrialStatus.SOLVED.name());
    run.finish(true);
    return new TrialResult(trial.id(), trial.displayName(), run.runId(), TrialStatus.SOLVED, 20, 15, -1, 0.01,
        0.16, 1.5, 0, 0.9, 10, 0.1, null);
  }

  private int runSweep(SweepSpec spec, boolean resume, TrialExecutor executor) throws InterruptedException {
    return runSweep(spec, resume, executor, ResultsWriter.NONE);
  }

  private int runSweep(SweepSpec spec, boolean resume, TrialExecutor executor, ResultsWriter results)
      throws InterruptedException {
    return runSweep(spec, resume, executor, results, MEMORY);
  }

  private int runSweep(SweepSpec spec, boolean resume, TrialExecutor executor, ResultsWriter results,
      TrackingTarget target) throws InterruptedException {
    try (MemoryTrackingSink sink = new MemoryTrackingSink()) {
      SweepDriver driver = new SweepDriver(sink, target, out, err);
      return driver.run(driver.prepare(spec, resume), executor, 0, results);
    }
  }

  /** A results writer that keeps the tables it is given, or throws {@code failure}. */
  private static final class Recording implements ResultsWriter {
    final List<List<TrialRow>> tables = new ArrayList<>();
    final RuntimeException failure;
    /** The parent run's status and artifacts when the table was written. */
    String parentStatusThen;
    List<String> parentArtifactsThen;
    private final SweepSpec spec;

    Recording(SweepSpec spec, RuntimeException failure) {
      this.spec = spec;
      this.failure = failure;
    }

    @Override
    public String where() {
      return "--results mem:/t";
    }

    @Override
    public void write(List<TrialRow> rows) {
      MemoryRun parent = parentOf(spec);
      parentStatusThen = parent.status();
      parentArtifactsThen = parent.artifactPaths();
      if (failure != null) {
        throw failure;
      }
      tables.add(rows);
    }
  }

  private InProcessTrialExecutor inProcess() {
    return new InProcessTrialExecutor(2, this::train);
  }

  private static MemoryRun parentOf(SweepSpec spec) {
    List<MemoryRun> parents = MemoryTrackingSink.runsOfExperiment(spec.experiment()).stream()
        .filter(r -> r.parentRunId().isEmpty()).toList();
    assertEquals(1, parents.size(), parents.toString());
    return parents.get(0);
  }

  private String err() {
    return errBuf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aNewSweepRunsEveryTrialUnderOneParentRunAndEndsIt() throws Exception {
    SweepSpec spec = spec(experiment(), "[1, 2, 3]");
    assertEquals(ExitStatus.OK, runSweep(spec, false, inProcess()), err());
    MemoryRun parent = parentOf(spec);
    assertEquals(MemoryRun.FINISHED, parent.status());
    assertEquals(3, MemoryTrackingSink.childrenOf(parent.runId()).size());
    assertEquals(3, trained.size());
    assertTrue(parent.artifactPaths().containsAll(List.of("sweep.yaml", "trials.csv", "summary.txt")),
        parent.artifactPaths().toString());
    String o = outBuf.toString(StandardCharsets.UTF_8);
    assertTrue(o.contains("SOLVED") && o.contains("parent run:      " + parent.runId()), o);
    assertTrue(err().contains("sweep 'driver-test': 3 trials to run on in-process[2], at most 2 at a time"), err());
  }

  @Test
  void theTrialsThroughputIsPrintedAndWrittenToTheTimingsFile(@TempDir Path dir) throws Exception {
    SweepSpec spec = spec(experiment(), "[1, 2, 3]");
    Path file = dir.resolve("timings.json");
    assertEquals(ExitStatus.OK, runSweep(spec, false, inProcess(), ResultsWriter.NONE,
        MEMORY.withConf(GradsweepConf.defaults().with(ConfKeys.TIMINGS_FILE, file.toString()))), err());
    assertTrue(err().contains("[gradsweep] 3 trials in ") && err().contains(" s on in-process[2], 2 at a time: "),
        err());
    JsonNode j = new ObjectMapper().readTree(file.toFile());
    assertEquals(3, j.get("trials").asInt());
    assertEquals(2, j.get("at_once").asInt());
    assertTrue(j.get("wall_seconds").asDouble() > 0, j.toString());
    assertTrue(j.get("process_cpu_seconds").isNumber() && j.get("process_cpu_seconds").asDouble() >= 0, j.toString());
    assertEquals(3, j.get("per_trial").size());
    for (JsonNode t : j.get("per_trial")) {
      // the stand-in trainer measures nothing; the attempt around it measures the run's start and itself
      assertTrue(t.get("setup").isNull() && t.get("run_start").asDouble() >= 0, t.toString());
      assertTrue(t.get("attempt").asDouble() >= t.get("run_start").asDouble(), t.toString());
    }
  }

  @Test
  void anUnwritableTimingsFileIsAWarningNotAFailure(@TempDir Path dir) throws Exception {
    SweepSpec spec = spec(experiment(), "[1]");
    Files.writeString(dir.resolve("file"), "x");
    assertEquals(ExitStatus.OK, runSweep(spec, false, inProcess(), ResultsWriter.NONE, MEMORY.withConf(
        GradsweepConf.defaults().with(ConfKeys.TIMINGS_FILE, dir.resolve("file/timings.json").toString()))), err());
    assertTrue(err().contains("warning: could not write the timings to " + dir.resolve("file/timings.json")
        + " (spark.gradsweep.timings.file)"), err());
  }

  /**
   * The settings travel with the target to every trial: with {@code kernels=scalar} each trial trains on the
   * plain-Java kernels (its tag says so) whatever this JVM chose, and with the default on the best this JVM has.
   */
  @Test
  void theTrialsTrainWithTheSettingsTheTargetCarries() throws Exception {
    SweepSpec spec = spec(experiment(), "[1, 2]");
    try {
      assertEquals(ExitStatus.OK, runSweep(spec, false, inProcess(), ResultsWriter.NONE,
          MEMORY.withConf(GradsweepConf.defaults().with(ConfKeys.KERNELS, "scalar"))), err());
      for (MemoryRun child : MemoryTrackingSink.childrenOf(parentOf(spec).runId())) {
        assertEquals("scalar", child.tags().get(TrialAttempt.KERNELS_TAG), child.tags().toString());
        assertEquals("onednn", child.tags().get(io.gradsweep.tracking.Names.Tag.FLOAT_PRODUCTS),
            child.tags().toString());
      }
      SweepSpec again = spec(experiment(), "[3]");
      assertEquals(ExitStatus.OK, runSweep(again, false, inProcess()), err());
      String best = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent() ? "vector" : "scalar";
      assertEquals(best, MemoryTrackingSink.childrenOf(parentOf(again).runId()).get(0).tags()
          .get(TrialAttempt.KERNELS_TAG));
    } finally {
      io.gradsweep.engine.RecurrentLayer.useFloatKernels("auto");
    }
  }

  /** What a killed driver leaves: a RUNNING parent run, two FINISHED trials, one trial run RUNNING. */
  private SweepRun deadDriver(SweepSpec spec) {
    MemoryTrackingSink sink = new MemoryTrackingSink();
    SweepRun sweep = sink.startSweep(spec.experiment(), spec.name(), spec.sweepParams(), Map.of(),
        spec.yaml().getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < 2; i++) {
      try (TrialRun run = sink.startTrial(sweep, spec.trials().get(i))) {
        train(spec.trials().get(i), run);
      }
    }
    sink.startTrial(sweep, spec.trials().get(2)); // cut off: never ends
    trained.clear();
    return sweep;
  }

  @Test
  void resumeSkipsFinishedTrialsSupersedesRunningOnesAndReusesTheParentRun() throws Exception {
    SweepSpec spec = spec(experiment(), "[1, 2, 3]");
    SweepRun sweep = deadDriver(spec);

    assertEquals(ExitStatus.OK, runSweep(spec, true, inProcess()), err());
    assertEquals(Set.of(spec.trials().get(2).id()), trained, "only the trial without a FINISHED run ran");
    MemoryRun parent = parentOf(spec);
    assertEquals(sweep.runId(), parent.runId(), "the same parent run");
    assertEquals(MemoryRun.FINISHED, parent.status());
    assertEquals("1", parent.tags().get(SweepDriver.RESUMED_TAG));
    assertNull(parent.tags().get(SweepDriver.CHANGED_PARAMS_TAG), "same spec: nothing changed");
    List<MemoryRun> children = MemoryTrackingSink.childrenOf(parent.runId());
    assertEquals(4, children.size(), "three trials, one of them twice");
    List<MemoryRun> superseded = children.stream().filter(c -> "true".equals(c.tags().get(Names.Tag.SUPERSEDED)))
        .toList();
    assertEquals(1, superseded.size());
    assertEquals(MemoryRun.FAILED, superseded.get(0).status());
    assertTrue(children.stream().noneMatch(c -> MemoryRun.RUNNING.equals(c.status())), "no run left RUNNING");
    assertTrue(err().contains("resuming sweep 'driver-test'") && err().contains("2 of 3 trials already FINISHED"),
        err());
    assertTrue(err().contains("the parent run was still RUNNING"), err());
    String summary = outBuf.toString(StandardCharsets.UTF_8);
    assertEquals(3, summary.lines().filter(l -> l.contains("SOLVED")).count(), "the summary covers every trial:\n"
        + summary);
  }

  @Test
  void resumeWithAnExtendedGridRunsOnlyTheNewTrialsAndNamesTheChangedParams() throws Exception {
    String experiment = experiment();
    SweepSpec first = spec(experiment, "[1, 2]");
    assertEquals(ExitStatus.OK, runSweep(first, false, inProcess()), err());
    trained.clear();

    SweepSpec extended = spec(experiment, "[1, 2, 3]");
    assertEquals(ExitStatus.OK, runSweep(extended, true, inProcess()), err());
    assertEquals(Set.of(extended.trials().get(2).id()), trained);
    MemoryRun parent = parentOf(extended);
    assertTrue(parent.tags().get(SweepDriver.CHANGED_PARAMS_TAG).contains("grid.seeds"), parent.tags().toString());
    assertEquals(new String(extended.yaml().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8),
        new String(parent.artifact("sweep.yaml").orElseThrow(), StandardCharsets.UTF_8), "sweep.yaml is current");
  }

  @Test
  void resumeOfASweepThatNeverRanStartsIt() throws Exception {
    SweepSpec spec = spec(experiment(), "[1]");
    assertEquals(ExitStatus.OK, runSweep(spec, true, inProcess()), err());
    assertTrue(err().contains("has no parent run in experiment"), err());
    assertEquals(MemoryRun.FINISHED, parentOf(spec).status());
  }

  @Test
  void withoutResumeAnUnfinishedSweepGetsANoteAndANewParentRun() throws Exception {
    SweepSpec spec = spec(experiment(), "[1, 2, 3]");
    deadDriver(spec);
    assertEquals(ExitStatus.OK, runSweep(spec, false, inProcess()), err());
    assertEquals(3, trained.size());
    assertTrue(err().contains("'run --resume' would continue it"), err());
  }

  /** An executor that cannot run the first trial and runs the others in process. */
  private final class FailingFirst implements TrialExecutor {
    private final InProcessTrialExecutor inner = inProcess();

    @Override
    public String where() {
      return "flaky";
    }

    @Override
    public int defaultParallelism() {
      return 1;
    }

    @Override
    public Map<String, String> parentRunTags() {
      return Map.of("gradsweep.executor.kind", "flaky");
    }

    @Override
    public List<TrialOutcome> execute(TrialBatch batch, TrialListener listener) throws InterruptedException {
      List<TrialOutcome> rest = inner.execute(new TrialBatch(batch.trials().subList(1, batch.trials().size()),
          batch.sweep(), batch.tracking(), batch.parallelism()), (i, r) -> listener.trialFinished(i + 1, r));
      TrialSpec t = batch.trials().get(0);
      TrialOutcome lost = new TrialOutcome(TrialResult.failed(t.id(), t.displayName(), null, "lost", 0), "lost");
      listener.trialFinished(0, lost.result());
      List<TrialOutcome> all = new ArrayList<>(List.of(lost));
      all.addAll(rest);
      return all;
    }

    @Override
    public String failureMessage(long failed, int total) {
      return "flaky could not run " + failed + " of " + total + " trials";
    }
  }

  @Test
  void anExecutorFailureIsExit4AndTheParentRunEndsFailed() throws Exception {
    SweepSpec spec = spec(experiment(), "[1, 2]");
    assertEquals(ExitStatus.EXECUTOR_ERROR, runSweep(spec, false, new FailingFirst()));
    MemoryRun parent = parentOf(spec);
    assertEquals(MemoryRun.FAILED, parent.status());
    assertEquals("flaky", parent.tags().get("gradsweep.executor.kind"), "the executor's tags");
    assertTrue(err().contains("gradsweep: flaky could not run 1 of 2 trials (see the errors above); the parent run "
        + "is marked FAILED"), err());
    assertTrue(err().contains("gradsweep: trial 1 (" + spec.trials().get(0).displayName() + ") failed: lost"), err());
  }

  @Test
  void theResultsTableIsWrittenLastWithTheRowsOfTrialsCsv() throws Exception {
    SweepSpec spec = spec(experiment(), "[1, 2, 3]");
    Recording results = new Recording(spec, null);
    assertEquals(ExitStatus.OK, runSweep(spec, false, inProcess(), results), err());
    assertEquals(1, results.tables.size());
    List<TrialRow> rows = results.tables.get(0);
    assertEquals(spec.trials().stream().map(TrialSpec::id).toList(), rows.stream().map(TrialRow::trialId).toList(),
        "one row per planned trial, in plan order");
    MemoryRun parent = parentOf(spec);
    assertEquals(new String(parent.artifact("trials.csv").orElseThrow(), StandardCharsets.UTF_8),
        new String(TrialsTable.csv(rows), StandardCharsets.UTF_8), "the same table as trials.csv");
    assertEquals(MemoryRun.FINISHED, results.parentStatusThen, "written after the parent run ended");
    assertTrue(results.parentArtifactsThen.containsAll(List.of("trials.csv", "summary.txt", "report/report.md")),
        results.parentArtifactsThen.toString());
    assertTrue(err().contains("[gradsweep] results: 3 rows written to --results mem:/t"), err());
  }

  @Test
  void aResumedSweepWritesTheWholeTableAgain() throws Exception {
    SweepSpec spec = spec(experiment(), "[1, 2, 3]");
    deadDriver(spec);
    Recording results = new Recording(spec, null);
    assertEquals(ExitStatus.OK, runSweep(spec, true, inProcess(), results), err());
    assertEquals(1, trained.size(), "one trial ran now");
    List<TrialRow> rows = results.tables.get(0);
    assertEquals(3, rows.size(), "the two trials of the first driver are in the table too");
    assertTrue(rows.stream().allMatch(r -> r.status() == TrialStatus.SOLVED && r.runId() != null), rows.toString());
  }

  @Test
  void afterAFailedWriteResumeWritesTheTableWithoutTrainingAgain() throws Exception {
    SweepSpec spec = spec(experiment(), "[1, 2]");
    assertEquals(ExitStatus.RESULTS_ERROR, runSweep(spec, false, inProcess(), new Recording(spec,
        new IllegalStateException("disk full"))), err());
    trained.clear();
    Recording results = new Recording(spec, null);
    assertEquals(ExitStatus.OK, runSweep(spec, true, inProcess(), results), err());
    assertEquals(Set.of(), trained, "every trial had FINISHED");
    assertEquals(spec.trials().stream().map(TrialSpec::id).toList(),
        results.tables.get(0).stream().map(TrialRow::trialId).toList());
    assertEquals(new String(parentOf(spec).artifact("trials.csv").orElseThrow(), StandardCharsets.UTF_8),
        new String(TrialsTable.csv(results.tables.get(0)), StandardCharsets.UTF_8));
  }

  @Test
  void aResultsTableThatCannotBeWrittenIsExit5AndLosesNothingLogged() throws Exception {
    SweepSpec spec = spec(experiment(), "[1, 2]");
    Recording results = new Recording(spec, new IllegalStateException("disk full\nat somewhere",
        new java.io.IOException("No space left on device")));
    assertEquals(ExitStatus.RESULTS_ERROR, runSweep(spec, false, inProcess(), results), err());
    MemoryRun parent = parentOf(spec);
    assertEquals(MemoryRun.FINISHED, parent.status());
    assertTrue(parent.artifactPaths().containsAll(List.of("trials.csv", "summary.txt", "report/report.md")),
        parent.artifactPaths().toString());
    assertTrue(err().contains("gradsweep: could not write the results table to --results mem:/t: "
        + "IllegalStateException: disk full (cause: IOException: No space left on device)"), err());
    assertTrue(err().contains("'run --resume' with the same options"), err());
    assertTrue(outBuf.toString(StandardCharsets.UTF_8).contains("parent run:      " + parent.runId()),
        "the summary and the links are printed");
  }

  @Test
  void anExecutorFailureStillWritesTheTableAndStaysExit4() throws Exception {
    SweepSpec spec = spec(experiment(), "[1, 2]");
    Recording results = new Recording(spec, null);
    assertEquals(ExitStatus.EXECUTOR_ERROR, runSweep(spec, false, new FailingFirst(), results));
    List<TrialRow> rows = results.tables.get(0);
    assertEquals(List.of(TrialStatus.FAILED, TrialStatus.SOLVED), rows.stream().map(TrialRow::status).toList());
  }

  @Test
  void aTrackingBackendThatDoesNotAnswerIsExit3() {
    SweepFailure f = assertThrows(SweepFailure.class,
        () -> SweepDriver.connect(new TrackingTarget("mlflow", "http://127.0.0.1:9")));
    assertEquals(ExitStatus.TRACKING_ERROR, f.status());
    assertTrue(f.getMessage().contains("is not reachable"), f.getMessage());
    assertFalse(f.getMessage().contains("null"), f.getMessage());
  }
}
