package io.gradsweep.report;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.task.SequenceTask;
import io.gradsweep.task.SequenceTasks;
import io.gradsweep.task.SolveRule;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.Names.Metric;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One trial of a finished sweep as the report and {@code trials.csv} see it: its parameters and its summary. Built
 * either on the driver at the end of a sweep ({@link #of(int, TrialSpec, TrialResult)}) or from the trial's run read
 * back from the tracking backend ({@link #fromRun(int, RunSnapshot)}); both give equal rows for the same trial.
 *
 * <p>Missing values: ints are -1 (a trial that did not solve has {@code stepsToSolve = -1}), doubles NaN. A FAILED
 * trial (an error, not a training outcome) has only its parameters: every summary value is missing.
 *
 * @param trial 1-based position of the trial in the sweep's plan, 0 when unknown
 * @param trialId the trial's stable id ({@link TrialSpec#id()})
 * @param name readable name ({@link TrialSpec#displayName()}, the run name)
 * @param params the trial's parameters, keys in {@link #PARAM_KEYS} order (as logged to the tracking backend)
 * @param status how the trial ended
 * @param steps training steps taken
 * @param stepsToSolve step at which the eval loss first fell below the solve threshold
 * @param divergedAtStep step at which the loss or a gradient became NaN or infinite
 * @param finalEvalLoss last eval loss (missing when diverged)
 * @param baselineLoss the task's trivial-baseline loss on the same eval set
 * @param maxGradNorm largest global gradient norm before clipping
 * @param clipRate fraction of steps in which clipping changed the gradient
 * @param decayRate per-step decay factor of the top layer's gradient profile at the last profile step
 * @param horizon steps back from the loss with ||dL/dh_t|| at or above 1e-3 of its value at the loss (1..T)
 * @param wallSeconds wall time of the trial
 * @param runId the trial's run in the tracking backend, or null
 * @param finalSolveValue the last value of the task's solve metric ({@link #solveRule()}; the eval loss for the
 *     adding problem, an accuracy for the classification tasks)
 * @param baselineSolveValue the trivial baseline's value of the solve metric on the same eval set
 */
public record TrialRow(int trial, String trialId, String name, Map<String, String> params, TrialStatus status,
    int steps, int stepsToSolve, int divergedAtStep, double finalEvalLoss, double baselineLoss, double maxGradNorm,
    double clipRate, double decayRate, int horizon, double wallSeconds, String runId, double finalSolveValue,
    double baselineSolveValue) {

  /** A row whose solve metric is its eval loss (the adding problem, and runs of versions before solve metrics). */
  public TrialRow(int trial, String trialId, String name, Map<String, String> params, TrialStatus status,
      int steps, int stepsToSolve, int divergedAtStep, double finalEvalLoss, double baselineLoss, double maxGradNorm,
      double clipRate, double decayRate, int horizon, double wallSeconds, String runId) {
    this(trial, trialId, name, params, status, steps, stepsToSolve, divergedAtStep, finalEvalLoss, baselineLoss,
        maxGradNorm, clipRate, decayRate, horizon, wallSeconds, runId, finalEvalLoss, baselineLoss);
  }

  /** The parameter keys of every trial, in the order {@link TrialSpec#params()} gives them. */
  public static final List<String> PARAM_KEYS = List.of("task", "seq_len", "cell", "activation", "clip", "tbptt",
      "optimizer", "lr", "hidden", "layers", "init", "seed", "batch_size", "max_steps", "eval_every", "eval_size",
      "eval_seed", "solve_threshold", "profile_every", "log_points", "stop");

  public TrialRow {
    Objects.requireNonNull(trialId, "trialId");
    Objects.requireNonNull(status, "status");
    params = Collections.unmodifiableMap(ordered(params));
  }

  /** The row of a trial at the end of its sweep. */
  public static TrialRow of(int trial, TrialSpec spec, TrialResult r) {
    if (r.status() == TrialStatus.FAILED) {
      return failed(trial, spec.id(), spec.displayName(), spec.params(), r.runId());
    }
    return new TrialRow(trial, spec.id(), spec.displayName(), spec.params(), r.status(), r.steps(),
        r.stepsToSolve(), r.divergedAtStep(), r.finalEvalLoss(), r.baselineLoss(), r.maxGradNorm(), r.clipRate(),
        r.decayRate(), r.horizon(), r.wallSeconds(), r.runId(), r.finalSolveValue(), r.baselineSolveValue());
  }

  /**
   * The row of a trial read back from its run: params as logged, status from tag {@value Names.Tag#STATUS} (FAILED when
   * the run has none: its task was cut off), summary from the {@code final/*} metrics (a metric that is not there,
   * e.g. a NaN the backend did not store, is missing).
   */
  public static TrialRow fromRun(int trial, RunSnapshot run) {
    String id = run.trialId().orElseThrow(() -> new IllegalArgumentException("run " + run.runId()
        + " has no tag " + Names.Tag.TRIAL_ID + ": not a trial run"));
    TrialStatus status = parseStatus(run.tags().get(Names.Tag.STATUS));
    if (status == TrialStatus.FAILED) {
      return failed(trial, id, run.runName(), run.params(), run.runId());
    }
    Map<String, Double> m = run.metrics();
    // runs of versions before the solve metric: the eval loss was the solve metric
    boolean own = run.tags().containsKey(Names.Tag.SOLVE_METRIC);
    return new TrialRow(trial, id, run.runName(), run.params(), status, intMetric(m, Metric.FINAL_STEPS),
        intMetric(m, Metric.FINAL_STEPS_TO_SOLVE), intMetric(m, Metric.FINAL_DIVERGED_AT_STEP),
        metric(m, Metric.FINAL_EVAL_LOSS), metric(m, Metric.FINAL_BASELINE_LOSS), metric(m, Metric.FINAL_MAX_GRAD_NORM),
        metric(m, Metric.FINAL_CLIP_RATE), metric(m, Metric.FINAL_DECAY_RATE), intMetric(m, Metric.FINAL_HORIZON),
        metric(m, Metric.FINAL_WALL_SECONDS), run.runId(),
        metric(m, own ? Metric.FINAL_SOLVE_METRIC : Metric.FINAL_EVAL_LOSS),
        metric(m, own ? Metric.FINAL_BASELINE_SOLVE_METRIC : Metric.FINAL_BASELINE_LOSS));
  }

  /** A trial that has no run at all (Spark could not run it): FAILED, parameters only. */
  public static TrialRow notRun(int trial, TrialSpec spec) {
    return failed(trial, spec.id(), spec.displayName(), spec.params(), null);
  }

  private static TrialRow failed(int trial, String id, String name, Map<String, String> params, String runId) {
    return new TrialRow(trial, id, name, params, TrialStatus.FAILED, -1, -1, -1, Double.NaN, Double.NaN, Double.NaN,
        Double.NaN, Double.NaN, -1, Double.NaN, runId, Double.NaN, Double.NaN);
  }

  /** This row with another plan position. */
  public TrialRow withTrial(int position) {
    return new TrialRow(position, trialId, name, params, status, steps, stepsToSolve, divergedAtStep, finalEvalLoss,
        baselineLoss, maxGradNorm, clipRate, decayRate, horizon, wallSeconds, runId, finalSolveValue,
        baselineSolveValue);
  }

  /**
   * The solve rule of the row's task, from its params ({@code task} and {@code task.<option>}); null when the task is
   * not registered here or its options are not (a row of another version).
   */
  public SolveRule solveRule() {
    SequenceTask t = task();
    return t == null ? null : t.solveRule();
  }

  /** The row's task with its options, from its params; null when unknown here. */
  public SequenceTask task() {
    String name = params.get("task");
    if (name == null) {
      return null;
    }
    Map<String, String> options = new LinkedHashMap<>();
    params.forEach((k, v) -> {
      if (k.startsWith("task.")) {
        options.put(k.substring("task.".length()), v);
      }
    });
    try {
      return SequenceTasks.configured(name, options);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** A parameter's value as logged, or null. */
  public String param(String key) {
    return params.get(key);
  }

  /** The network: the cell, with its activation for a vanilla RNN ({@code rnn/tanh}, {@code lstm}). */
  public String network() {
    String cell = params.getOrDefault("cell", "?");
    String act = params.get("activation");
    return act == null || act.isEmpty() || act.equals("-") ? cell : cell + "/" + act;
  }

  /**
   * The step an early-stopping rule ended the trial at (status VANISHED or PLATEAU: its steps taken), else -1.
   */
  public int stoppedAtStep() {
    return status.earlyStopped() ? steps : -1;
  }

  /**
   * Training steps an early-stopping rule saved: {@code max_steps} minus the step it stopped at for a VANISHED or
   * PLATEAU trial, 0 for the other outcomes, -1 for FAILED (or when {@code max_steps} is not known).
   */
  public int stepsSaved() {
    if (!hasOutcome()) {
      return -1;
    }
    if (!status.earlyStopped()) {
      return 0;
    }
    try {
      return Math.max(0, Integer.parseInt(String.valueOf(params.get("max_steps"))) - steps);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** True when training gave an outcome (SOLVED, NOT_SOLVED, DIVERGED, VANISHED or PLATEAU), false for FAILED. */
  public boolean hasOutcome() {
    return status != TrialStatus.FAILED;
  }

  public boolean solved() {
    return status == TrialStatus.SOLVED;
  }

  public boolean diverged() {
    return status == TrialStatus.DIVERGED;
  }

  /** Final eval loss over the trivial baseline (1 = no better than always predicting the baseline). */
  public double lossOverBaseline() {
    return finalEvalLoss / baselineLoss;
  }

  private static TrialStatus parseStatus(String s) {
    if (s == null) {
      return TrialStatus.FAILED;
    }
    try {
      return TrialStatus.valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return TrialStatus.FAILED;
    }
  }

  private static double metric(Map<String, Double> m, String key) {
    Double v = m.get(key);
    return v == null ? Double.NaN : v;
  }

  private static int intMetric(Map<String, Double> m, String key) {
    Double v = m.get(key);
    return v == null || !Double.isFinite(v) ? -1 : (int) Math.round(v);
  }

  /** The params with the known keys first, in {@link #PARAM_KEYS} order, then any others alphabetically. */
  private static Map<String, String> ordered(Map<String, String> params) {
    Map<String, String> out = new LinkedHashMap<>();
    if (params == null) {
      return out;
    }
    for (String k : PARAM_KEYS) {
      if (params.containsKey(k)) {
        out.put(k, params.get(k));
      }
    }
    List<String> rest = new ArrayList<>(params.keySet());
    rest.removeAll(PARAM_KEYS);
    Collections.sort(rest);
    rest.forEach(k -> out.put(k, params.get(k)));
    return out;
  }
}
