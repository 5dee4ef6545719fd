package io.gradsweep.report;

import io.gradsweep.report.AblationReport.Effect;
import io.gradsweep.report.AblationReport.Factor;
import io.gradsweep.report.AblationReport.LengthRow;
import io.gradsweep.report.AblationReport.LevelEstimate;
import io.gradsweep.report.AblationReport.Metric;
import io.gradsweep.report.AblationReport.RateCell;
import io.gradsweep.tracking.Names;
import io.gradsweep.train.TrialStatus;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The Markdown of an {@link AblationReport}: the ranked "what matters" first, then one section per table. */
final class ReportMarkdown {
  private ReportMarkdown() {}

  static String render(AblationReport r, Set<String> figures, Set<String> csvs, List<String> figureErrors) {
    StringBuilder md = new StringBuilder();
    List<TrialRow> rows = r.rows();
    md.append("# Ablation report: ").append(r.sweep()).append("\n\n");
    md.append(overview(r)).append("\n\n");
    if (rows.isEmpty()) {
      md.append("The sweep has no trials: nothing to report.\n");
      return md.toString();
    }
    long outcomes = rows.stream().filter(TrialRow::hasOutcome).count();
    if (outcomes == 0) {
      md.append("No trial produced a training outcome (every trial FAILED: see the trial runs' tag "
          + "`" + Names.Tag.ERROR + "`), so there is nothing to compare.\n");
      return md.toString();
    }

    md.append("## What matters\n\n");
    if (r.factors().isEmpty()) {
      md.append("Nothing was swept: every parameter has a single value")
          .append(rows.size() == 1 ? " (one trial)" : " (the trials differ only in their seed)")
          .append(", so no factor can be compared.\n\n");
    } else {
      whatMatters(md, r, Metric.SUCCESS);
      whatMatters(md, r, Metric.HORIZON);
      md.append("Each factor's levels are averaged over the other factors; a spread is the best level minus the "
          + "worst, with a 95% confidence interval over seeds (method at the end). ")
          .append(r.seeds().size() < 2 ? "**This sweep has one seed: no intervals; a spread may be chance.** "
              : "")
          .append("\n\n");
    }

    lengthSection(md, r, figures);
    divergenceSection(md, r, figures);
    tbpttSection(md, r, figures);
    gradientSection(md, r, figures);
    effectsSection(md, r, figures);

    md.append("## Method\n\n");
    io.gradsweep.task.SolveRule rule = r.ownSolveRule();
    md.append(rule == null ? "- **Success**: a trial is solved when its eval loss falls below `solve_threshold` "
        + "within `max_steps`" : "- **Success**: a trial is solved when its " + rule.what() + " on the held-out "
        + "sequences reaches `solve_threshold` within `max_steps`").append("; NOT_SOLVED, DIVERGED and the trials "
        + "stopped early (VANISHED, PLATEAU: `training.stop`) count as not solved. FAILED trials (errors, not training outcomes) are left out of every rate and average.\n");
    md.append("- **Medians** (steps to solve, eval loss, decay rate, horizon) are over the trials that have the "
        + "value: steps to solve over solved trials only; eval loss over trials that did not diverge.\n");
    md.append("- **Gradient horizon** and **decay rate** come from the top layer's last gradient profile "
        + "||dL/dh_t||: the horizon counts the steps back from the loss where the norm stays at or above 1e-3 of "
        + "its value at the loss (at most T; the marginal effects use horizon / T, since in steps it is capped by T); r "
        + "is the per-step factor of a log-linear fit (< 1 vanishing).\n");
    md.append("- **Marginal effect** of a factor: the trials are grouped by the levels of the other swept factors, "
        + "and only groups in which every level of the factor ran are used (a matched comparison; "
        + "\"unmatched\" marks a factor with no such group, whose levels were run in different settings and are "
        + "therefore confounded with them). For each seed, a level's value is the mean over its trials (the "
        + "success rate, or the mean horizon / T); the level's estimate is the mean of these per-seed values, and its "
        + "95% confidence interval is a t-interval over seeds: mean ± t(0.975, n−1) · sd / √n, n = seeds (cut "
        + "to 0-100% for rates). The spread is the best level's estimate minus the worst's; its interval is the t-interval of the per-seed "
        + "differences between those two levels. Factors are ranked by spread. With one seed there are no "
        + "intervals. The interval measures seed-to-seed variation only, and the best/worst levels are picked "
        + "from the same data, so a spread whose interval barely excludes 0 is weak evidence.\n");
    md.append("- Factors: every parameter with more than one value, except `seed` (the replicates) and "
        + "`profile_every` and `log_points` (measurement settings); cell and activation form one factor, `network`.\n\n");

    md.append("## Files\n\n");
    List<String> files = new ArrayList<>();
    figures.forEach(f -> files.add("[" + f + "](" + f + ")"));
    csvs.forEach(f -> files.add("[" + f + "](" + f + ")"));
    md.append("In this directory: ").append(String.join(", ", files)).append(". One row per trial with every "
        + "parameter and summary value: `trials.csv` next to this directory (schema in the project README).\n");
    if (!figureErrors.isEmpty()) {
      md.append("\nFigures that could not be drawn: ").append(String.join("; ", figureErrors)).append('\n');
    }
    return md.toString();
  }

