package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.DuplicateRuns;
import io.gradsweep.tracking.MemoryRun;
import io.gradsweep.tracking.MemoryTrackingSink;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.tracking.TrialRun;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The driver's end of a sweep whose trials were run twice (an executor that dispatched a trial again after the first
 * attempt's result was lost, ends that raced): each trial keeps exactly one FINISHED run, the summary and
 * {@code trials.csv} count each trial once, with the result of that run.
 */
class DuplicateRunsSweepTest {
  private static final TrackingTarget MEMORY = new TrackingTarget("memory", null);
  private final ByteArrayOutputStream errBuf = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(errBuf, true, StandardCharsets.UTF_8);

  private static SweepSpec spec() {
    return Sweeps.parse("""
        name: duplicate-test
        experiment: %s
        task: {name: adding, eval_size: 32, eval_seed: 7}
        training: {batch_size: 8, max_steps: 20, eval_every: 10, solve_threshold: 0.05}
        grid:
          seq_len: [10]
          cell: [lstm]
          optimizer: [adam]
          lr: [0.01]
          hidden: [4]
          seeds: [1, 2, 3]
        """.formatted("duplicate-test-" + System.nanoTime()), "test spec");
  }

  /** Stands in for the engine; the attempt's number shows in its final eval loss (0.0123 for the first, 0.0456 for the second). */
  private static TrialAttempt.Trainer trainer(double evalLoss) {
    return (TrialSpec trial, TrialRun run) -> {
      run.logMetrics(Map.of(Names.Metric.FINAL_STEPS, 20.0, Names.Metric.FINAL_STEPS_TO_SOLVE, 15.0,
          Names.Metric.FINAL_EVAL_LOSS, evalLoss, Names.Metric.FINAL_BASELINE_LOSS, 0.16), 20);
      run.setTag(Names.Tag.STATUS, TrialStatus.SOLVED.name());
      run.finish(true);
      return new TrialResult(trial.id(), trial.displayName(), run.runId(), TrialStatus.SOLVED, 20, 15, -1, evalLoss,
          0.16, 1.5, 0, 0.9, 10, 0.1, null);
    };
  }

  /**
   * Runs each trial twice, as a driver that dispatches it again (knowing nothing of the first attempt) after the
   * first attempt's result was lost, and returns the second result; {@code afterBoth} sees the two results.
   */
  private static final class DispatchesTwice implements TrialExecutor {
    private final Consumer<List<TrialResult>> afterBoth;

    DispatchesTwice(Consumer<List<TrialResult>> afterBoth) {
      this.afterBoth = afterBoth;
    }

    @Override
    public String where() {
      return "twice";
    }

    @Override
    public int defaultParallelism() {
      return 1;
    }

    @Override
    public Map<String, String> parentRunTags() {
      return Map.of();
    }

    @Override
    public List<TrialOutcome> execute(TrialBatch batch, TrialListener listener) {
      List<TrialOutcome> out = new ArrayList<>();
      for (int i = 0; i < batch.trials().size(); i++) {
        TrialSpec t = batch.trials().get(i);
        TrialResult lost = TrialAttempt.run(batch.tracking(), null, batch.sweep(), t, "first", trainer(0.0123));
        TrialResult again = TrialAttempt.run(batch.tracking(), null, batch.sweep(), t, "again", trainer(0.0456));
        afterBoth.accept(List.of(lost, again));
        listener.trialFinished(i, again);
        out.add(new TrialOutcome(again, null));
      }
      return out;
    }

    @Override
    public String failureMessage(long failed, int total) {
      return failed + " of " + total;
    }
  }

  private int run(SweepSpec spec, TrialExecutor executor) throws InterruptedException {
    try (MemoryTrackingSink sink = new MemoryTrackingSink()) {
      SweepDriver driver = new SweepDriver(sink, MEMORY, new PrintStream(new ByteArrayOutputStream()), err);
      return driver.run(driver.prepare(spec, false), executor, 0);
    }
  }

