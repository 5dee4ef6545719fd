package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.chart.GradientCharts;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.MemoryTrackingSink;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

public class SweepArtifactsTest {

  private static TrialSpec trial(String task, int seqLen, String cell, String activation, double lr) {
    return new TrialSpec("exp", "sweep", task, 64, 7, seqLen, cell, activation, ClipSpec.NONE, 0, "adam", lr, 8, 1,
        "default", 1, 16, 30, 10, 0.05);
  }

  private static TrialResult withProfiles(TrialSpec t, String runId, double[] init, double[] fin) {
    return new TrialResult(t.id(), t.displayName(), runId, TrialStatus.SOLVED, 30, 20, -1, 0.004, 1.0 / 6, 12.5,
        0.25, 0.8, 12, 61.5, null, init, fin);
  }

  /** Splits one CSV line (RFC 4180, no line breaks inside fields). */
  public static List<String> fields(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cur.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }

  @Test
  void csvHasAHeaderAndOneRowPerTrialWithEveryParameter() {
    TrialSpec a = trial("adding", 10, "rnn", "tanh", 0.01);
    TrialSpec b = trial("adding", 60, "lstm", null, 0.001);
    TrialResult fa = TrialResult.failed(a.id(), a.displayName(), null, "boom", 2.0);
    TrialResult rb = withProfiles(b, "run-b", null, null);
    String csv = new String(SweepArtifacts.trialsCsv(List.of(a, b), List.of(fa, rb)), StandardCharsets.UTF_8);
    List<String> lines = csv.lines().toList();
    assertEquals(3, lines.size(), csv);
    List<String> header = fields(lines.get(0));
    List<String> expected = new ArrayList<>(List.of("trial", "trial_id", "name"));
    expected.addAll(a.params().keySet());
    assertEquals(expected, header.subList(0, expected.size()), "then every parameter");
    assertTrue(header.containsAll(List.of("status", "steps", "steps_to_solve", "diverged_at_step", "final_eval_loss",
        "baseline_loss", "max_grad_norm", "clip_rate", "decay_rate", "horizon", "wall_seconds", "run_id")), header
        .toString());
    List<String> r1 = fields(lines.get(1));
    List<String> r2 = fields(lines.get(2));
    assertEquals(header.size(), r1.size());
    assertEquals(header.size(), r2.size());
    assertEquals("1", r1.get(0));
    assertEquals(a.id(), r1.get(1));
    assertEquals("10", r1.get(header.indexOf("seq_len")));
    assertEquals("tanh", r1.get(header.indexOf("activation")));
    assertEquals("FAILED", r1.get(header.indexOf("status")));
    assertEquals("", r1.get(header.indexOf("final_eval_loss")), "NaN is an empty field");
    assertEquals("", r1.get(header.indexOf("run_id")));
    assertEquals("lstm", r2.get(header.indexOf("cell")));
    assertEquals("0.001", r2.get(header.indexOf("lr")));
    assertEquals("SOLVED", r2.get(header.indexOf("status")));
    assertEquals("20", r2.get(header.indexOf("steps_to_solve")));
    assertEquals("", r2.get(header.indexOf("diverged_at_step")), "not diverged: empty");
    assertEquals(0.004, Double.parseDouble(r2.get(header.indexOf("final_eval_loss"))));
    assertEquals(61.5, Double.parseDouble(r2.get(header.indexOf("wall_seconds"))));
    assertEquals("run-b", r2.get(header.indexOf("run_id")));
  }

  @Test
  void commasAndQuotesAreEscaped() {
    TrialSpec odd = trial("add,\"ing\"", 10, "rnn", "tanh", 0.01);
    TrialResult r = withProfiles(odd, "run,1", null, null);
    String csv = new String(SweepArtifacts.trialsCsv(List.of(odd), List.of(r)), StandardCharsets.UTF_8);
    String row = csv.lines().toList().get(1);
    assertTrue(row.contains(",\"add,\"\"ing\"\"\","), row);
    assertTrue(row.endsWith(",\"run,1\""), row);
    List<String> header = fields(csv.lines().toList().get(0));
    List<String> f = fields(row);
    assertEquals(header.size(), f.size());
    assertEquals("add,\"ing\"", f.get(header.indexOf("task")));
    assertEquals("run,1", f.get(header.indexOf("run_id")));
    assertEquals("plain", SweepArtifacts.csv("plain"));
    assertEquals("\"a\nb\"", SweepArtifacts.csv("a\nb"));
  }

