package io.gradsweep.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * The ablation report of a sweep: which knob matters and where each remedy stops working, computed from the
 * sweep's {@link TrialRow}s and rendered as Markdown ({@value #MARKDOWN}), PNG figures and CSV tables, all under
 * {@value #DIR}/ (see {@link #files()}).
 *
 * <p>Sections, each only when the sweep varies what it needs: success rate and median steps to solve against
 * sequence length per network (cell / activation); divergence rate against clipping and optimizer; solve rate
 * against the truncation window; the final gradient decay rate and horizon against sequence length; and the
 * marginal effect of every swept factor on success and on the gradient horizon, with 95% confidence intervals over
 * seeds, ranked by the spread between the best and the worst level. The method is stated in the report itself.
 *
 * <p>A factor is a parameter that takes at least two values in the sweep, except {@code seed} (seeds are the
 * replicates the intervals come from) and {@code profile_every}, {@code log_points} (measurement settings); cell and activation form
 * one factor, {@code network}. FAILED trials (errors, not training outcomes) are counted but left out of every
 * statistic.
 */
public final class AblationReport {
  /** The directory of the report's files, relative to the parent run's artifact root. */
  public static final String DIR = "report";
  public static final String MARKDOWN = "report.md";
  static final String BY_LENGTH_CSV = "by_length.csv";
  static final String BY_LENGTH_PNG = "success_by_length.png";
  static final String GRADIENT_PNG = "gradient_by_length.png";
  static final String DIVERGENCE_CSV = "divergence_by_clip.csv";
  static final String DIVERGENCE_PNG = "divergence_by_clip.png";
  static final String TBPTT_CSV = "solve_by_tbptt.csv";
  static final String TBPTT_PNG = "solve_by_tbptt.png";
  static final String EFFECTS_CSV = "effects.csv";
  static final String EFFECTS_SUCCESS_PNG = "effects_success.png";
  static final String EFFECTS_HORIZON_PNG = "effects_horizon.png";

  /** Parameters that are never factors. */
  private static final Set<String> NOT_FACTORS = Set.of("seed", "profile_every", "log_points", "cell", "activation");
  /** Fixed parameters worth naming in the overview (the rest are evaluation settings, named elsewhere). */
  private static final List<String> KNOBS = List.of("task", Levels.NETWORK, "seq_len", "clip", "tbptt", "optimizer",
      "lr", "hidden", "layers", "init", "batch_size", "max_steps");

  /** What a marginal effect is measured on. */
  public enum Metric {
    /** 1 for a SOLVED trial, 0 for the other outcomes (NOT_SOLVED, DIVERGED, VANISHED, PLATEAU). */
    SUCCESS("success rate", "success"),
    /**
     * The final gradient horizon as a share of the sequence, horizon / T: in steps it is capped by T, so that the
     * sequence length would "matter" for the horizon by construction.
     */
    HORIZON("gradient horizon (share of T)", "horizon_over_T");

    final String title;
    final String word;

    Metric(String title, String word) {
      this.title = title;
      this.word = word;
    }

    /**
     * The interval cut to the values the metric can take (a t-interval of shares can reach past 0 or 1): [0, 1],
     * or [-1, 1] for a difference.
     */
    Stats.Interval clamp(Stats.Interval i, boolean difference) {
      double lo = difference ? -1 : 0;
      double hi = 1;
      return new Stats.Interval(i.mean(), Double.isNaN(i.low()) ? i.low() : Math.max(lo, i.low()),
          Double.isNaN(i.high()) ? i.high() : Math.min(hi, i.high()), i.n());
    }

    double of(TrialRow r) {
      if (!r.hasOutcome()) {
        return Double.NaN;
      }
      return switch (this) {
        case SUCCESS -> r.solved() ? 1 : 0;
        case HORIZON -> {
          Double t = Levels.number(String.valueOf(r.param("seq_len")));
          // over the sequence's steps: T for most tasks, T + 20 for copy (its seq_len is the lag)
          io.gradsweep.task.SequenceTask task = t == null ? null : r.task();
          double steps = task == null || t == null ? (t == null ? Double.NaN : t) : task.steps(t.intValue());
          yield r.horizon() >= 0 && steps > 0 ? r.horizon() / steps : Double.NaN;
        }
      };
    }
  }

  /** A swept factor and its levels, in {@link Levels#order} order. */
  public record Factor(String name, List<String> levels) {}

  /**
   * A level's estimate: mean over seeds of the per-seed means, with a t-interval over seeds.
   *
   * @param trials trials of this level that went into the estimate
   */
  public record LevelEstimate(String level, int trials, Stats.Interval estimate) {}

  /**
   * The marginal effect of one factor on one metric.
   *
   * @param best the level with the highest estimate
   * @param worst the level with the lowest estimate
   * @param spread best minus worst (NaN when fewer than two levels have data)
   * @param spreadInterval t-interval over seeds of the per-seed differences best - worst
   * @param matched true when only settings of the other factors where every level ran were used; false when no
   *     such setting exists and the levels were compared across different settings (confounded)
   * @param contexts settings of the other factors used
   * @param seeds seeds used
   */
  public record Effect(String factor, Metric metric, List<LevelEstimate> levels, String best, String worst,
      double spread, Stats.Interval spreadInterval, boolean matched, int contexts, int seeds) {}

  /** One network at one sequence length. Medians skip missing values; NaN when there are none. */
  public record LengthRow(String network, int seqLen, int trials, int failed, int solved, int diverged,
      double successRate, double medianStepsToSolve, double medianEvalLoss, double medianBaseline,
      double medianDecayRate, double medianHorizon, double medianSolveValue, double medianBaselineSolve) {}

  /** A cell of a two-way table of rates: {@code events} of {@code trials} (trials with an outcome). */
  public record RateCell(String row, String column, int trials, int events, double rate, double medianMaxGradNorm,
      double maxMaxGradNorm) {}

  private final String sweep;
  private final List<TrialRow> rows;
  private final List<Factor> factors;
  private final Map<String, String> fixed;
  private final List<String> seeds;
  private final Map<Metric, List<Effect>> effects = new LinkedHashMap<>();
  private final List<LengthRow> byLength;
  private final List<RateCell> divergence;
  private final List<RateCell> tbptt;

  private AblationReport(String sweep, List<TrialRow> rows) {
    this.sweep = sweep;
    this.rows = List.copyOf(rows);
    List<Factor> f = new ArrayList<>();
    Map<String, String> fx = new LinkedHashMap<>();
    for (String key : factorKeys(this.rows)) {
      List<String> levels = this.rows.stream().map(r -> level(r, key)).filter(v -> v != null).distinct()
          .sorted(Levels.order(key)).toList();
      if (levels.size() >= 2) {
        f.add(new Factor(key, levels));
      } else if (levels.size() == 1) {
        fx.put(key, levels.get(0));
      }
    }
    this.factors = List.copyOf(f);
    this.fixed = fx;
    this.seeds = this.rows.stream().map(r -> r.param("seed")).filter(s -> s != null).distinct()
        .sorted(Levels.order("seed")).toList();
    for (Metric m : Metric.values()) {
      List<Effect> list = new ArrayList<>();
      for (Factor fac : factors) {
        list.add(effect(fac, m));
      }
      list.sort(Comparator.comparingDouble((Effect e) -> Double.isNaN(e.spread()) ? Double.NEGATIVE_INFINITY
          : e.spread()).reversed());
      effects.put(m, List.copyOf(list));
    }
    this.byLength = computeByLength();
    this.divergence = swept("clip") || swept("optimizer") ? rateTable("clip", "optimizer", TrialRow::diverged)
        : List.of();
    this.tbptt = swept("tbptt") ? rateTable("tbptt", "seq_len", TrialRow::solved) : List.of();
  }

  /** The report of the sweep called {@code sweep} with these trials. */
  public static AblationReport of(String sweep, List<TrialRow> rows) {
    return new AblationReport(sweep, rows);
  }

  // ---------------------------------------------------------------- computed tables

  public List<TrialRow> rows() {
    return rows;
  }

  /**
   * What the early-stopping rules ({@code training.stop}) did: trials they ended (VANISHED, PLATEAU), the steps that
   * saved ({@code max_steps} minus the step stopped at, summed) and the steps budgeted (max_steps summed over the
   * trials with an outcome).
   *
   * @param rules the rules as logged (param {@code stop}) when the trials share them, else null
   */
  public record EarlyStops(boolean any, int vanished, int plateau, long stepsSaved, long stepsBudgeted,
      String rules) {
    /** Trials ended by a rule. */
    public int stopped() {
      return vanished + plateau;
    }
  }

  /** What the early-stopping rules did in this sweep; {@code any()} is false when no trial had a rule. */
  public EarlyStops earlyStops() {
    boolean any = false;
    int vanished = 0;
    int plateau = 0;
    long saved = 0;
    long budget = 0;
    Set<String> rules = new TreeSet<>();
    for (TrialRow r : rows) {
      String stop = r.param("stop");
      if (stop != null && !stop.isEmpty() && !stop.equals("none")) {
        any = true;
        rules.add(stop);
      }
      if (!r.hasOutcome()) {
        continue;
      }
      vanished += r.status() == io.gradsweep.train.TrialStatus.VANISHED ? 1 : 0;
      plateau += r.status() == io.gradsweep.train.TrialStatus.PLATEAU ? 1 : 0;
      saved += Math.max(0, r.stepsSaved());
      Double max = Levels.number(String.valueOf(r.param("max_steps")));
      budget += max == null ? 0 : max.longValue();
    }
    return new EarlyStops(any || vanished + plateau > 0, vanished, plateau, saved, budget,
        rules.size() == 1 ? rules.iterator().next() : null);
  }

  /** The swept factors, in parameter order. */
  public List<Factor> factors() {
    return factors;
  }

  /** Parameters with a single value in the sweep (factor name to value). */
  public Map<String, String> fixed() {
    return fixed;
  }

  /** The marginal effects on {@code metric}, largest spread first. */
  public List<Effect> effects(Metric metric) {
    return effects.get(metric);
  }

  public List<LengthRow> byLength() {
    return byLength;
  }

  /** Divergence rate per clip setting (row) and optimizer (column); empty unless one of them is swept. */
  public List<RateCell> divergence() {
    return divergence;
  }

  /** Solve rate per truncation window (row) and sequence length (column); empty unless tbptt is swept. */
  public List<RateCell> tbptt() {
    return tbptt;
  }

  private boolean swept(String factor) {
    return factors.stream().anyMatch(f -> f.name().equals(factor));
  }

  private Factor factor(String name) {
    return factors.stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
  }

  /** The parameters that can be factors, in {@link TrialRow#PARAM_KEYS} order, with network in cell's place. */
  private static List<String> factorKeys(List<TrialRow> rows) {
    LinkedHashSet<String> keys = new LinkedHashSet<>();
    for (String k : TrialRow.PARAM_KEYS) {
      keys.add(k.equals("cell") ? Levels.NETWORK : k);
    }
    rows.forEach(r -> keys.addAll(r.params().keySet()));
    keys.removeAll(NOT_FACTORS);
    return new ArrayList<>(keys);
  }

  static String level(TrialRow r, String factor) {
    return factor.equals(Levels.NETWORK) ? r.network() : r.param(factor);
  }

  /**
   * The marginal effect of {@code f} on {@code m}: trials grouped by the levels of the other factors; only groups
   * holding every level of f are used (all trials when there is none); per seed, the mean of m per level; a
   * level's estimate is the mean of its per-seed means with a t-interval; the spread's interval comes from the
   * per-seed differences between the best and the worst level.
   */
  private Effect effect(Factor f, Metric m) {
    List<TrialRow> eligible = rows.stream().filter(r -> Double.isFinite(m.of(r))).toList();
    Set<String> present = eligible.stream().map(r -> level(r, f.name())).collect(Collectors.toSet());
    List<String> levels = f.levels().stream().filter(present::contains).toList();
    Map<String, Set<String>> levelsByContext = new LinkedHashMap<>();
    for (TrialRow r : eligible) {
      levelsByContext.computeIfAbsent(context(r, f.name()), c -> new TreeSet<>()).add(level(r, f.name()));
    }
    Set<String> complete = new LinkedHashSet<>();
    levelsByContext.forEach((c, ls) -> {
      if (ls.containsAll(levels)) {
        complete.add(c);
      }
    });
    boolean matched = !complete.isEmpty();
    List<TrialRow> used = matched
        ? eligible.stream().filter(r -> complete.contains(context(r, f.name()))).toList() : eligible;
    List<String> usedSeeds = used.stream().map(r -> String.valueOf(r.param("seed"))).distinct()
        .sorted(Levels.order("seed")).toList();
    // per level: per-seed mean (NaN where the seed has no trial of that level)
    Map<String, double[]> perSeed = new LinkedHashMap<>();
    List<LevelEstimate> estimates = new ArrayList<>();
    for (String level : levels) {
      double[] means = new double[usedSeeds.size()];
      int trials = 0;
      for (int s = 0; s < usedSeeds.size(); s++) {
        String seed = usedSeeds.get(s);
        double sum = 0;
        int n = 0;
        for (TrialRow r : used) {
          if (level.equals(level(r, f.name())) && seed.equals(String.valueOf(r.param("seed")))) {
            sum += m.of(r);
            n++;
          }
        }
        means[s] = n == 0 ? Double.NaN : sum / n;
        trials += n;
      }
      perSeed.put(level, means);
      estimates.add(new LevelEstimate(level, trials, m.clamp(Stats.tInterval(means), false)));
    }
    String best = null;
    String worst = null;
    for (LevelEstimate e : estimates) {
      double v = e.estimate().mean();
      if (Double.isNaN(v)) {
        continue;
      }
      if (best == null || v > estimate(estimates, best)) {
        best = e.level();
      }
      if (worst == null || v <= estimate(estimates, worst)) {
        worst = e.level();
      }
    }
    double spread = Double.NaN;
    Stats.Interval spreadInterval = new Stats.Interval(Double.NaN, Double.NaN, Double.NaN, 0);
    if (best != null && !best.equals(worst)) {
      spread = estimate(estimates, best) - estimate(estimates, worst);
      double[] b = perSeed.get(best);
      double[] w = perSeed.get(worst);
      double[] d = new double[b.length];
      for (int s = 0; s < d.length; s++) {
        d[s] = b[s] - w[s];
      }
      spreadInterval = m.clamp(Stats.tInterval(d), true);
    }
    return new Effect(f.name(), m, estimates, best, worst, spread, spreadInterval, matched,
        matched ? complete.size() : levelsByContext.size(), usedSeeds.size());
  }

  private static double estimate(List<LevelEstimate> estimates, String level) {
    return estimates.stream().filter(e -> e.level().equals(level)).findFirst().orElseThrow().estimate().mean();
  }

  /** The levels of every factor but {@code except}: the setting of the other factors. */
  private String context(TrialRow r, String except) {
    StringBuilder sb = new StringBuilder();
    for (Factor f : factors) {
      if (!f.name().equals(except)) {
        sb.append(f.name()).append('=').append(level(r, f.name())).append(';');
      }
    }
    return sb.toString();
  }

  private List<LengthRow> computeByLength() {
    Map<String, Map<Integer, List<TrialRow>>> groups = new TreeMap<>(Levels.order(Levels.NETWORK));
    for (TrialRow r : rows) {
      Double t = Levels.number(String.valueOf(r.param("seq_len")));
      if (t == null) {
        continue;
      }
      groups.computeIfAbsent(r.network(), k -> new TreeMap<>()).computeIfAbsent(t.intValue(), k -> new ArrayList<>())
          .add(r);
    }
    List<LengthRow> out = new ArrayList<>();
    groups.forEach((net, byT) -> byT.forEach((t, rs) -> {
      List<TrialRow> ok = rs.stream().filter(TrialRow::hasOutcome).toList();
      int solved = (int) ok.stream().filter(TrialRow::solved).count();
      int diverged = (int) ok.stream().filter(TrialRow::diverged).count();
      out.add(new LengthRow(net, t, ok.size(), rs.size() - ok.size(), solved, diverged,
          ok.isEmpty() ? Double.NaN : (double) solved / ok.size(),
          median(ok, r -> r.solved() ? r.stepsToSolve() : Double.NaN),
          median(ok, TrialRow::finalEvalLoss), median(ok, TrialRow::baselineLoss),
          median(ok, TrialRow::decayRate), median(ok, r -> r.horizon() >= 0 ? r.horizon() : Double.NaN),
          median(ok, TrialRow::finalSolveValue), median(ok, TrialRow::baselineSolveValue)));
    }));
    return out;
  }

  private static double median(List<TrialRow> rs, ToDoubleFunction<TrialRow> f) {
    return Stats.median(rs.stream().mapToDouble(f).toArray());
  }

  private List<RateCell> rateTable(String rowFactor, String columnFactor, java.util.function.Predicate<TrialRow> e) {
    List<String> rowLevels = levelsOf(rowFactor);
    List<String> colLevels = levelsOf(columnFactor);
    List<RateCell> out = new ArrayList<>();
    for (String rl : rowLevels) {
      for (String cl : colLevels) {
        List<TrialRow> rs = rows.stream().filter(TrialRow::hasOutcome)
            .filter(r -> rl.equals(level(r, rowFactor)) && cl.equals(level(r, columnFactor))).toList();
        if (rs.isEmpty()) {
          continue;
        }
        int events = (int) rs.stream().filter(e).count();
        double max = rs.stream().mapToDouble(TrialRow::maxGradNorm).filter(Double::isFinite).max()
            .orElse(Double.NaN);
        out.add(new RateCell(rl, cl, rs.size(), events, (double) events / rs.size(),
            median(rs, TrialRow::maxGradNorm), max));
      }
    }
    return out;
  }

  private List<String> levelsOf(String factor) {
    Factor f = factor(factor);
    if (f != null) {
      return f.levels();
    }
    String v = fixed.get(factor);
    return v == null ? List.of() : List.of(v);
  }

  // ---------------------------------------------------------------- files

  /**
   * The report's files, path (under {@value #DIR}/) to content: {@value #MARKDOWN}, the figures and the CSV tables of
   * the sections that apply. A figure that cannot be drawn (no AWT) is left out and the Markdown says so.
   */
  public Map<String, byte[]> files() {
    Map<String, byte[]> figures = new LinkedHashMap<>();
    List<String> figureErrors = new ArrayList<>();
    Map<String, byte[]> csvs = new LinkedHashMap<>();
    if (!byLength.isEmpty()) {
      csvs.put(BY_LENGTH_CSV, byLengthCsv());
    }
    if (!divergence.isEmpty()) {
      csvs.put(DIVERGENCE_CSV, rateCsv("clip", "optimizer", "diverged", divergence));
    }
    if (!tbptt.isEmpty()) {
      csvs.put(TBPTT_CSV, rateCsv("tbptt", "seq_len", "solved", tbptt));
    }
    if (!factors.isEmpty()) {
      csvs.put(EFFECTS_CSV, effectsCsv());
    }
    ReportFigures figs = new ReportFigures(this);
    for (Map.Entry<String, java.util.function.Supplier<byte[]>> e : figs.applicable().entrySet()) {
      try {
        figures.put(e.getKey(), e.getValue().get());
      } catch (RuntimeException | LinkageError err) {
        figureErrors.add(e.getKey() + ": " + err);
      }
    }
    Map<String, byte[]> out = new LinkedHashMap<>();
    out.put(DIR + "/" + MARKDOWN, ReportMarkdown.render(this, figures.keySet(), csvs.keySet(), figureErrors)
        .getBytes(StandardCharsets.UTF_8));
    figures.forEach((k, v) -> out.put(DIR + "/" + k, v));
    csvs.forEach((k, v) -> out.put(DIR + "/" + k, v));
    return out;
  }

  /** Writes {@link #files()} under {@code dir} (as {@code dir/report/...}); returns the Markdown's path. */
  public Path writeTo(Path dir) throws IOException {
    for (Map.Entry<String, byte[]> e : files().entrySet()) {
      Path p = dir.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, e.getValue());
    }
    return dir.resolve(DIR).resolve(MARKDOWN);
  }

  String sweep() {
    return sweep;
  }

  List<String> seeds() {
    return seeds;
  }

  /**
   * The task every row shares, with its options, or null when the rows are of several tasks (or of one not
   * registered here): the report then speaks of the eval loss only.
   */
  io.gradsweep.task.SequenceTask task() {
    List<io.gradsweep.task.SequenceTask> tasks = rows.stream().map(TrialRow::task).distinct().toList();
    return tasks.size() == 1 ? tasks.get(0) : null;
  }

  /** The solve rule of {@link #task()} when it judges by a metric other than the eval loss, else null. */
  io.gradsweep.task.SolveRule ownSolveRule() {
    io.gradsweep.task.SequenceTask t = task();
    return t == null || t.solveRule().metric().equals("loss") ? null : t.solveRule();
  }

  byte[] byLengthCsv() {
    StringBuilder sb = new StringBuilder();
    Csv.row(sb, List.of("network", "seq_len", "trials", "failed", "solved", "diverged", "success_rate",
        "median_steps_to_solve", "median_final_eval_loss", "median_baseline_loss", "median_decay_rate",
        "median_horizon", "median_final_solve_value", "median_baseline_solve_value"));
    for (LengthRow r : byLength) {
      Csv.row(sb, List.of(r.network(), Integer.toString(r.seqLen()), Integer.toString(r.trials()),
          Integer.toString(r.failed()), Integer.toString(r.solved()), Integer.toString(r.diverged()),
          csvNum(r.successRate()), csvNum(r.medianStepsToSolve()), csvNum(r.medianEvalLoss()),
          csvNum(r.medianBaseline()), csvNum(r.medianDecayRate()), csvNum(r.medianHorizon()),
          csvNum(r.medianSolveValue()), csvNum(r.medianBaselineSolve())));
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] rateCsv(String rowName, String colName, String eventName, List<RateCell> cells) {
    StringBuilder sb = new StringBuilder();
    Csv.row(sb, List.of(rowName, colName, "trials", eventName, eventName + "_rate", "median_max_grad_norm",
        "max_max_grad_norm"));
    for (RateCell c : cells) {
      Csv.row(sb, List.of(c.row(), c.column(), Integer.toString(c.trials()), Integer.toString(c.events()),
          csvNum(c.rate()), csvNum(c.medianMaxGradNorm()), csvNum(c.maxMaxGradNorm())));
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  byte[] effectsCsv() {
    StringBuilder sb = new StringBuilder();
    Csv.row(sb, List.of("metric", "rank", "factor", "level", "trials", "seeds", "mean", "ci95_low", "ci95_high",
        "spread", "spread_ci95_low", "spread_ci95_high", "best", "worst", "matched"));
    for (Metric m : Metric.values()) {
      int rank = 0;
      for (Effect e : effects(m)) {
        rank++;
        for (LevelEstimate l : e.levels()) {
          Stats.Interval i = l.estimate();
          Csv.row(sb, List.of(m.word, Integer.toString(rank), e.factor(), l.level(), Integer.toString(l.trials()),
              Integer.toString(i.n()), csvNum(i.mean()), csvNum(i.low()), csvNum(i.high()), csvNum(e.spread()),
              csvNum(e.spreadInterval().low()), csvNum(e.spreadInterval().high()), nz(e.best()), nz(e.worst()),
              Boolean.toString(e.matched())));
        }
      }
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  static String csvNum(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v).replaceFirst("\\.?0+(e|$)", "$1") : "";
  }
}
