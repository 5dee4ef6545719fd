package io.gradsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.chart.ReportCharts;
import io.gradsweep.report.AblationReport.Effect;
import io.gradsweep.report.AblationReport.LengthRow;
import io.gradsweep.report.AblationReport.LevelEstimate;
import io.gradsweep.report.AblationReport.Metric;
import io.gradsweep.report.AblationReport.RateCell;
import io.gradsweep.train.TrialStatus;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class AblationReportTest {

  private static final Path PREVIEW = Path.of("target", "report-preview");

  /** A hand-made trial row; {@code net} is cell[/activation]. */
  static TrialRow row(String net, int seqLen, String clip, String optimizer, String tbptt, int seed,
      TrialStatus status, int stepsToSolve, int horizon, double decay) {
    String[] ca = net.split("/");
    Map<String, String> p = new LinkedHashMap<>();
    p.put("task", "adding");
    p.put("seq_len", Integer.toString(seqLen));
    p.put("cell", ca[0]);
    p.put("activation", ca.length > 1 ? ca[1] : "-");
    p.put("clip", clip);
    p.put("tbptt", tbptt);
    p.put("optimizer", optimizer);
    p.put("lr", "0.003");
    p.put("hidden", "32");
    p.put("layers", "1");
    p.put("init", "default");
    p.put("seed", Integer.toString(seed));
    p.put("batch_size", "32");
    p.put("max_steps", "2000");
    p.put("eval_every", "50");
    p.put("eval_size", "500");
    p.put("eval_seed", "7");
    p.put("solve_threshold", "0.01");
    p.put("profile_every", "50");
    String id = Integer.toHexString((net + seqLen + clip + optimizer + tbptt + seed).hashCode());
    if (status == TrialStatus.FAILED) {
      return new TrialRow(0, id, net, p, status, -1, -1, -1, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
          Double.NaN, -1, Double.NaN, null);
    }
    boolean solved = status == TrialStatus.SOLVED;
    boolean diverged = status == TrialStatus.DIVERGED;
    return new TrialRow(0, id, net + " T" + seqLen, p, status, solved ? stepsToSolve : 2000,
        solved ? stepsToSolve : -1, diverged ? 77 : -1, diverged ? Double.NaN : solved ? 0.005 : 0.16, 1.0 / 6,
        diverged ? 1e6 : 3.0, 0.1, decay, horizon, 1.5, "run-" + id);
  }

  static TrialRow simple(String net, int seqLen, int seed, boolean solved) {
    return row(net, seqLen, "none", "adam", "none", seed, solved ? TrialStatus.SOLVED : TrialStatus.NOT_SOLVED,
        solved ? 100 * seqLen : -1, seqLen, 0.9);
  }

  private static LengthRow length(AblationReport r, String net, int t) {
    return r.byLength().stream().filter(l -> l.network().equals(net) && l.seqLen() == t).findFirst().orElseThrow();
  }

  private static Effect effect(AblationReport r, Metric m, String factor) {
    return r.effects(m).stream().filter(e -> e.factor().equals(factor)).findFirst().orElseThrow();
  }

  private static LevelEstimate level(Effect e, String level) {
    return e.levels().stream().filter(l -> l.level().equals(level)).findFirst().orElseThrow();
  }

  // ---------------------------------------------------------------- rates and medians

  @Test
  void successRateAndMedianStepsToSolveByNetworkAndLength() {
    List<TrialRow> rows = List.of(
        row("rnn/tanh", 10, "none", "adam", "none", 1, TrialStatus.SOLVED, 100, 10, 0.9),
        row("rnn/tanh", 10, "none", "adam", "none", 2, TrialStatus.SOLVED, 300, 10, 0.9),
        row("rnn/tanh", 60, "none", "adam", "none", 1, TrialStatus.SOLVED, 500, 20, 0.8),
        row("rnn/tanh", 60, "none", "adam", "none", 2, TrialStatus.NOT_SOLVED, -1, 12, 0.7),
        row("rnn/tanh", 60, "none", "adam", "none", 3, TrialStatus.DIVERGED, -1, 4, 0.5),
        row("rnn/tanh", 60, "none", "adam", "none", 4, TrialStatus.FAILED, -1, -1, Double.NaN),
        row("lstm", 10, "none", "adam", "none", 1, TrialStatus.SOLVED, 50, 10, 0.95),
        row("lstm", 60, "none", "adam", "none", 1, TrialStatus.SOLVED, 250, 60, 0.97));
    AblationReport r = AblationReport.of("t", rows);
    LengthRow tanh10 = length(r, "rnn/tanh", 10);
    assertEquals(2, tanh10.trials());
    assertEquals(1.0, tanh10.successRate());
    assertEquals(200.0, tanh10.medianStepsToSolve(), "median of 100 and 300");
    LengthRow tanh60 = length(r, "rnn/tanh", 60);
    assertEquals(3, tanh60.trials(), "the FAILED trial is not counted");
    assertEquals(1, tanh60.failed());
    assertEquals(1, tanh60.solved());
    assertEquals(1, tanh60.diverged());
    assertEquals(1.0 / 3, tanh60.successRate(), 1e-12);
    assertEquals(500.0, tanh60.medianStepsToSolve(), "over the solved trial only");
    assertEquals((0.005 + 0.16) / 2, tanh60.medianEvalLoss(), 1e-12, "the diverged trial has no loss");
    assertEquals(12.0, tanh60.medianHorizon(), "median of 20, 12, 4");
    assertEquals(0.7, tanh60.medianDecayRate(), 1e-12);
    // rows ordered by network, then T
    assertEquals(List.of("lstm", "lstm", "rnn/tanh", "rnn/tanh"),
        r.byLength().stream().map(LengthRow::network).toList());
  }

  @Test
  void divergenceRateByClipAndOptimizerAndSolveRateByWindow() {
    List<TrialRow> rows = new ArrayList<>();
    for (int seed = 1; seed <= 4; seed++) {
      // sgd without clipping diverges for 3 of 4 seeds; with clipping never
      rows.add(row("rnn/relu", 50, "none", "sgd", "none", seed, seed <= 3 ? TrialStatus.DIVERGED
          : TrialStatus.NOT_SOLVED, -1, 5, 1.2));
      rows.add(row("rnn/relu", 50, "global_norm:1", "sgd", "none", seed, TrialStatus.SOLVED, 400, 50, 1.0));
      rows.add(row("rnn/relu", 50, "none", "sgd", "10", seed, seed == 1 ? TrialStatus.DIVERGED
          : TrialStatus.NOT_SOLVED, -1, 10, 1.1));
      rows.add(row("rnn/relu", 50, "global_norm:1", "sgd", "10", seed, TrialStatus.NOT_SOLVED, -1, 10, 1.0));
    }
    AblationReport r = AblationReport.of("t", rows);
    RateCell noClip = r.divergence().stream().filter(c -> c.row().equals("none")).findFirst().orElseThrow();
    assertEquals(8, noClip.trials());
    assertEquals(4, noClip.events());
    assertEquals(0.5, noClip.rate());
    RateCell clipped = r.divergence().stream().filter(c -> c.row().equals("global_norm:1")).findFirst()
        .orElseThrow();
    assertEquals(0.0, clipped.rate());
    assertEquals(List.of("10", "none"), r.tbptt().stream().map(RateCell::row).toList(),
        "tbptt 'none' (full BPTT, an unbounded window) comes after every k");
    assertEquals(0.0, r.tbptt().get(0).rate());
    assertEquals(0.5, r.tbptt().get(1).rate(), "4 of 8 full-BPTT trials solved");
  }

  // ---------------------------------------------------------------- marginal effects

  /**
   * network x clip, seeds 1..n; lstm always solves; rnn/tanh solves at {@code tanhSolves[seed - 1]} of the two clip
   * settings (0, 1 = only without clipping, or 2), the pattern repeated over the seeds; overall clip has no effect
   * on lstm and a small one on tanh.
   */
  private static List<TrialRow> factorial(int seeds, int[] tanhSolves) {
    List<TrialRow> rows = new ArrayList<>();
    for (int s = 1; s <= seeds; s++) {
      int solves = tanhSolves[(s - 1) % tanhSolves.length];
      for (String clip : List.of("none", "global_norm:1")) {
        boolean tanh = clip.equals("none") ? solves >= 1 : solves == 2;
        rows.add(row("rnn/tanh", 60, clip, "adam", "none", s, tanh ? TrialStatus.SOLVED : TrialStatus.NOT_SOLVED,
            900, 8, 0.8));
        rows.add(row("lstm", 60, clip, "adam", "none", s, TrialStatus.SOLVED, 300, 60, 0.97));
      }
    }
    return rows;
  }

  private static final int[] PATTERN = {1, 1, 2, 1, 1, 0};

  @Test
  void marginalSuccessRateIsTheMeanOfPerSeedRatesWithATIntervalOverSeeds() {
    AblationReport r = AblationReport.of("t", factorial(6, PATTERN));
    Effect net = effect(r, Metric.SUCCESS, "network");
    assertTrue(net.matched());
    assertEquals(2, net.contexts(), "clip none and global_norm:1");
    assertEquals(6, net.seeds());
    Stats.Interval tanh = level(net, "rnn/tanh").estimate();
    // per-seed rates 1/2, 1/2, 1, 1/2, 1/2, 0: mean 1/2, sd sqrt(1/10), t(0.975, 5) = 2.570582
    assertEquals(0.5, tanh.mean(), 1e-12);
    double half = 2.570582 * Math.sqrt(0.1) / Math.sqrt(6);
    assertEquals(0.5 - half, tanh.low(), 1e-6);
    assertEquals(0.5 + half, tanh.high(), 1e-6);
    assertEquals(12, level(net, "rnn/tanh").trials(), "6 seeds x 2 clip settings");
    assertEquals(1.0, level(net, "lstm").estimate().mean());
    assertEquals("lstm", net.best());
    assertEquals("rnn/tanh", net.worst());
    assertEquals(0.5, net.spread(), 1e-12);
    // per-seed differences lstm - tanh: 1/2, 1/2, 0, 1/2, 1/2, 1: the same spread of values
    assertEquals(0.5 - half, net.spreadInterval().low(), 1e-6);
    assertEquals(0.5 + half, net.spreadInterval().high(), 1e-6);

    // clip: per seed (none, clipped) means over both networks: tanh solves unclipped at 5 seeds, clipped at 1
    Effect clip = effect(r, Metric.SUCCESS, "clip");
    assertEquals((1 + 5.0 / 6) / 2 - (1 + 1.0 / 6) / 2, clip.spread(), 1e-12);
    assertEquals("none", clip.best());
    assertEquals(List.of("network", "clip"), r.effects(Metric.SUCCESS).stream().map(Effect::factor).toList(),
        "ranked by spread");
  }

  @Test
  void intervalShrinksWithMoreSeedsAndStaysWithinZeroAndOne() {
    Effect six = effect(AblationReport.of("t", factorial(6, PATTERN)), Metric.SUCCESS, "network");
    Effect many = effect(AblationReport.of("t", factorial(24, PATTERN)), Metric.SUCCESS, "network");
    assertEquals(six.spread(), many.spread(), 1e-12, "same pattern, same estimate");
    double h6 = level(six, "rnn/tanh").estimate().halfWidth();
    double h24 = level(many, "rnn/tanh").estimate().halfWidth();
    assertTrue(h24 < h6 / 2, "24 seeds: " + h24 + ", 6 seeds: " + h6);
    assertTrue(many.spreadInterval().halfWidth() < six.spreadInterval().halfWidth());
    // 3 seeds with rates 1, 0, 0: the t-interval (1/3 +- 1.43) is cut to [0, 1]
    Stats.Interval wide = level(effect(AblationReport.of("t", factorial(3, new int[] {2, 0, 0})), Metric.SUCCESS,
        "network"), "rnn/tanh").estimate();
    assertEquals(1.0 / 3, wide.mean(), 1e-12);
    assertEquals(0.0, wide.low());
    assertEquals(1.0, wide.high());
  }

  @Test
  void factorsAreRankedBySpreadOnSuccessAndOnHorizonSeparately() {
    List<TrialRow> rows = new ArrayList<>();
    for (int seed = 1; seed <= 2; seed++) {
      for (String net : List.of("rnn/tanh", "lstm")) {
        for (int t : new int[] {10, 60}) {
          for (String opt : List.of("adam", "sgd")) {
            // success: every trial at T = 10, at T = 60 only lstm with seed 1; the optimizer does nothing
            boolean solved = t == 10 || (net.equals("lstm") && seed == 1);
            // horizon: lstm reaches the whole sequence, tanh 8 steps
            int horizon = net.equals("lstm") ? t : 8;
            rows.add(row(net, t, "none", opt, "none", seed, solved ? TrialStatus.SOLVED : TrialStatus.NOT_SOLVED,
                200, horizon, 0.9));
          }
        }
      }
    }
    AblationReport r = AblationReport.of("t", rows);
    assertEquals(List.of("seq_len", "network", "optimizer"),
        r.effects(Metric.SUCCESS).stream().map(Effect::factor).toList());
    // T = 10: 1; T = 60: seed 1 1/2, seed 2 0 -> 1/4
    assertEquals(0.75, effect(r, Metric.SUCCESS, "seq_len").spread(), 1e-12);
    // lstm: seed 1 1, seed 2 1/2 -> 3/4; tanh: 1/2
    assertEquals(0.25, effect(r, Metric.SUCCESS, "network").spread(), 1e-12);
    assertEquals(0.0, effect(r, Metric.SUCCESS, "optimizer").spread());
    // horizon / T: lstm 1; tanh (8/10 + 8/60) / 2; T = 10: (1 + 0.8) / 2, T = 60: (1 + 8/60) / 2
    assertEquals(List.of("network", "seq_len", "optimizer"),
        r.effects(Metric.HORIZON).stream().map(Effect::factor).toList());
    assertEquals(1 - (0.8 + 8.0 / 60) / 2, effect(r, Metric.HORIZON, "network").spread(), 1e-12);
    assertEquals((1 + 0.8) / 2 - (1 + 8.0 / 60) / 2, effect(r, Metric.HORIZON, "seq_len").spread(), 1e-12);
  }

  @Test
  void levelsRunInDifferentSettingsAreMarkedUnmatched() {
    // relu only ran at T=30 with sgd, tanh and lstm only at T=10 with adam (as in the jobs' tiny sweep)
    List<TrialRow> rows = List.of(
        row("rnn/tanh", 10, "none", "adam", "none", 1, TrialStatus.SOLVED, 20, 10, 0.9),
        row("lstm", 10, "none", "adam", "none", 1, TrialStatus.NOT_SOLVED, -1, 10, 0.9),
        row("rnn/relu", 30, "none", "sgd", "none", 1, TrialStatus.DIVERGED, -1, 3, 2.0));
    AblationReport r = AblationReport.of("t", rows);
    Effect net = effect(r, Metric.SUCCESS, "network");
    assertFalse(net.matched());
    assertEquals(3, net.levels().size());
    String md = markdown(r);
    assertTrue(md.contains("unmatched"), md);
  }

  // ---------------------------------------------------------------- degenerate sweeps

  @Test
  void allDivergedGivesZeroRatesAndNoEffectOnSuccess() {
    List<TrialRow> rows = new ArrayList<>();
    for (String clip : List.of("none", "value:0.5")) {
      for (int t : new int[] {20, 50}) {
        rows.add(row("rnn/relu", t, clip, "sgd", "none", 1, TrialStatus.DIVERGED, -1, -1, Double.NaN));
      }
    }
    AblationReport r = AblationReport.of("t", rows);
    r.byLength().forEach(l -> {
      assertEquals(0.0, l.successRate());
      assertTrue(Double.isNaN(l.medianStepsToSolve()));
      assertTrue(Double.isNaN(l.medianHorizon()));
    });
    r.effects(Metric.SUCCESS).forEach(e -> assertEquals(0.0, e.spread(), e.factor()));
    r.effects(Metric.HORIZON).forEach(e -> assertTrue(Double.isNaN(e.spread()), "no horizon at all"));
    assertTrue(r.divergence().stream().allMatch(c -> c.rate() == 1.0));
    Map<String, byte[]> files = r.files();
    String md = new String(files.get("report/report.md"), StandardCharsets.UTF_8);
    assertTrue(md.contains("no effect"), md);
    assertFalse(files.containsKey("report/" + AblationReport.EFFECTS_HORIZON_PNG), files.keySet().toString());
    assertFalse(files.containsKey("report/" + AblationReport.GRADIENT_PNG), "no decay rate to draw");
    assertTrue(files.containsKey("report/" + AblationReport.DIVERGENCE_PNG));
  }

  @Test
  void oneTrialHasNothingToCompare() {
    AblationReport r = AblationReport.of("one", List.of(simple("lstm", 10, 1, true)));
    assertTrue(r.factors().isEmpty());
    assertEquals("lstm", r.fixed().get("network"));
    Map<String, byte[]> files = r.files();
    String md = new String(files.get("report/report.md"), StandardCharsets.UTF_8);
    assertTrue(md.contains("Nothing was swept") && md.contains("one trial"), md);
    assertFalse(files.keySet().stream().anyMatch(f -> f.endsWith(".png")), "no curve from one point: " + files);
    assertFalse(files.containsKey("report/" + AblationReport.EFFECTS_CSV));
  }

  @Test
  void noTrialsAndOnlyFailedTrialsStillGiveAReport() {
    String empty = markdown(AblationReport.of("empty", List.of()));
    assertTrue(empty.contains("no trials"), empty);
    AblationReport failed = AblationReport.of("failed", List.of(
        row("lstm", 10, "none", "adam", "none", 1, TrialStatus.FAILED, -1, -1, Double.NaN),
        row("lstm", 60, "none", "adam", "none", 1, TrialStatus.FAILED, -1, -1, Double.NaN)));
    String md = markdown(failed);
    assertTrue(md.contains("2 trials") && md.contains("2 failed") && md.contains("nothing to compare"), md);
  }

  @Test
  void aFactorWithOneLevelIsFixedAndNamedOnce() {
    List<TrialRow> rows = List.of(simple("rnn/tanh", 10, 1, true), simple("rnn/tanh", 60, 1, false));
    AblationReport r = AblationReport.of("t", rows);
    assertEquals(List.of("seq_len"), r.factors().stream().map(AblationReport.Factor::name).toList());
    assertEquals("adam", r.fixed().get("optimizer"));
    String md = markdown(r);
    assertTrue(md.contains("Fixed (one value, so no effect to measure)") && md.contains("`optimizer` = adam"), md);
    assertTrue(md.contains("one seed"), md);
  }

  @Test
  void nanMetricsAreSkippedNotPropagated() {
    List<TrialRow> rows = List.of(
        row("lstm", 10, "none", "adam", "none", 1, TrialStatus.SOLVED, 100, 10, Double.NaN),
        row("lstm", 10, "none", "adam", "none", 2, TrialStatus.SOLVED, 300, -1, 0.9),
        row("lstm", 20, "none", "adam", "none", 1, TrialStatus.SOLVED, 100, 20, 0.8));
    AblationReport r = AblationReport.of("t", rows);
    LengthRow l = length(r, "lstm", 10);
    assertEquals(0.9, l.medianDecayRate(), 1e-12);
    assertEquals(10.0, l.medianHorizon());
    assertEquals(1, level(effect(r, Metric.HORIZON, "seq_len"), "10").trials());
    String md = markdown(r);
    assertFalse(md.contains("NaN"), md);
  }

  // ---------------------------------------------------------------- rendering

  @Test
  void markdownRanksFirstMentionsEverySweptFactorAndLinksRelatively() throws IOException {
    List<TrialRow> rows = new ArrayList<>();
    for (int seed = 1; seed <= 3; seed++) {
      for (String net : List.of("rnn/tanh", "rnn/relu", "lstm")) {
        for (int t : new int[] {10, 60}) {
          for (String clip : List.of("none", "global_norm:1")) {
            for (String k : List.of("5", "none")) {
              boolean solved = (net.equals("lstm") || t == 10 || (net.equals("rnn/relu") && seed != 2))
                  && (k.equals("none") || t == 10);
              boolean diverged = !solved && net.equals("rnn/relu") && clip.equals("none");
              rows.add(row(net, t, clip, "adam", k, seed, diverged ? TrialStatus.DIVERGED
                  : solved ? TrialStatus.SOLVED : TrialStatus.NOT_SOLVED, 50 * t + 10 * seed,
                  net.equals("rnn/tanh") ? Math.min(t, 12) : t, net.equals("rnn/tanh") ? 0.8 : 0.98));
            }
          }
        }
      }
    }
    AblationReport r = AblationReport.of("demo", rows);
    Map<String, byte[]> files = r.files();
    String md = new String(files.get("report/report.md"), StandardCharsets.UTF_8);
    int whatMatters = md.indexOf("## What matters");
    assertTrue(whatMatters > 0 && whatMatters < md.indexOf("## How long"), "ranked list first:\n" + md);
    for (AblationReport.Factor f : r.factors()) {
      assertTrue(md.contains("**" + f.name() + "**"), f.name() + " in the ranked list:\n" + md);
    }
    assertEquals(List.of("seq_len", "network", "clip", "tbptt"),
        r.factors().stream().map(AblationReport.Factor::name).toList());
    // every link is relative and names a file of the report
    Matcher m = Pattern.compile("\\]\\(([^)]+)\\)").matcher(md);
    int links = 0;
    while (m.find()) {
      String target = m.group(1);
      assertFalse(target.startsWith("/") || target.contains("://") || target.startsWith("report/"), target);
      assertTrue(files.containsKey("report/" + target), "link to a missing file: " + target);
      links++;
    }
    assertTrue(links >= 10, "figures and tables linked: " + links);
    for (String png : List.of(AblationReport.BY_LENGTH_PNG, AblationReport.GRADIENT_PNG,
        AblationReport.DIVERGENCE_PNG, AblationReport.TBPTT_PNG, AblationReport.EFFECTS_SUCCESS_PNG,
        AblationReport.EFFECTS_HORIZON_PNG)) {
      assertTrue(md.contains("](" + png + ")"), png + " shown:\n" + md);
    }
    assertTrue(md.contains("t-interval"), "the method is stated");
    Files.createDirectories(PREVIEW);
    r.writeTo(PREVIEW);
  }

  @Test
  void figuresHaveTheExpectedSize() throws IOException {
    List<TrialRow> rows = new ArrayList<>();
    for (String net : List.of("rnn/tanh", "lstm")) {
      for (int t : new int[] {10, 30, 60}) {
        for (String opt : List.of("adam", "sgd")) {
          rows.add(row(net, t, "none", opt, "none", 1, net.equals("lstm") || t < 60 ? TrialStatus.SOLVED
              : TrialStatus.NOT_SOLVED, 10 * t, t, 0.9));
        }
      }
    }
    Map<String, byte[]> files = AblationReport.of("sizes", rows).files();
    BufferedImage byLength = decode(files.get("report/" + AblationReport.BY_LENGTH_PNG));
    assertEquals(3 * ReportCharts.PANEL_WIDTH, byLength.getWidth(), "three panels side by side");
    assertTrue(byLength.getHeight() > ReportCharts.PANEL_HEIGHT
        && byLength.getHeight() < ReportCharts.PANEL_HEIGHT + 250, "one row: " + byLength.getHeight());
    BufferedImage effects = decode(files.get("report/" + AblationReport.EFFECTS_SUCCESS_PNG));
    assertEquals(3 * ReportCharts.PANEL_WIDTH, effects.getWidth(), "three factors: three panels");
    BufferedImage divergence = decode(files.get("report/" + AblationReport.DIVERGENCE_PNG));
    assertEquals(2 * ReportCharts.PANEL_WIDTH, divergence.getWidth());
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      if (e.getKey().endsWith(".png")) {
        assertNotBlank(decode(e.getValue()), e.getKey());
      }
    }
  }

  /** A row of another task: same params as {@link #row} but the task (and its options) and the solve metric. */
  private static TrialRow taskRow(String task, Map<String, String> options, String net, int seqLen, int seed,
      boolean solved, double solveValue, double baselineSolve, double baselineLoss, int horizon) {
    TrialRow r = row(net, seqLen, "none", "adam", "none", seed, solved ? TrialStatus.SOLVED : TrialStatus.NOT_SOLVED,
        solved ? 300 : -1, horizon, 0.9);
    Map<String, String> p = new LinkedHashMap<>(r.params());
    p.put("task", task);
    options.forEach((k, v) -> p.put("task." + k, v));
    p.put("solve_threshold", "0.99");
    return new TrialRow(0, r.trialId(), r.name(), p, r.status(), r.steps(), r.stepsToSolve(), r.divergedAtStep(),
        solved ? 0.01 : baselineLoss, baselineLoss, r.maxGradNorm(), r.clipRate(), r.decayRate(), r.horizon(),
        r.wallSeconds(), r.runId(), solveValue, baselineSolve);
  }

  @Test
  void aClassificationTaskIsReportedByItsAccuracyAndItsBaseline() {
    List<TrialRow> rows = new ArrayList<>();
    for (int seed = 1; seed <= 2; seed++) {
      rows.add(taskRow("temporal_order", Map.of("relevant", "2"), "lstm", 30, seed, true, 0.995, 0.25, Math.log(4),
          30));
      rows.add(taskRow("temporal_order", Map.of("relevant", "2"), "rnn/tanh", 30, seed, false, 0.26, 0.25,
          Math.log(4), 5));
      rows.add(taskRow("temporal_order", Map.of("relevant", "2"), "lstm", 100, seed, false, 0.5, 0.25, Math.log(4),
          40));
      rows.add(taskRow("temporal_order", Map.of("relevant", "2"), "rnn/tanh", 100, seed, false, 0.25, 0.25,
          Math.log(4), 5));
    }
    AblationReport r = AblationReport.of("order", rows);
    String md = markdown(r);
    assertTrue(md.contains("Solved = accuracy at or above 0.99 within 2000 steps; the trivial baseline (a uniform "
        + "guess among the 4 orders) scores accuracy 0.25 (1/4 expected), eval loss 1.39 (ln 4)."), md);
    assertTrue(md.contains("| loss / baseline | median accuracy (baseline 1/4) |"), md);
    assertTrue(md.contains("| lstm | 30 | 2 | 2 | 0 | 100% |"), md);
    assertTrue(md.contains("trial is solved when its accuracy on the held-out sequences reaches `solve_threshold`"),
        md);
    assertEquals(0.995, length(r, "lstm", 30).medianSolveValue(), 1e-12);
    assertEquals(0.25, length(r, "lstm", 30).medianBaselineSolve(), 1e-12);
    assertTrue(r.files().containsKey("report/" + AblationReport.BY_LENGTH_PNG), r.files().keySet().toString());
    String csv = new String(r.files().get("report/" + AblationReport.BY_LENGTH_CSV), StandardCharsets.UTF_8);
    assertTrue(csv.startsWith("network,seq_len,") && csv.contains("median_final_solve_value"), csv);
  }

  @Test
  void theCopyTasksHorizonIsAShareOfItsTPlusTwentySteps() {
    List<TrialRow> rows = new ArrayList<>();
    for (int seed = 1; seed <= 2; seed++) {
      rows.add(taskRow("copy", Map.of("alphabet", "8", "symbols", "10"), "lstm", 10, seed, false, 0.4, 0.125,
          10 * Math.log(8) / 30, 30));
      rows.add(taskRow("copy", Map.of("alphabet", "8", "symbols", "10"), "gru", 10, seed, false, 0.3, 0.125,
          10 * Math.log(8) / 30, 15));
    }
    AblationReport r = AblationReport.of("copy", rows);
    String md = markdown(r);
    assertTrue(md.contains("| lstm | 10 | 0.9 | 30 | 100% |"), md); // horizon 30 of T + 20 = 30 steps
    assertTrue(md.contains("recall accuracy at or above 0.99"), md);
    assertTrue(md.contains("memoryless: blanks, then a uniform guess among the 8 symbols"), md);
  }

  private static String markdown(AblationReport r) {
    return new String(r.files().get("report/report.md"), StandardCharsets.UTF_8);
  }

  private static BufferedImage decode(byte[] png) throws IOException {
    assertNotNull(png);
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
    assertNotNull(img, "a PNG");
    return img;
  }

  /** Some pixels are coloured (lines drawn), not only white, grey and black. */
  private static void assertNotBlank(BufferedImage img, String what) {
    int coloured = 0;
    for (int y = 0; y < img.getHeight(); y += 2) {
      for (int x = 0; x < img.getWidth(); x += 2) {
        int rgb = img.getRGB(x, y);
        int r = (rgb >> 16) & 0xFF;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60) {
          coloured++;
        }
      }
    }
    assertTrue(coloured > 100, what + ": " + coloured + " coloured pixels");
  }
}