  @Test
  void onePanelPerCellAndActivationAndOneLinePerTrial() {
    TrialSpec tanh10 = trial("adding", 10, "rnn", "tanh", 0.01);
    TrialSpec tanh60 = trial("adding", 60, "rnn", "tanh", 0.01);
    TrialSpec relu10 = trial("adding", 10, "rnn", "relu", 0.01);
    TrialSpec lstm10a = trial("adding", 10, "lstm", null, 0.01);
    TrialSpec lstm10b = trial("adding", 10, "lstm", null, 0.001);
    TrialSpec lstmFailed = trial("adding", 60, "lstm", null, 0.001);
    double[] i1 = {1, 2};
    double[] f1 = {3, 4};
    List<TrialSpec> trials = List.of(tanh10, relu10, tanh60, lstm10a, lstm10b, lstmFailed);
    List<TrialResult> results = List.of(withProfiles(tanh10, "r1", i1, f1),
        withProfiles(relu10, "r2", i1, f1), withProfiles(tanh60, "r3", new double[] {5}, new double[] {6}),
        withProfiles(lstm10a, "r4", i1, f1), withProfiles(lstm10b, "r5", i1, f1),
        TrialResult.failed(lstmFailed.id(), lstmFailed.displayName(), null, "boom", 1));
    List<GradientCharts.Panel> fin = SweepArtifacts.panels(trials, results, false);
    assertEquals(List.of("rnn / tanh", "rnn / relu", "lstm"), fin.stream().map(GradientCharts.Panel::title).toList());
    assertEquals(List.of("T=10 lr=0.01", "T=60 lr=0.01"), List.copyOf(fin.get(0).profiles().keySet()));
    assertArrayEquals(f1, fin.get(0).profiles().get("T=10 lr=0.01"));
    assertArrayEquals(new double[] {6}, fin.get(0).profiles().get("T=60 lr=0.01"));
    assertEquals(List.of("T=10 lr=0.01"), List.copyOf(fin.get(1).profiles().keySet()));
    // the failed trial has no profile: no line
    assertEquals(List.of("T=10 lr=0.01", "T=10 lr=0.001"), List.copyOf(fin.get(2).profiles().keySet()));
    // at initialisation the learning rate does not matter: the name leaves it out, and equal profiles share a line
    List<GradientCharts.Panel> init = SweepArtifacts.panels(trials, results, true);
    assertEquals(List.of("T=10"), List.copyOf(init.get(2).profiles().keySet()));
    assertArrayEquals(i1, init.get(2).profiles().get("T=10"));
    assertEquals(List.of("T=10", "T=60"), List.copyOf(init.get(0).profiles().keySet()));
  }

  @Test
  void differentInitProfilesUnderOneNameKeepTheirOwnLines() {
    TrialSpec a = trial("adding", 10, "lstm", null, 0.01);
    TrialSpec b = trial("adding", 10, "lstm", null, 0.001);
    List<GradientCharts.Panel> init = SweepArtifacts.panels(List.of(a, b),
        List.of(withProfiles(a, "r1", new double[] {1}, null), withProfiles(b, "r2", new double[] {2}, null)), true);
    assertEquals(List.of("T=10", "T=10 #2"), List.copyOf(init.get(0).profiles().keySet()));
  }

  @Test
  void uploadsTheThreeArtifactsAndSurvivesAPictureThatCannotBeDrawn() {
    TrialSpec a = trial("adding", 10, "rnn", "tanh", 0.01);
    MemoryTrackingSink sink = new MemoryTrackingSink();
    var sweep = sink.startSweep("exp", "sweep", java.util.Map.of(), java.util.Map.of(), new byte[0]);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    SweepArtifacts.upload(sink, sweep, "sweep", List.of(a), List.of(withProfiles(a, "r", new double[] {1, 0.5},
        new double[] {2, 1})), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals("", err.toString(StandardCharsets.UTF_8));
    assertTrue(MemoryTrackingSink.run(sweep.runId()).orElseThrow().artifactPaths()
        .containsAll(List.of("trials.csv", "report/report.md", "final_profiles.png", "init_profiles.png")));
    // a mismatch between trials and results: every artifact fails, the sweep goes on with warnings
    SweepArtifacts.upload(sink, sweep, "sweep", List.of(a), List.of(), new PrintStream(err, true,
        StandardCharsets.UTF_8));
    assertEquals(3, err.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("warning")).count(),
        err.toString(StandardCharsets.UTF_8));
  }
}
