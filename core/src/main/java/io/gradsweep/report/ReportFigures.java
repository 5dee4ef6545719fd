package io.gradsweep.report;

import io.gradsweep.chart.ReportCharts.Line;
import io.gradsweep.chart.ReportCharts.Panel;
import io.gradsweep.chart.ReportCharts;
import io.gradsweep.report.AblationReport.Effect;
import io.gradsweep.report.AblationReport.LengthRow;
import io.gradsweep.report.AblationReport.LevelEstimate;
import io.gradsweep.report.AblationReport.Metric;
import io.gradsweep.report.AblationReport.RateCell;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/** The figures of an {@link AblationReport}: file name to a supplier of its PNG, for the sections that apply. */
final class ReportFigures {
  private final AblationReport report;

  ReportFigures(AblationReport report) {
    this.report = report;
  }

  Map<String, Supplier<byte[]>> applicable() {
    Map<String, Supplier<byte[]>> out = new LinkedHashMap<>();
    boolean lengths = report.byLength().stream().map(LengthRow::seqLen).distinct().count() >= 2;
    if (lengths) {
      out.put(AblationReport.BY_LENGTH_PNG, this::successByLength);
      if (report.byLength().stream().anyMatch(r -> Double.isFinite(r.medianDecayRate()))) {
        out.put(AblationReport.GRADIENT_PNG, this::gradientByLength);
      }
    }
    if (!report.divergence().isEmpty()) {
      out.put(AblationReport.DIVERGENCE_PNG, this::divergence);
    }
    if (!report.tbptt().isEmpty()) {
      out.put(AblationReport.TBPTT_PNG, this::tbptt);
    }
    for (Metric m : Metric.values()) {
      if (report.effects(m).stream().anyMatch(e -> !Double.isNaN(e.spread()))) {
        out.put(m == Metric.SUCCESS ? AblationReport.EFFECTS_SUCCESS_PNG : AblationReport.EFFECTS_HORIZON_PNG,
            () -> effects(m));
      }
    }
    return out;
  }

  /** "pooled over clip, optimizer and 3 seeds" for the factors other than those drawn. */
  String pooledOver(List<String> drawn) {
    List<String> others = new ArrayList<>();
    report.factors().stream().map(AblationReport.Factor::name).filter(f -> !drawn.contains(f))
        .forEach(others::add);
    int seeds = report.seeds().size();
    if (seeds > 1) {
      others.add(seeds + " seeds");
    }
    return others.isEmpty() ? "" : "each point pools the trials over " + ReportMarkdown.and(others);
  }

  private byte[] successByLength() {
    Map<String, List<LengthRow>> byNet = byNetwork();
    List<Line> success = new ArrayList<>();
    List<Line> steps = new ArrayList<>();
    List<Line> loss = new ArrayList<>();
    byNet.forEach((net, rs) -> {
      success.add(line(net, rs, LengthRow::successRate));
      steps.add(line(net, rs, LengthRow::medianStepsToSolve));
      loss.add(line(net, rs, LengthRow::medianEvalLoss));
    });
    double baseline = Stats.median(report.byLength().stream().mapToDouble(LengthRow::medianBaseline).toArray());
    double threshold = threshold();
    io.gradsweep.task.SequenceTask task = report.task();
    io.gradsweep.task.SolveRule rule = report.ownSolveRule();
    String described = task == null || task.baselineDescription().equals("trivial baseline") ? ""
        : " (" + task.baselineDescription() + ")";
    Panel last;
    String t = "sequence length T";
    if (rule == null) {
      if (Double.isFinite(baseline)) {
        loss.add(Line.horizontal("trivial baseline" + described + ": " + ReportMarkdown.num(baseline), baseline));
      }
      if (Double.isFinite(threshold)) {
        loss.add(Line.horizontal("solve threshold: " + ReportMarkdown.num(threshold), threshold));
      }
      boolean mse = task == null || task.loss() == io.gradsweep.task.SequenceTask.Loss.MSE;
      last = new Panel("Median final eval loss", t, (mse ? "eval MSE" : "eval cross-entropy") + "  (log scale)", loss,
          null, false, true);
    } else {
      List<Line> metric = new ArrayList<>();
      byNet.forEach((net, rs) -> metric.add(line(net, rs, LengthRow::medianSolveValue)));
      double base = Stats.median(report.byLength().stream().mapToDouble(LengthRow::medianBaselineSolve).toArray());
      if (Double.isFinite(base)) {
        metric.add(Line.horizontal("trivial baseline" + described + ": " + ReportMarkdown.num(base), base));
      }
      if (Double.isFinite(threshold)) {
        metric.add(Line.horizontal("solve threshold: " + ReportMarkdown.num(threshold), threshold));
      }
      last = new Panel("Median final " + rule.what(), t, rule.what() + " on held-out sequences", metric, null, true,
          false);
    }
    List<Panel> panels = List.of(
        new Panel("Success rate", t, "trials solved", success, null, true, false),
        new Panel("Median steps to solve (solved trials)", t, "training steps", steps, null, false, false),
        last);
    return ReportCharts.figure("How long a dependency each network learns: " + report.sweep(),
        join(pooledOver(List.of(Levels.NETWORK, "seq_len")), "steps to solve: no point where no trial solved"),
        panels, 3);
  }

