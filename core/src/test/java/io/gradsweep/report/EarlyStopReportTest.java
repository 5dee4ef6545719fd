package io.gradsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.train.TrialStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** VANISHED and PLATEAU trials in the report and trials.csv: counted, and the steps the rules saved. */
class EarlyStopReportTest {
  static final String RULE = "vanished(horizon_fraction=0.1,profiles=5,baseline_tolerance=0.05)";

  /** A row of a sweep with max_steps 2000 that took {@code steps} steps. */
  static TrialRow row(int seed, TrialStatus status, int steps, String stop) {
    TrialRow base = AblationReportTest.row("rnn/tanh", 100, "none", "adam", "none", seed, status, -1, 5, 0.5);
    Map<String, String> p = new LinkedHashMap<>(base.params());
    if (stop != null) {
      p.put("stop", stop);
    }
    return new TrialRow(base.trial(), base.trialId(), base.name(), p, status, status == TrialStatus.FAILED ? -1
        : steps, -1, base.divergedAtStep(), base.finalEvalLoss(), base.baselineLoss(), base.maxGradNorm(),
        base.clipRate(), base.decayRate(), base.horizon(), base.wallSeconds(), base.runId());
  }

  static List<TrialRow> sweep() {
    return List.of(
        row(1, TrialStatus.VANISHED, 260, RULE), // saves 1740
        row(2, TrialStatus.VANISHED, 1000, RULE), // saves 1000
        row(3, TrialStatus.PLATEAU, 1900, RULE), // saves 100
        row(4, TrialStatus.NOT_SOLVED, 2000, RULE),
        row(5, TrialStatus.DIVERGED, 77, RULE), // a divergence is not a saving of the rules
        row(6, TrialStatus.FAILED, -1, RULE));
  }

  @Test
  void stepsSavedPerRow() {
    List<TrialRow> rows = sweep();
    assertEquals(List.of(1740, 1000, 100, 0, 0, -1), rows.stream().map(TrialRow::stepsSaved).toList());
    assertEquals(List.of(260, 1000, 1900, -1, -1, -1), rows.stream().map(TrialRow::stoppedAtStep).toList());
  }

  @Test
  void theReportCountsTheStatusesAndTheStepsSaved() {
    AblationReport r = AblationReport.of("stops", sweep());
    AblationReport.EarlyStops s = r.earlyStops();
    assertTrue(s.any());
    assertEquals(2, s.vanished());
    assertEquals(1, s.plateau());
    assertEquals(2840, s.stepsSaved());
    assertEquals(5 * 2000, s.stepsBudgeted(), "the trials with an outcome");
    assertEquals(RULE, s.rules());
    String md = new String(r.files().get("report/report.md"), StandardCharsets.UTF_8);
    assertTrue(md.contains("**6 trials**: 0 solved, 1 not solved, 1 diverged, 2 vanished, 1 plateau, 1 failed"),
        md.lines().limit(6).toList().toString());
    assertTrue(md.contains("Early stopping (`" + RULE + "`): 3 trials stopped early (2 vanished, 1 plateau); "
        + "**2,840 steps saved** of 10,000 budgeted (28%)."), md.lines().limit(8).toList().toString());
    assertTrue(md.contains("NOT_SOLVED, DIVERGED and the trials stopped early (VANISHED, PLATEAU"), "method");
  }

  @Test
  void aSweepWithoutRulesSaysNothingAboutThem() {
    List<TrialRow> rows = List.of(row(1, TrialStatus.NOT_SOLVED, 2000, null), row(2, TrialStatus.SOLVED, 300, null));
    AblationReport r = AblationReport.of("plain", rows);
    assertFalse(r.earlyStops().any());
    String md = new String(r.files().get("report/report.md"), StandardCharsets.UTF_8);
    assertFalse(md.contains("Early stopping"), md);
    assertFalse(md.contains("vanished") || md.contains("plateau"), "no zero counts of statuses no rule can give");
    assertTrue(md.contains("1 solved, 1 not solved, 0 diverged;"), md.lines().limit(4).toList().toString());
  }

  @Test
  void trialsCsvHasTheStopColumns() {
    List<TrialRow> rows = sweep();
    List<String> lines = new String(TrialsTable.csv(rows), StandardCharsets.UTF_8).lines().toList();
    List<String> header = List.of(lines.get(0).split(","));
    int stop = header.indexOf("stop");
    int at = header.indexOf("stopped_at_step");
    int saved = header.indexOf("steps_saved");
    assertTrue(stop >= 0 && at == header.indexOf("diverged_at_step") + 1 && saved == at + 1, header.toString());
    List<Map<String, String>> table = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      // the rule's text has commas: it is quoted
      List<String> cells = List.of(line.replace("\"" + RULE + "\"", "RULE").split(",", -1));
      Map<String, String> m = new HashMap<>();
      for (int i = 0; i < header.size(); i++) {
        m.put(header.get(i), cells.get(i));
      }
      table.add(m);
    }
    assertEquals(List.of("VANISHED", "VANISHED", "PLATEAU", "NOT_SOLVED", "DIVERGED", "FAILED"),
        table.stream().map(m -> m.get("status")).toList());
    assertEquals(List.of("260", "1000", "1900", "", "", ""), table.stream().map(m -> m.get("stopped_at_step")).toList());
    assertEquals(List.of("1740", "1000", "100", "0", "0", ""), table.stream().map(m -> m.get("steps_saved")).toList());
    assertEquals("RULE", table.get(0).get("stop"));
    assertEquals(List.of("0", "0", "0", "0", "0", ""), table.stream().map(m -> m.get("solved")).toList());
    assertTrue(TrialsTable.sparkSchema().contains("stop STRING") && TrialsTable.sparkSchema().contains(
        "stopped_at_step INT, steps_saved INT"), TrialsTable.sparkSchema());
  }

  @Test
  void rowsReadBackFromRunsKeepTheStatus() {
    Map<String, Double> metrics = Map.of("final/steps", 250.0, "final/stopped_at_step", 250.0,
        "final/eval_loss", 0.17, "final/baseline_loss", 1.0 / 6);
    io.gradsweep.tracking.RunSnapshot run = new io.gradsweep.tracking.RunSnapshot("r1", "exp", "child", "FINISHED",
        0L, Map.of("stop", RULE, "max_steps", "2000"), Map.of("gradsweep.status", "VANISHED", "gradsweep.trial_id", "t1"),
        metrics);
    TrialRow r = TrialRow.fromRun(1, run);
    assertEquals(TrialStatus.VANISHED, r.status());
    assertEquals(250, r.stoppedAtStep());
    assertEquals(1750, r.stepsSaved());
    assertEquals(RULE, r.param("stop"));
  }
}