  private static MemoryRun parentOf(SweepSpec spec) {
    return MemoryTrackingSink.runsOfExperiment(spec.experiment()).stream()
        .filter(r -> r.parentRunId().isEmpty()).findFirst().orElseThrow();
  }

  /** Checks one FINISHED run per trial, the others KILLED duplicates of it; returns the FINISHED run ids. */
  private static List<String> oneFinishedRunPerTrial(SweepSpec spec, MemoryRun parent) {
    List<String> winners = new ArrayList<>();
    for (TrialSpec t : spec.trials()) {
      List<MemoryRun> runs = MemoryTrackingSink.childrenOf(parent.runId()).stream()
          .filter(r -> t.id().equals(r.tags().get(Names.Tag.TRIAL_ID))).toList();
      assertEquals(2, runs.size(), "two attempts of trial " + t.id());
      List<MemoryRun> finished = runs.stream().filter(r -> MemoryRun.FINISHED.equals(r.status())).toList();
      assertEquals(1, finished.size(), "exactly one FINISHED run of trial " + t.id() + ": " + runs);
      MemoryRun other = runs.stream().filter(r -> r != finished.get(0)).findFirst().orElseThrow();
      assertEquals(DuplicateRuns.KILLED, other.status());
      assertEquals(finished.get(0).runId(), other.tags().get(Names.Tag.DUPLICATE_OF));
      winners.add(finished.get(0).runId());
    }
    return winners;
  }

  @Test
  void aTrialDispatchedAgainAfterItsRunFinishedKeepsTheFirstRunAndItsResult() throws Exception {
    SweepSpec spec = spec();
    List<String> firstRuns = new ArrayList<>();
    int status = run(spec, new DispatchesTwice(both -> firstRuns.add(both.get(0).runId())));

    assertEquals(ExitStatus.OK, status, errBuf.toString(StandardCharsets.UTF_8));
    MemoryRun parent = parentOf(spec);
    assertEquals(firstRuns, oneFinishedRunPerTrial(spec, parent), "the first FINISHED run stays");
    String csv = new String(parent.artifact("trials.csv").orElseThrow(), StandardCharsets.UTF_8);
    assertEquals(1 + spec.trials().size(), csv.strip().lines().count(), "one row per trial:\n" + csv);
    for (String run : firstRuns) {
      assertTrue(csv.contains(run), "trials.csv names the FINISHED run " + run + ":\n" + csv);
    }
    assertTrue(csv.contains("0.0123") && !csv.contains("0.0456"), "the results are those of the FINISHED runs:\n" + csv);
  }

  @Test
  void twoFinishedRunsOfATrialWhoseEndsRacedAreResolvedToTheFirstStarted() throws Exception {
    SweepSpec spec = spec();
    // both ends passed the backend's check at once: both runs FINISHED
    int status = run(spec, new DispatchesTwice(both -> both.forEach(r ->
        MemoryTrackingSink.forceStatus(r.runId(), MemoryRun.FINISHED))));

    assertEquals(ExitStatus.OK, status, errBuf.toString(StandardCharsets.UTF_8));
    MemoryRun parent = parentOf(spec);
    List<String> winners = oneFinishedRunPerTrial(spec, parent);
    for (int i = 0; i < spec.trials().size(); i++) {
      String id = spec.trials().get(i).id();
      String expected = MemoryTrackingSink.childrenOf(parent.runId()).stream()
          .filter(r -> id.equals(r.tags().get(Names.Tag.TRIAL_ID)))
          .min(Comparator.comparingLong(MemoryRun::startTime).thenComparing(MemoryRun::runId)).orElseThrow().runId();
      assertEquals(expected, winners.get(i), "the first started run of trial " + id + " wins");
    }
    String csv = new String(parent.artifact("trials.csv").orElseThrow(), StandardCharsets.UTF_8);
    assertEquals(1 + spec.trials().size(), csv.strip().lines().count(), "one row per trial:\n" + csv);
    winners.forEach(w -> assertTrue(csv.contains(w), "trials.csv names " + w));
    assertTrue(errBuf.toString(StandardCharsets.UTF_8).contains("as a duplicate of"), errBuf.toString());
  }
}