  private static String overview(AblationReport r) {
    List<TrialRow> rows = r.rows();
    StringBuilder sb = new StringBuilder();
    sb.append("**").append(rows.size()).append(rows.size() == 1 ? " trial" : " trials").append("**: ");
    List<String> counts = new ArrayList<>();
    for (TrialStatus s : TrialStatus.values()) {
      long n = rows.stream().filter(t -> t.status() == s).count();
      // the outcomes every sweep has, and the others (failed, stopped early by a rule or by a scheduler) when they occur
      boolean always = s == TrialStatus.SOLVED || s == TrialStatus.NOT_SOLVED || s == TrialStatus.DIVERGED;
      if (n > 0 || always) {
        counts.add(n + " " + s.name().toLowerCase(Locale.ROOT).replace('_', ' '));
      }
    }
    sb.append(String.join(", ", counts));
    int seeds = r.seeds().size();
    sb.append("; ").append(seeds).append(seeds == 1 ? " seed" : " seeds").append(".");
    if (!r.factors().isEmpty()) {
      List<String> swept = new ArrayList<>();
      for (Factor f : r.factors()) {
        swept.add("`" + f.name() + "` (" + String.join(", ", f.levels().stream()
            .map(l -> Levels.label(f.name(), l)).toList()) + ")");
      }
      sb.append("\nSwept: ").append(String.join("; ", swept)).append(".");
    }
    List<String> fixed = new ArrayList<>();
    for (Map.Entry<String, String> e : r.fixed().entrySet()) {
      if (List.of("task", Levels.NETWORK, "seq_len", "clip", "tbptt", "optimizer", "lr", "hidden", "layers",
          "init", "batch_size", "max_steps").contains(e.getKey())) {
        fixed.add("`" + e.getKey() + "` = " + Levels.label(e.getKey(), e.getValue()));
      }
    }
    if (!fixed.isEmpty()) {
      sb.append("\nFixed (one value, so no effect to measure): ").append(String.join(", ", fixed)).append(".");
    }
    AblationReport.EarlyStops stops = r.earlyStops();
    if (stops.any()) {
      sb.append("\nEarly stopping").append(stops.rules() == null ? "" : " (`" + stops.rules() + "`)").append(": ")
          .append(stops.stopped()).append(stops.stopped() == 1 ? " trial" : " trials").append(" stopped early (")
          .append(stops.vanished()).append(" vanished, ").append(stops.plateau()).append(" plateau); **")
          .append(String.format(Locale.ROOT, "%,d", stops.stepsSaved())).append(" steps saved** of ")
          .append(String.format(Locale.ROOT, "%,d", stops.stepsBudgeted())).append(" budgeted (")
          .append(pct(stops.stepsBudgeted() == 0 ? Double.NaN : (double) stops.stepsSaved() / stops.stepsBudgeted()))
          .append("). A stopped trial counts as not solved; its gradient values are those of the step it stopped "
              + "at.");
    }
    String threshold = firstParam(rows, "solve_threshold");
    String budget = firstParam(rows, "max_steps");
    io.gradsweep.task.SequenceTask task = r.task();
    io.gradsweep.task.SolveRule rule = r.ownSolveRule();
    if (threshold != null && rule != null) {
      sb.append("\nSolved = ").append(rule.what()).append(" at or above ").append(threshold)
          .append(budget == null ? "" : " within " + budget + " steps");
      double baseline = Stats.median(rows.stream().mapToDouble(TrialRow::baselineSolveValue).toArray());
      double baselineLoss = Stats.median(rows.stream().mapToDouble(TrialRow::baselineLoss).toArray());
      if (Double.isFinite(baseline)) {
        sb.append("; the trivial baseline (").append(task.baselineDescription()).append(") scores ")
            .append(rule.what()).append(' ').append(num(baseline)).append(" (").append(rule.baselineText())
            .append(" expected), eval loss ").append(num(baselineLoss)).append(" (").append(task.baselineText())
            .append(")");
      }
      sb.append(".");
    } else if (threshold != null) {
      sb.append("\nSolved = eval loss below ").append(threshold)
          .append(budget == null ? "" : " within " + budget + " steps");
      double baseline = Stats.median(rows.stream().mapToDouble(TrialRow::baselineLoss).toArray());
      if (Double.isFinite(baseline)) {
        sb.append("; the trivial baseline")
            .append(task != null && !task.baselineDescription().equals("trivial baseline")
                ? " (" + task.baselineDescription() + ")" : "")
            .append(" scores ").append(num(baseline));
      }
      sb.append(".");
    }
    return sb.toString();
  }