  private byte[] gradientByLength() {
    Map<String, List<LengthRow>> byNet = byNetwork();
    List<Line> decay = new ArrayList<>();
    List<Line> horizon = new ArrayList<>();
    byNet.forEach((net, rs) -> {
      decay.add(line(net, rs, LengthRow::medianDecayRate));
      horizon.add(line(net, rs, LengthRow::medianHorizon));
    });
    decay.add(Line.horizontal("r = 1: neither vanishing nor exploding", 1.0));
    double[] ts = report.byLength().stream().mapToDouble(LengthRow::seqLen).distinct().sorted().toArray();
    // drawn first: the networks' lines go on top of it
    horizon.add(0, new Line("horizon = T: the gradient reaches the first step", ts, ts.clone(), null, null, true));
    String t = "sequence length T";
    List<Panel> panels = List.of(
        new Panel("Decay rate r per step (median)", t, "r  (< 1 vanishing, > 1 exploding)", decay, null, false,
            false),
        new Panel("Gradient horizon (median)", t, "horizon (steps back from the loss)",
            horizon, null, false, false));
    return ReportCharts.figure("Top layer's gradient at the end of training, by sequence length",
        join(pooledOver(List.of(Levels.NETWORK, "seq_len")), "from the last gradient profile of each trial"),
        panels, 2);
  }

  private byte[] divergence() {
    List<String> clips = levels("clip", report.divergence(), RateCell::row);
    List<String> labels = clips.stream().map(c -> Levels.label("clip", c)).toList();
    Map<String, double[][]> rates = new LinkedHashMap<>();
    for (RateCell c : report.divergence()) {
      double[][] v = rates.computeIfAbsent(c.column(), k -> nanArrays(clips.size()));
      int i = clips.indexOf(c.row());
      v[0][i] = c.rate();
      v[1][i] = c.maxMaxGradNorm();
    }
    List<Line> rate = new ArrayList<>();
    List<Line> norm = new ArrayList<>();
    double[] x = indices(clips.size());
    rates.forEach((opt, v) -> {
      rate.add(Line.of(opt, x, v[0]));
      norm.add(Line.of(opt, x, v[1]));
    });
    String xl = "gradient clipping (mode:threshold)";
    List<Panel> panels = List.of(
        new Panel("Trials diverged (NaN/Inf)", xl, "trials diverged", rate, labels, true, false),
        new Panel("Largest gradient norm (max over trials)", xl, "||g|| before clipping  (log scale)", norm,
            labels, false, true));
    return ReportCharts.figure("Divergence against clipping, per optimizer",
        join(pooledOver(List.of("clip", "optimizer")), "one line per optimizer"), panels, 2);
  }

