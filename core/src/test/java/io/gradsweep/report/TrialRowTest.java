package io.gradsweep.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.MemoryTrackingSink;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.TrialRun;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialRunner;
import io.gradsweep.train.TrialStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The rows (and so the report) built at the end of a sweep equal those built from the runs read back. */
class TrialRowTest {

  private static TrialSpec spec(String cell, String activation, int seqLen, String optimizer, double lr,
      int hidden, double threshold, long seed) {
    return new TrialSpec("exp", "rows", "adding", 64, 7, seqLen, cell, activation, ClipSpec.NONE, 0, optimizer, lr,
        hidden, 1, "default", seed, 16, 20, 10, threshold);
  }

  @Test
  void paramKeysAreThoseOfATrialSpec() {
    TrialSpec plain = spec("lstm", null, 5, "adam", 0.01, 4, 0.1, 1);
    // param stop only when the trial has early-stopping rules (the ids of trials without them stay as they were)
    assertEquals(TrialRow.PARAM_KEYS.subList(0, TrialRow.PARAM_KEYS.size() - 1), List.copyOf(plain.params().keySet()));
    TrialSpec stopping = new TrialSpec(plain.experiment(), plain.sweepName(), plain.task(), plain.evalSize(),
        plain.evalSeed(), plain.seqLen(), plain.cell(), plain.activation(), plain.clip(), plain.tbptt(),
        plain.optimizer(), plain.lr(), plain.hidden(), plain.layers(), plain.init(), plain.seed(), plain.batchSize(),
        plain.maxSteps(), plain.evalEvery(), plain.solveThreshold(), plain.profileEvery(), plain.logPoints(),
        plain.taskOptions(), new io.gradsweep.spec.StopRules(null, io.gradsweep.spec.StopRules.Plateau.DEFAULTS));
    assertEquals(TrialRow.PARAM_KEYS, List.copyOf(stopping.params().keySet()));
    List<String> header = new ArrayList<>();
    TrialsTable.COLUMNS.forEach(c -> header.add(c.name()));
    assertTrue(header.containsAll(TrialRow.PARAM_KEYS), header.toString());
  }

  @Test
  void rowsFromResultsEqualRowsFromTheRunsReadBack() {
    // solved at once (threshold above the baseline), not solved (threshold unreachable), diverged (SGD lr 10)
    List<TrialSpec> specs = List.of(
        spec("lstm", null, 5, "adam", 0.01, 4, 0.5, 1),
        spec("rnn", "tanh", 5, "adam", 0.01, 4, 1e-12, 2),
        spec("rnn", "relu", 30, "sgd", 10, 16, 0.01, 1));
    MemoryTrackingSink sink = new MemoryTrackingSink();
    SweepRun sweep = sink.startSweep("exp-rows-" + System.nanoTime(), "rows", Map.of(), Map.of(), null);
    // an attempt of trial 1 cut off before it finished (as when an executor is lost)
    TrialRun cut = sink.startTrial(sweep, specs.get(0));
    cut.logMetric("final/steps", 3, 3);
    List<TrialResult> results = new ArrayList<>();
    for (TrialSpec s : specs) {
      results.add(new TrialRunner().run(s, sink.startTrial(sweep, s)));
    }
    sink.endSweep(sweep, true); // ends the cut-off attempt FAILED, superseded
    List<RunSnapshot> runs = sink.trialRuns(sweep);
    assertEquals(4, runs.size());
    assertEquals(List.of(TrialStatus.SOLVED, TrialStatus.NOT_SOLVED, TrialStatus.DIVERGED),
        results.stream().map(TrialResult::status).toList(), "the three outcomes");
    assertTrue(runs.stream().anyMatch(r -> "true".equals(r.tags().get(Names.Tag.SUPERSEDED))));

    List<TrialRow> atEnd = TrialRows.of(specs, results);
    List<TrialRow> readBack = TrialRows.fromRuns(specs, runs);
    assertEquals(atEnd, readBack);
    assertTrue(Double.isNaN(readBack.get(2).finalEvalLoss()), "the diverged trial's NaN loss is missing");
    assertEquals(-1, readBack.get(1).stepsToSolve());
    assertArrayEquals(TrialsTable.csv(atEnd), TrialsTable.csv(readBack));

    Map<String, byte[]> a = AblationReport.of("rows", atEnd).files();
    Map<String, byte[]> b = AblationReport.of("rows", TrialRows.fromRuns(null, runs)).files();
    assertEquals(a.keySet(), b.keySet());
    for (String f : a.keySet()) {
      if (!f.endsWith(".png")) {
        assertEquals(new String(a.get(f), StandardCharsets.UTF_8), new String(b.get(f), StandardCharsets.UTF_8), f);
      }
    }
  }