  private static String firstParam(List<TrialRow> rows, String key) {
    return rows.stream().map(t -> t.param(key)).filter(v -> v != null).findFirst().orElse(null);
  }

  private static void whatMatters(StringBuilder md, AblationReport r, Metric m) {
    md.append(m == Metric.SUCCESS ? "**Success rate** (share of trials that solved the task), largest effect first:"
        : "**Gradient horizon** (the share of the sequence the gradient reaches back from the loss at the end of "
            + "training: horizon / T), largest effect first:").append("\n\n");
    int rank = 0;
    for (Effect e : r.effects(m)) {
      rank++;
      md.append(rank).append(". **").append(e.factor()).append("**: ");
      if (Double.isNaN(e.spread())) {
        md.append("no data (no trial of this factor has a ").append(m.title).append(")\n");
        continue;
      }
      if (e.spread() == 0) {
        md.append("no effect: every level ").append(e.metric() == Metric.SUCCESS ? "solved " : "reaches ")
            .append(value(m, e.levels().get(0).estimate().mean())).append("\n");
        continue;
      }
      md.append(Levels.named(e.factor(), e.best())).append(": ").append(value(m, estimate(e, e.best())))
          .append(" vs ").append(Levels.named(e.factor(), e.worst())).append(": ")
          .append(value(m, estimate(e, e.worst()))).append(", spread ").append(spread(m, e.spread()));
      if (e.spreadInterval().hasInterval()) {
        md.append(String.format(Locale.ROOT, " (95%% CI %.0f to %.0f pts)", 100 * e.spreadInterval().low(),
            100 * e.spreadInterval().high()));
        if (e.spreadInterval().low() <= 0) {
          md.append(" (not distinguishable from seed noise)");
        }
      }
      if (!e.matched()) {
        md.append(" (unmatched: levels ran in different settings)");
      }
      md.append('\n');
    }
    md.append('\n');
  }

  private static double estimate(Effect e, String level) {
    return e.levels().stream().filter(l -> l.level().equals(level)).findFirst().orElseThrow().estimate().mean();
  }