  private byte[] tbptt() {
    List<String> ks = levels("tbptt", report.tbptt(), RateCell::row);
    List<String> labels = ks.stream().map(k -> Levels.label("tbptt", k)).toList();
    Map<String, double[]> byT = new LinkedHashMap<>();
    for (RateCell c : report.tbptt()) {
      byT.computeIfAbsent("T = " + c.column(), k -> nanArrays(ks.size())[0])[ks.indexOf(c.row())] = c.rate();
    }
    List<Line> lines = new ArrayList<>();
    byT.forEach((t, v) -> lines.add(Line.of(t, indices(ks.size()), v)));
    Panel p = new Panel("Solve rate", "truncation window k (steps back from the loss; full = whole sequence)",
        "trials solved", lines, labels, true, false);
    return ReportCharts.figure("Solve rate against the truncation window, per sequence length",
        join(pooledOver(List.of("tbptt", "seq_len")), "a window shorter than the dependency cannot learn it"),
        List.of(p), 1);
  }

  private byte[] effects(Metric m) {
    List<Panel> panels = new ArrayList<>();
    int rank = 0;
    for (Effect e : report.effects(m)) {
      rank++;
      if (Double.isNaN(e.spread())) {
        continue;
      }
      List<LevelEstimate> ls = e.levels();
      double[] y = ls.stream().mapToDouble(l -> l.estimate().mean()).toArray();
      double[] lo = ls.stream().mapToDouble(l -> l.estimate().low()).toArray();
      double[] hi = ls.stream().mapToDouble(l -> l.estimate().high()).toArray();
      List<String> labels = ls.stream().map(l -> Levels.label(e.factor(), l.level())).toList();
      String title = "#" + rank + " " + e.factor() + ":  spread " + ReportMarkdown.spread(m, e.spread())
          + (e.matched() ? "" : "  (unmatched)");
      panels.add(new Panel(title, Levels.describe(e.factor()), m == Metric.SUCCESS ? "trials solved"
          : "horizon / T", List.of(new Line(m == Metric.SUCCESS ? "mean over seeds of the per-seed success rate"
              : "mean over seeds of the per-seed mean horizon / T", indices(ls.size()), y, lo, hi, false)), labels,
          true, false));
    }
    int seeds = report.seeds().size();
    String bars = seeds >= 2 ? "bars: 95% t-interval over " + seeds + " seeds"
        : "one seed: no confidence interval (add seeds to get one)";
    return ReportCharts.figure("Marginal effect of each factor on the " + m.title + ", largest first",
        "each level averaged over the other factors (matched settings; see report.md)\n" + bars, panels, 3);
  }

  private Map<String, List<LengthRow>> byNetwork() {
    Map<String, List<LengthRow>> out = new LinkedHashMap<>();
    report.byLength().forEach(r -> out.computeIfAbsent(r.network(), k -> new ArrayList<>()).add(r));
    return out;
  }

  private static Line line(String name, List<LengthRow> rs, ToDoubleFunction<LengthRow> y) {
    return Line.of(name, rs.stream().mapToDouble(LengthRow::seqLen).toArray(), rs.stream().mapToDouble(y).toArray());
  }

  private double threshold() {
    return Stats.median(report.rows().stream()
        .mapToDouble(r -> {
          Double v = Levels.number(String.valueOf(r.param("solve_threshold")));
          return v == null ? Double.NaN : v;
        }).toArray());
  }

  private List<String> levels(String factor, List<RateCell> cells, Function<RateCell, String> key) {
    return cells.stream().map(key).distinct().sorted(Levels.order(factor)).toList();
  }

  private static double[][] nanArrays(int n) {
    double[][] v = new double[2][n];
    java.util.Arrays.fill(v[0], Double.NaN);
    java.util.Arrays.fill(v[1], Double.NaN);
    return v;
  }

  private static double[] indices(int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = i;
    }
    return x;
  }

  private static String join(String a, String b) {
    if (a.isEmpty()) {
      return b;
    }
    return a + ";  " + b;
  }
}