  @Test
  void aPlannedTrialWithoutARunIsAFailedRowAndARunWithoutStatusIsFailed() {
    TrialSpec s = spec("lstm", null, 5, "adam", 0.01, 4, 0.5, 1);
    TrialRow missing = TrialRows.fromRuns(List.of(s), List.of()).get(0);
    assertEquals(TrialStatus.FAILED, missing.status());
    assertEquals(s.id(), missing.trialId());
    assertEquals(1, missing.trial());
    assertEquals("lstm", missing.network());
    RunSnapshot cut = new RunSnapshot("r1", "e", s.displayName(), "FAILED", 1, s.params(),
        Map.of(Names.Tag.TRIAL_ID, s.id()), Map.of("final/steps", 3.0));
    TrialRow row = TrialRow.fromRun(1, cut);
    assertEquals(TrialStatus.FAILED, row.status());
    assertEquals(-1, row.steps(), "a FAILED row has no summary");
  }

  @Test
  void csvHasTypedColumnsAndEmptyFieldsForMissingValues() {
    TrialSpec s = new TrialSpec("exp", "rows", "adding", 64, 7, 50, "rnn", "relu",
        new ClipSpec(io.gradsweep.spec.ClipMode.GLOBAL_NORM, 0.5), 10, "sgd", 0.001, 8, 1, "default", 3, 16, 20, 10,
        0.01);
    TrialResult notSolved = new TrialResult(s.id(), s.displayName(), "run-1", TrialStatus.NOT_SOLVED, 20, -1, -1,
        0.15, 1.0 / 6, 4.5, 0.25, Double.NaN, 7, 1.5, null);
    String csv = new String(TrialsTable.csv(List.of(TrialRow.of(4, s, notSolved))), StandardCharsets.UTF_8);
    List<String> lines = csv.lines().toList();
    List<String> header = List.of(lines.get(0).split(",", -1));
    List<String> row = List.of(lines.get(1).split(",", -1));
    assertEquals(header.size(), row.size());
    assertEquals(TrialsTable.COLUMNS.size(), header.size());
    assertEquals("4", row.get(header.indexOf("trial")));
    assertEquals("rnn/relu", row.get(header.indexOf("network")));
    assertEquals("global_norm:0.5", row.get(header.indexOf("clip")));
    assertEquals("global_norm", row.get(header.indexOf("clip_mode")));
    assertEquals(0.5, Double.parseDouble(row.get(header.indexOf("clip_threshold"))));
    assertEquals("10", row.get(header.indexOf("tbptt_window")));
    assertEquals("0", row.get(header.indexOf("solved")));
    assertEquals("", row.get(header.indexOf("steps_to_solve")), "not solved: empty, not -1");
    assertEquals("", row.get(header.indexOf("diverged_at_step")));
    assertEquals("", row.get(header.indexOf("decay_rate")), "NaN: empty");
    assertEquals(0.15 * 6, Double.parseDouble(row.get(header.indexOf("loss_over_baseline"))), 1e-12);
    assertEquals("7", row.get(header.indexOf("horizon")));
    // every numeric column of the schema parses as its type
    for (TrialsTable.Column c : TrialsTable.COLUMNS) {
      String v = row.get(header.indexOf(c.name()));
      if (v.isEmpty()) {
        continue;
      }
      switch (c.type()) {
        case "INT" -> Integer.parseInt(v);
        case "BIGINT" -> Long.parseLong(v);
        case "DOUBLE" -> Double.parseDouble(v);
        default -> assertEquals("STRING", c.type(), c.name());
      }
    }
    assertTrue(TrialsTable.sparkSchema().startsWith("trial INT, trial_id STRING, name STRING, task STRING, "
        + "seq_len INT,"), TrialsTable.sparkSchema());
  }
}