  private static void lengthSection(StringBuilder md, AblationReport r, Set<String> figures) {
    if (r.byLength().isEmpty()) {
      return;
    }
    md.append("## How long a dependency each network learns\n\n");
    figure(md, figures, AblationReport.BY_LENGTH_PNG, "success rate, steps to solve and final loss by sequence "
        + "length");
    if (!figures.contains(AblationReport.BY_LENGTH_PNG)) {
      md.append("(One sequence length in this sweep: no curve over T.)\n\n");
    }
    io.gradsweep.task.SolveRule rule = r.ownSolveRule();
    md.append("| network | T | trials | solved | diverged | success | median steps to solve | median eval loss | "
        + "loss / baseline |").append(rule == null ? "" : " median " + rule.what() + " (baseline " + rule.baselineText()
            + ") |")
        .append("\n|---|---:|---:|---:|---:|---:|---:|---:|---:|").append(rule == null ? "" : "---:|").append("\n");
    for (LengthRow l : r.byLength()) {
      md.append("| ").append(l.network()).append(" | ").append(l.seqLen()).append(" | ").append(l.trials())
          .append(l.failed() > 0 ? " (+" + l.failed() + " failed)" : "").append(" | ").append(l.solved())
          .append(" | ").append(l.diverged()).append(" | ").append(pct(l.successRate())).append(" | ")
          .append(num(l.medianStepsToSolve())).append(" | ").append(num(l.medianEvalLoss())).append(" | ")
          .append(num(l.medianEvalLoss() / l.medianBaseline())).append(" |");
      if (rule != null) {
        md.append(' ').append(num(l.medianSolveValue())).append(" |");
      }
      md.append('\n');
    }
    md.append("\nLongest T solved by at least half the trials: ");
    List<String> longest = new ArrayList<>();
    r.byLength().stream().map(LengthRow::network).distinct().forEach(net -> {
      int best = r.byLength().stream().filter(l -> l.network().equals(net) && l.successRate() >= 0.5)
          .mapToInt(LengthRow::seqLen).max().orElse(-1);
      longest.add(net + " " + (best < 0 ? "none" : "T = " + best));
    });
    md.append(String.join(", ", longest)).append(". Table: [").append(AblationReport.BY_LENGTH_CSV).append("](")
        .append(AblationReport.BY_LENGTH_CSV).append(").\n\n");
  }

  private static void divergenceSection(StringBuilder md, AblationReport r, Set<String> figures) {
    if (r.divergence().isEmpty()) {
      return;
    }
    md.append("## Divergence against clipping and optimizer\n\n");
    long diverged = r.rows().stream().filter(TrialRow::diverged).count();
    if (diverged == 0) {
      md.append("No trial diverged.\n\n");
    }
    figure(md, figures, AblationReport.DIVERGENCE_PNG, "divergence rate by clipping and optimizer");
    rateTable(md, r.divergence(), "clip", "optimizer", "diverged");
    md.append("Largest gradient norm before clipping (median / max over the trials), same cells: ");
    List<String> norms = new ArrayList<>();
    r.divergence().forEach(c -> norms.add(Levels.label("clip", c.row()) + " / " + c.column() + " "
        + num(c.medianMaxGradNorm()) + " / " + num(c.maxMaxGradNorm())));
    md.append(String.join(", ", norms)).append(". Table: [").append(AblationReport.DIVERGENCE_CSV).append("](")
        .append(AblationReport.DIVERGENCE_CSV).append(").\n\n");
  }

  private static void tbpttSection(StringBuilder md, AblationReport r, Set<String> figures) {
    if (r.tbptt().isEmpty()) {
      return;
    }
    md.append("## Solve rate against the truncation window\n\n");
    figure(md, figures, AblationReport.TBPTT_PNG, "solve rate by truncation window and sequence length");
    rateTable(md, r.tbptt(), "tbptt", "T", "solved");
    md.append("Table: [").append(AblationReport.TBPTT_CSV).append("](").append(AblationReport.TBPTT_CSV)
        .append(").\n\n");
  }

  private static void gradientSection(StringBuilder md, AblationReport r, Set<String> figures) {
    if (r.byLength().stream().noneMatch(l -> Double.isFinite(l.medianDecayRate()))) {
      return;
    }
    md.append("## Gradient decay against sequence length\n\n");
    figure(md, figures, AblationReport.GRADIENT_PNG, "decay rate and gradient horizon by sequence length");
    md.append("| network | T | median decay rate r | median horizon (steps) | horizon / T |\n"
        + "|---|---:|---:|---:|---:|\n");
    for (LengthRow l : r.byLength()) {
      md.append("| ").append(l.network()).append(" | ").append(l.seqLen()).append(" | ")
          .append(num(l.medianDecayRate())).append(" | ").append(num(l.medianHorizon())).append(" | ")
          .append(pct(l.medianHorizon() / (r.task() == null ? l.seqLen() : r.task().steps(l.seqLen()))))
          .append(" |\n");
    }
    md.append("\nr < 1: ||dL/dh_t|| shrinks by r per step back from the loss (vanishing); r > 1: it grows "
        + "(exploding). A horizon below T means the earliest inputs get (almost) no gradient.\n\n");
  }

