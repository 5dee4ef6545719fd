package io.gradsweep.report;

import io.gradsweep.tracking.Names;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * {@code trials.csv}: one row per trial with every parameter and every summary value, the per-sweep results table
 * for pandas or Spark SQL. The columns, their types and meaning are {@link #COLUMNS}; {@link #sparkSchema()} is
 * the schema to read it with. Numbers are written as Java prints them ({@code 1.0E-4} for 0.0001); a missing value
 * (not solved, not diverged, no profile, NaN, or any summary value of a FAILED trial) is an empty field. Parameter
 * columns hold the values exactly as logged as MLflow params (so they join with the runs); {@code network},
 * {@code clip_mode}, {@code clip_threshold} and {@code tbptt_window} are the same information typed for analysis.
 *
 * <p>The same table typed, e.g. for Parquet ({@code run --results}): {@link #columns(List)} are the columns of a
 * given set of rows (the CSV's header), {@link Column#typedValue(TrialRow)} a cell as the Java value of its type,
 * null where the CSV field is empty. Both come from the CSV's own definitions, so the two cannot drift apart.
 */
public final class TrialsTable {
  private TrialsTable() {}

  /** The Spark SQL types a column may have. */
  public static final List<String> TYPES = List.of("INT", "BIGINT", "DOUBLE", "STRING");

  /**
   * A column: name, Spark SQL type (one of {@link #TYPES}), meaning, and how a row fills it as CSV text (null =
   * missing).
   */
  public record Column(String name, String type, String meaning, Function<TrialRow, String> value) {
    public Column {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException("a column needs a name");
      }
      if (!TYPES.contains(type)) {
        throw new IllegalArgumentException("column " + name + ": type '" + type + "'; allowed: "
            + String.join(", ", TYPES));
      }
      Objects.requireNonNull(value, "value");
    }

    /**
     * The cell of {@code row} as the Java value of {@link #type()}: Integer (INT), Long (BIGINT), Double (DOUBLE),
     * String (STRING); null where the CSV field is empty (a missing value, NaN or infinite included). It is the CSV
     * text parsed, so the typed table holds exactly what {@code trials.csv} read with {@link #sparkSchema()} holds.
     */
    public Object typedValue(TrialRow row) {
      String text = value.apply(row);
      if (text == null) {
        return null;
      }
      try {
        return switch (type) {
          case "INT" -> Integer.valueOf(text.strip());
          case "BIGINT" -> Long.valueOf(text.strip());
          case "DOUBLE" -> Double.valueOf(text.strip());
          default -> text;
        };
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("trial " + row.trial() + " (" + row.trialId() + "): column " + name
            + " is " + type + " but holds '" + text + "'");
      }
    }
  }

  /** The columns in order, parameter columns included (they are {@link TrialRow#PARAM_KEYS}). */
  public static final List<Column> COLUMNS = columns();

  private static List<Column> columns() {
    List<Column> c = new ArrayList<>();
    c.add(new Column("trial", "INT", "position in the sweep's plan (1-based)", r -> r.trial() > 0
        ? Integer.toString(r.trial()) : null));
    c.add(new Column("trial_id", "STRING", "stable trial id (tag " + Names.Tag.TRIAL_ID + ")", TrialRow::trialId));
    c.add(new Column("name", "STRING", "run name", TrialRow::name));
    Map<String, String[]> params = new LinkedHashMap<>();
    params.put("task", new String[] {"STRING", "task name"});
    params.put("seq_len", new String[] {"INT", "sequence length T"});
    params.put("cell", new String[] {"STRING", "rnn, lstm or gru"});
    params.put("activation", new String[] {"STRING", "activation of a vanilla rnn; '-' for gated cells"});
    params.put("clip", new String[] {"STRING", "'none' or MODE:THRESHOLD, e.g. global_norm:1"});
    params.put("tbptt", new String[] {"STRING", "truncation window k, or 'none' (full BPTT)"});
    params.put("optimizer", new String[] {"STRING", "sgd, rmsprop or adam"});
    params.put("lr", new String[] {"DOUBLE", "learning rate"});
    params.put("hidden", new String[] {"INT", "hidden units per layer"});
    params.put("layers", new String[] {"INT", "stacked recurrent layers"});
    params.put("init", new String[] {"STRING", "initialisation scheme"});
    params.put("seed", new String[] {"BIGINT", "seed of weights and training data"});
    params.put("batch_size", new String[] {"INT", "minibatch size"});
    params.put("max_steps", new String[] {"INT", "training step budget"});
    params.put("eval_every", new String[] {"INT", "steps between evaluations"});
    params.put("eval_size", new String[] {"INT", "held-out sequences"});
    params.put("eval_seed", new String[] {"BIGINT", "seed of the held-out set"});
    params.put("solve_threshold", new String[] {"DOUBLE", "eval loss below which the trial is solved"});
    params.put("profile_every", new String[] {"INT", "steps between gradient profiles"});
    params.put("log_points", new String[] {"INT", "most points per step series (logging budget)"});
    params.put("stop", new String[] {"STRING", "early-stopping rules (training.stop) as text; empty when off"});
    if (!params.keySet().stream().toList().equals(TrialRow.PARAM_KEYS)) {
      throw new AssertionError("parameter columns out of step with TrialRow.PARAM_KEYS");
    }
    params.forEach((k, v) -> c.add(new Column(k, v[0], v[1], r -> r.param(k))));
    c.add(new Column("network", "STRING", "cell/activation, e.g. rnn/tanh, lstm", TrialRow::network));
    c.add(new Column("clip_mode", "STRING", "none, global_norm, layer_norm or value",
        r -> clipPart(r.param("clip"), 0)));
    c.add(new Column("clip_threshold", "DOUBLE", "clip threshold; empty when not clipped",
        r -> clipPart(r.param("clip"), 1)));
    c.add(new Column("tbptt_window", "INT", "truncation window k; empty for full BPTT",
        r -> "none".equals(r.param("tbptt")) ? null : r.param("tbptt")));
    c.add(new Column("status", "STRING", "SOLVED, NOT_SOLVED, DIVERGED, VANISHED, PLATEAU, STOPPED_BY_SCHEDULER or FAILED",
        r -> r.status().name()));
    c.add(new Column("solved", "INT", "1 when SOLVED, 0 for the other outcomes; empty for FAILED",
        r -> r.hasOutcome() ? (r.solved() ? "1" : "0") : null));
    c.add(new Column("steps", "INT", "training steps taken", r -> count(r.steps())));
    c.add(new Column("steps_to_solve", "INT", "step at which eval loss first fell below the threshold",
        r -> count(r.stepsToSolve())));
    c.add(new Column("diverged_at_step", "INT", "step at which loss or gradient became NaN/Inf",
        r -> count(r.divergedAtStep())));
    c.add(new Column("stopped_at_step", "INT", "step at which an early-stopping rule ended the trial (VANISHED, "
        + "PLATEAU)", r -> count(r.stoppedAtStep())));
    c.add(new Column("steps_saved", "INT", "max_steps - stopped_at_step for VANISHED and PLATEAU, 0 for the other "
        + "outcomes; empty for FAILED", r -> count(r.stepsSaved())));
    c.add(new Column("final_eval_loss", "DOUBLE", "last eval loss (" + Names.Metric.FINAL_EVAL_LOSS + ")",
        r -> num(r.finalEvalLoss())));
    c.add(new Column("baseline_loss", "DOUBLE", "trivial-baseline loss on the same eval set",
        r -> num(r.baselineLoss())));
    c.add(new Column("loss_over_baseline", "DOUBLE", "final_eval_loss / baseline_loss",
        r -> num(r.lossOverBaseline())));
    c.add(new Column("solve_metric", "STRING", "the metric that decides solved (tag " + Names.Tag.SOLVE_METRIC
        + "), e.g. eval/loss (adding: below solve_threshold), eval/accuracy, eval/recall_accuracy (at or above it)",
        r -> r.solveRule() == null ? null : Names.evalMetric(r.solveRule().metric())));
    c.add(new Column("final_solve_value", "DOUBLE", "last value of the solve metric (" + Names.Metric.FINAL_SOLVE_METRIC
        + ")", r -> num(r.finalSolveValue())));
    c.add(new Column("baseline_solve_value", "DOUBLE", "the trivial baseline's value of the solve metric on the same "
        + "eval set", r -> num(r.baselineSolveValue())));
    c.add(new Column("max_grad_norm", "DOUBLE", "largest global gradient norm before clipping",
        r -> num(r.maxGradNorm())));
    c.add(new Column("clip_rate", "DOUBLE", "fraction of steps where clipping acted", r -> num(r.clipRate())));
    c.add(new Column("decay_rate", "DOUBLE", "per-step decay factor r of the top layer's final gradient profile",
        r -> num(r.decayRate())));
    c.add(new Column("horizon", "INT", "steps back from the loss with ||dL/dh_t|| >= 1e-3 of its value there",
        r -> count(r.horizon())));
    c.add(new Column("wall_seconds", "DOUBLE", "wall time of the trial", r -> num(r.wallSeconds())));
    c.add(new Column("run_id", "STRING", "the trial's MLflow run", TrialRow::runId));
    return List.copyOf(c);
  }

  /**
   * The columns of the table of {@code rows}, in order: {@link #COLUMNS}, then a STRING column for each parameter
   * some row has beyond {@link TrialRow#PARAM_KEYS} (a newer or older version's params), sorted by name. Their
   * names are the header of {@link #csv(List)}.
   */
  public static List<Column> columns(List<TrialRow> rows) {
    List<Column> all = new ArrayList<>(COLUMNS);
    for (String k : extraParams(rows)) {
      all.add(new Column(k, "STRING", "parameter " + k + " as logged", r -> r.param(k)));
    }
    return List.copyOf(all);
  }

  /** The table as CSV (RFC 4180 quoting, UTF-8, header line first): {@link #columns(List)}, one line per row. */
  public static byte[] csv(List<TrialRow> rows) {
    List<Column> columns = columns(rows);
    StringBuilder sb = new StringBuilder();
    Csv.row(sb, columns.stream().map(Column::name).toList());
    for (TrialRow r : rows) {
      List<String> cells = new ArrayList<>(columns.size());
      columns.forEach(c -> cells.add(c.value().apply(r)));
      Csv.row(sb, cells);
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The schema of {@link #COLUMNS} as a Spark SQL DDL string, e.g. {@code trial INT, trial_id STRING, ...}. */
  public static String sparkSchema() {
    StringBuilder sb = new StringBuilder();
    for (Column c : COLUMNS) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(c.name()).append(' ').append(c.type());
    }
    return sb.toString();
  }

  /** Parameters some row has beyond {@link TrialRow#PARAM_KEYS} (a newer or older version's params), sorted. */
  private static List<String> extraParams(List<TrialRow> rows) {
    java.util.TreeSet<String> extra = new java.util.TreeSet<>();
    rows.forEach(r -> extra.addAll(r.params().keySet()));
    extra.removeAll(TrialRow.PARAM_KEYS);
    return new ArrayList<>(extra);
  }

  private static String clipPart(String clip, int part) {
    if (clip == null) {
      return null;
    }
    int colon = clip.indexOf(':');
    if (colon < 0) {
      return part == 0 ? clip : null;
    }
    return part == 0 ? clip.substring(0, colon) : clip.substring(colon + 1);
  }

  private static String count(int v) {
    return v < 0 ? null : Integer.toString(v);
  }

  static String num(double v) {
    return Double.isFinite(v) ? Double.toString(v) : null;
  }
}
