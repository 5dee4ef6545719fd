package io.gradsweep.sweep;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/** The summary table of a finished sweep (the plan table is {@link io.gradsweep.spec.PlanFormatter}'s). */
public final class Tables {
  private Tables() {}

  /**
   * The parameters that differ between trials, in {@link TrialSpec#params()} order: the summary's parameter
   * columns.
   */
  static List<String> varyingKeys(List<TrialSpec> trials) {
    List<String> keys = new ArrayList<>();
    if (trials.isEmpty()) {
      return keys;
    }
    Map<String, String> first = trials.get(0).params();
    for (String k : first.keySet()) {
      if (trials.stream().anyMatch(t -> !Objects.equals(t.params().get(k), first.get(k)))) {
        keys.add(k);
      }
    }
    return keys;
  }

  /**
   * One row per trial: number, varying parameters, status, step at which it was solved, final eval loss, the
   * task's trivial baseline and their ratio, the task's solve metric and its baseline (when it is not the eval
   * loss: the accuracy of temporal order, the recall accuracy of copy), largest gradient norm, clip rate, the gradient profile's decay rate
   * and horizon at the last profile step, and wall time. With early-stopping rules, a last line with the trials
   * they stopped and the steps saved ({@link #earlyStopLine}).
   */
  public static String summary(List<TrialSpec> trials, List<TrialResult> results) {
    if (trials.size() != results.size()) {
      throw new IllegalArgumentException(trials.size() + " trials but " + results.size() + " results");
    }
    List<String> keys = varyingKeys(trials);
    // the solve metric, for a sweep whose task judges by another metric than the eval loss (copy, temporal order)
    io.gradsweep.task.SolveRule rule = ownSolveRule(trials);
    List<String> header = new ArrayList<>(List.of("#", "trial"));
    header.addAll(keys);
    int numeric = 9;
    header.addAll(List.of("status", "solved at", "eval loss", "baseline", "loss/base"));
    if (rule != null) {
      header.addAll(List.of(rule.what(), "baseline " + rule.what()));
      numeric += 2;
    }
    header.addAll(List.of("max grad norm", "clip rate", "decay r", "horizon", "time"));
    boolean[] right = new boolean[header.size()];
    right[0] = true;
    for (int c = header.size() - numeric; c < header.size(); c++) {
      right[c] = true;
    }
    TextTable t = new TextTable(header, right);
    for (int i = 0; i < trials.size(); i++) {
      TrialSpec s = trials.get(i);
      TrialResult r = results.get(i);
      List<String> row = new ArrayList<>(List.of(Integer.toString(i + 1), s.displayName()));
      keys.forEach(k -> row.add(s.params().get(k)));
      row.add(r.status().name());
      row.add(r.stepsToSolve() >= 0 ? Integer.toString(r.stepsToSolve()) : "-");
      row.add(num(r.finalEvalLoss()));
      row.add(num(r.baselineLoss()));
      row.add(num(r.finalEvalLoss() / r.baselineLoss()));
      if (rule != null) {
        row.add(num(r.finalSolveValue()));
        row.add(num(r.baselineSolveValue()));
      }
      row.add(num(r.maxGradNorm()));
      row.add(Double.isFinite(r.clipRate()) ? String.format(Locale.ROOT, "%.1f%%", 100 * r.clipRate()) : "-");
      row.add(num(r.decayRate()));
      row.add(r.horizon() >= 0 ? Integer.toString(r.horizon()) : "-");
      row.add(Progress.duration(Math.round(r.wallSeconds() * 1e9)));
      t.add(row);
    }
    return t.render() + earlyStopLine(trials, results);
  }

  /**
   * For a sweep with early-stopping rules ({@code training.stop}): one line saying how many trials a rule ended and
   * the steps that saved ({@code max_steps} minus the step stopped at, summed), e.g. {@code early stopping: 3 of 8
   * trials stopped (2 VANISHED, 1 PLATEAU), 4,100 of 8,000 budgeted steps saved (51%)}. Empty otherwise.
   */
  static String earlyStopLine(List<TrialSpec> trials, List<TrialResult> results) {
    boolean any = false;
    int vanished = 0;
    int plateau = 0;
    long saved = 0;
    long budget = 0;
    for (int i = 0; i < trials.size(); i++) {
      TrialSpec s = trials.get(i);
      TrialResult r = results.get(i);
      any |= s.stop().enabled();
      budget += s.maxSteps();
      if (r.status().earlyStopped()) {
        vanished += r.status() == TrialStatus.VANISHED ? 1 : 0;
        plateau += r.status() == TrialStatus.PLATEAU ? 1 : 0;
        saved += Math.max(0, s.maxSteps() - r.steps());
      }
    }
    if (!any && vanished + plateau == 0) {
      return "";
    }
    return String.format(Locale.ROOT, "early stopping: %d of %d trials stopped (%d VANISHED, %d PLATEAU), %,d of %,d "
        + "budgeted steps saved (%.0f%%)\n", vanished + plateau, trials.size(), vanished, plateau, saved, budget,
        budget == 0 ? 0.0 : 100.0 * saved / budget);
  }

  /** The solve rule the trials' single task has when it is not the eval loss; null otherwise. */
  private static io.gradsweep.task.SolveRule ownSolveRule(List<TrialSpec> trials) {
    List<io.gradsweep.task.SolveRule> rules = trials.stream().map(t -> {
      try {
        return io.gradsweep.task.SequenceTasks.configured(t.task(), t.taskOptions()).solveRule();
      } catch (RuntimeException e) {
        return null;
      }
    }).distinct().toList();
    return rules.size() == 1 && rules.get(0) != null && !rules.get(0).metric().equals("loss") ? rules.get(0) : null;
  }

  /** Four significant digits; {@code -} for a value that is not a finite number. */
  static String num(double v) {
    if (!Double.isFinite(v)) {
      return "-";
    }
    if (v == 0) {
      return "0";
    }
    if (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3) {
      return String.format(Locale.ROOT, "%.3e", v);
    }
    return String.format(Locale.ROOT, "%.4g", v);
  }
}