  private static void effectsSection(StringBuilder md, AblationReport r, Set<String> figures) {
    if (r.factors().isEmpty()) {
      return;
    }
    md.append("## Marginal effect of each factor\n\n");
    for (Metric m : Metric.values()) {
      String png = m == Metric.SUCCESS ? AblationReport.EFFECTS_SUCCESS_PNG : AblationReport.EFFECTS_HORIZON_PNG;
      figure(md, figures, png, "marginal effect on the " + m.title);
      md.append("| rank | factor | level | trials | seeds | ").append(m.title).append(" | 95% CI |\n"
          + "|---:|---|---|---:|---:|---:|---|\n");
      int rank = 0;
      for (Effect e : r.effects(m)) {
        rank++;
        for (LevelEstimate l : e.levels()) {
          Stats.Interval i = l.estimate();
          md.append("| ").append(rank).append(" | ").append(e.factor()).append(e.matched() ? "" : " (unmatched)")
              .append(" | ").append(Levels.label(e.factor(), l.level())).append(" | ").append(l.trials())
              .append(" | ").append(i.n()).append(" | ").append(value(m, i.mean())).append(" | ")
              .append(i.hasInterval() ? value(m, i.low()) + " – " + value(m, i.high()) : "–").append(" |\n");
        }
      }
      md.append('\n');
    }
    md.append("Table: [").append(AblationReport.EFFECTS_CSV).append("](").append(AblationReport.EFFECTS_CSV)
        .append(") (every level of every factor, both metrics).\n\n");
  }

  private static void rateTable(StringBuilder md, List<RateCell> cells, String rowName, String colName,
      String event) {
    List<String> cols = cells.stream().map(RateCell::column).distinct().toList();
    List<String> rowsL = cells.stream().map(RateCell::row).distinct().toList();
    md.append("| ").append(rowName).append(" \\ ").append(colName);
    cols.forEach(c -> md.append(" | ").append(c));
    md.append(" |\n|---");
    cols.forEach(c -> md.append("|---:"));
    md.append("|\n");
    for (String row : rowsL) {
      md.append("| ").append(Levels.label(rowName, row));
      for (String c : cols) {
        RateCell cell = cells.stream().filter(x -> x.row().equals(row) && x.column().equals(c)).findFirst()
            .orElse(null);
        md.append(" | ").append(cell == null ? "–" : pct(cell.rate()) + " (" + cell.events() + "/" + cell.trials()
            + ")");
      }
      md.append(" |\n");
    }
    md.append("\nCells: share of trials ").append(event).append(" (").append(event).append(" / trials).\n\n");
  }

  private static void figure(StringBuilder md, Set<String> figures, String png, String alt) {
    if (figures.contains(png)) {
      md.append("![").append(alt).append("](").append(png).append(")\n\n");
    }
  }

  // ---------------------------------------------------------------- formatting

  static String value(Metric m, double v) {
    return pct(v);
  }

  /** A spread of shares, in percentage points. */
  static String spread(Metric m, double v) {
    if (!Double.isFinite(v)) {
      return "–";
    }
    return String.format(Locale.ROOT, "%.0f pts", 100 * v);
  }

  static String pct(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.0f%%", 100 * v) : "–";
  }

  /** Up to three significant digits, integers as integers; "–" for a missing value. */
  static String num(double v) {
    if (!Double.isFinite(v)) {
      return "–";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e7) {
      return Long.toString((long) v);
    }
    double a = Math.abs(v);
    if (a >= 1e-3 && a < 1e5) {
      String s = String.format(Locale.ROOT, a >= 100 ? "%.1f" : "%.3g", v);
      return s.contains(".") ? s.replaceFirst("0+$", "").replaceFirst("\\.$", "") : s;
    }
    return String.format(Locale.ROOT, "%.2e", v);
  }

  /** "a", "a and b", "a, b and c". */
  static String and(Collection<String> items) {
    List<String> l = new ArrayList<>(items);
    if (l.size() <= 1) {
      return String.join("", l);
    }
    return String.join(", ", l.subList(0, l.size() - 1)) + " and " + l.get(l.size() - 1);
  }
}
