package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.StopRules;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** VANISHED and PLATEAU on the driver: the summary's last line, the progress line, and resume. */
class EarlyStopSweepTest {
  /** {@code t} (max_steps 30) with rules. */
  static TrialSpec withRule(TrialSpec t) {
    return new TrialSpec(t.experiment(), t.sweepName(), t.task(), t.evalSize(), t.evalSeed(), t.seqLen(), t.cell(),
        t.activation(), t.clip(), t.tbptt(), t.optimizer(), t.lr(), t.hidden(), t.layers(), t.init(), t.seed(),
        t.batchSize(), t.maxSteps(), t.evalEvery(), t.solveThreshold(), t.profileEvery(), t.logPoints(),
        t.taskOptions(), new StopRules(new StopRules.Vanished(0.1, 2, 0.05), StopRules.Plateau.DEFAULTS));
  }

  static TrialResult stopped(TrialSpec t, TrialStatus status, int at) {
    return new TrialResult(t.id(), t.displayName(), "run-" + t.id(), status, at, -1, -1, 0.17, 1.0 / 6, 2.0, 0, 0.5,
        2, 4.0, null);
  }

  @Test
  void theSummaryEndsWithTheStepsSaved() {
    List<TrialSpec> trials = Trials.seeds(4).stream().map(EarlyStopSweepTest::withRule).toList();
    List<TrialResult> results = List.of(
        stopped(trials.get(0), TrialStatus.VANISHED, 10), // saves 20
        stopped(trials.get(1), TrialStatus.PLATEAU, 25), // saves 5
        Trials.result(trials.get(2), TrialStatus.SOLVED, 20, 0.01),
        Trials.result(trials.get(3), TrialStatus.NOT_SOLVED, -1, 0.2));
    List<String> lines = Tables.summary(trials, results).lines().toList();
    assertEquals(7, lines.size(), String.join("\n", lines));
    assertTrue(lines.get(2).contains(" VANISHED "), lines.get(2));
    assertTrue(lines.get(3).contains(" PLATEAU "), lines.get(3));
    assertEquals("early stopping: 2 of 4 trials stopped (1 VANISHED, 1 PLATEAU), 25 of 120 budgeted steps saved (21%)",
        lines.get(6));
  }

  @Test
  void aSweepWithoutRulesHasNoSuchLine() {
    List<TrialSpec> trials = Trials.seeds(2);
    String table = Tables.summary(trials, List.of(Trials.result(trials.get(0), TrialStatus.SOLVED, 20, 0.01),
        Trials.result(trials.get(1), TrialStatus.NOT_SOLVED, -1, 0.2)));
    assertFalse(table.contains("early stopping"), table);
    assertEquals("", Tables.earlyStopLine(trials, List.of(Trials.result(trials.get(0), TrialStatus.SOLVED, 20, 0.01),
        Trials.result(trials.get(1), TrialStatus.NOT_SOLVED, -1, 0.2))));
  }

  @Test
  void theProgressLineSaysWhereItStopped() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    TrialSpec t = withRule(Trials.seeds(1).get(0));
    try (ProgressReporter r = new ProgressReporter(1, new PrintStream(buf, true, StandardCharsets.UTF_8), 0,
        () -> 0L)) {
      r.trialFinished(0, stopped(t, TrialStatus.VANISHED, 10));
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    assertTrue(out.startsWith("[gradsweep] trial 1 VANISHED (stopped early) at step 10, eval loss 0.1700 in 4s ("),
        out);
  }

  @Test
  void resumeTreatsStoppedTrialsAsFinishedResults() {
    List<TrialSpec> planned = Trials.seeds(3).stream().map(EarlyStopSweepTest::withRule).toList();
    RunSnapshot vanished = new RunSnapshot("r0", "1", "n", "FINISHED", 0, Map.of(), Map.of(Names.Tag.TRIAL_ID,
        planned.get(0).id(), Names.Tag.STATUS, "VANISHED"), Map.of("final/steps", 10.0,
        "final/stopped_at_step", 10.0, "final/eval_loss", 0.17));
    RunSnapshot plateau = new RunSnapshot("r1", "1", "n", "FINISHED", 0, Map.of(), Map.of(Names.Tag.TRIAL_ID,
        planned.get(1).id(), Names.Tag.STATUS, "PLATEAU"), Map.of("final/steps", 25.0));
    Resumption r = new Resumption(new SweepRun("1", "p", null), new RunSnapshot("p", "1", "p", "FAILED", 0,
        Map.of(), Map.of(), Map.of()), Resumption.finishedByTrialId(List.of(vanished, plateau)));
    List<TrialSpec> todo = r.remaining(planned);
    assertEquals(List.of(planned.get(2)), todo, "stopped trials are not run again");
    TrialResult last = Trials.result(planned.get(2), TrialStatus.NOT_SOLVED, -1, 0.2);
    List<TrialResult> merged = r.merge(planned, todo, List.of(new TrialOutcome(last, null)));
    assertEquals(List.of(TrialStatus.VANISHED, TrialStatus.PLATEAU, TrialStatus.NOT_SOLVED),
        merged.stream().map(TrialResult::status).toList());
    assertEquals(10, merged.get(0).steps());
    assertEquals(25, merged.get(1).steps());
    assertTrue(Tables.summary(planned, merged).contains("early stopping: 2 of 3 trials stopped (1 VANISHED, "
        + "1 PLATEAU), 25 of 90 budgeted steps saved (28%)"));
  }
}
