package io.gradsweep.train;

import io.gradsweep.tracking.Names.Metric;
import io.gradsweep.tracking.Names.Tag;
import java.io.Serializable;
import java.util.Map;

/**
 * Summary of one finished trial, small enough to collect on the driver.
 *
 * @param trialId the trial's stable id
 * @param displayName readable name of the trial
 * @param runId tracking run id of the trial (null when not tracked)
 * @param status how it ended
 * @param steps training steps taken
 * @param stepsToSolve step at which eval loss first fell below the threshold, or -1
 * @param divergedAtStep step at which NaN/Inf appeared, or -1
 * @param finalEvalLoss last eval loss (NaN if never evaluated or diverged)
 * @param baselineLoss the task's trivial-baseline loss on the same eval set
 * @param maxGradNorm largest global gradient L2 norm before clipping
 * @param clipRate fraction of steps in which clipping changed the gradient
 * @param decayRate per-step decay factor of the top layer's gradient profile at the last profile step (NaN if none)
 * @param horizon steps back from the loss the top layer's gradient stays above 1e-3 of its value at the loss, at the
 *     last profile step (-1 if none)
 * @param wallSeconds wall time of the trial
 * @param error error message for FAILED, else null
 * @param initProfile the top layer's ||dL/dh_t||, t = 0..T-1, at initialisation (step 1); null if none
 * @param finalProfile the same at the last profile step; null if none
 * @param trackingBacklog what the trial's run could not send to the tracking backend (it waits in a spool for
 *     {@code gradsweep replay}); null when everything was delivered
 * @param timings where the trial's time went, measured where it ran; null when unknown (a trial read back from
 *     its run, or one that failed before it trained)
 * @param finalSolveValue the last value of the task's solve metric (tag {@code gradsweep.solve_metric}: the eval
 *     loss for the adding problem, an accuracy for the classification tasks); NaN if never evaluated or diverged
 * @param baselineSolveValue the trivial baseline's value of the solve metric on the same eval set
 *
 * <p>Carries plain values only (no tracking types): the tracking layer's view of an undelivered run is converted
 * to an {@link Undelivered} by whoever runs the trial.
 */
public record TrialResult(
    String trialId,
    String displayName,
    String runId,
    TrialStatus status,
    int steps,
    int stepsToSolve,
    int divergedAtStep,
    double finalEvalLoss,
    double baselineLoss,
    double maxGradNorm,
    double clipRate,
    double decayRate,
    int horizon,
    double wallSeconds,
    String error,
    double[] initProfile,
    double[] finalProfile,
    Undelivered trackingBacklog,
    Timings timings,
    double finalSolveValue,
    double baselineSolveValue)
    implements Serializable {

  /** A result whose solve metric is its eval loss (the adding problem). */
  public TrialResult(String trialId, String displayName, String runId, TrialStatus status, int steps,
      int stepsToSolve, int divergedAtStep, double finalEvalLoss, double baselineLoss, double maxGradNorm,
      double clipRate, double decayRate, int horizon, double wallSeconds, String error, double[] initProfile,
      double[] finalProfile, Undelivered trackingBacklog, Timings timings) {
    this(trialId, displayName, runId, status, steps, stepsToSolve, divergedAtStep, finalEvalLoss, baselineLoss,
        maxGradNorm, clipRate, decayRate, horizon, wallSeconds, error, initProfile, finalProfile, trackingBacklog,
        timings, finalEvalLoss, baselineLoss);
  }

  /**
   * Records of the trial's run that wait in a spool for {@code gradsweep replay}.
   *
   * @param runId the run
   * @param trackingUri the server they are for
   * @param host the machine whose disk holds the spool
   * @param root the spool root directory
   * @param records records not yet acknowledged by the server
   */
  public record Undelivered(String runId, String trackingUri, String host, String root, long records)
      implements Serializable {
    public Undelivered {
      if (records < 0) {
        throw new IllegalArgumentException("records must be >= 0, got " + records);
      }
    }
  }

  /**
   * Where one trial's time went, in seconds, measured by the thread that ran it (the task's, on a Spark executor).
   * {@code training} includes {@code stats}, {@code logging} and {@code profile}; {@code attempt} is everything,
   * from opening the tracking sink to closing it. A phase that was not measured is NaN.
   *
   * @param runStart opening the tracking sink and starting the trial's run with its tags (MLflow: creating the run
   *     and sending its params)
   * @param setup building the net, the optimizer and the held-out set
   * @param training the training loop
   * @param trainingCpu the CPU time of the training loop's thread (below {@code training} when the thread waited
   *     for a core, a lock or the garbage collector)
   * @param stats gradient norms, in the loop
   * @param logging handing the step metrics to the run, in the loop
   * @param profile gradient profiles, weight spectra and activation health on profile steps, in the loop
   * @param artifacts the final metrics, {@code gradient_profile.csv} and the pictures (drawn, then handed to the run)
   * @param runEnd ending the run and closing the sink (MLflow: until the run's sender has delivered everything)
   * @param attempt the whole attempt
   */
  public record Timings(double runStart, double setup, double training, double trainingCpu, double stats,
      double logging, double profile, double artifacts, double runEnd, double attempt) implements Serializable {

    /** The trainer's part: no run start yet, and the attempt is the trainer's own time. */
    public static Timings ofTrainer(double setup, double training, double trainingCpu, double stats, double logging,
        double profile, double artifacts, double runEnd, double total) {
      return new Timings(0, setup, training, trainingCpu, stats, logging, profile, artifacts, runEnd, total);
    }

    /** This with the trainer's run end and whole time replaced. */
    public Timings withRunEnd(double end, double total) {
      return new Timings(runStart, setup, training, trainingCpu, stats, logging, profile, artifacts, end, total);
    }

    /** Nothing measured (every phase NaN): for a trainer that reports no timings. */
    public static Timings unmeasured() {
      double n = Double.NaN;
      return new Timings(n, n, n, n, n, n, n, n, n, n);
    }

    /**
     * These trainer's timings inside an attempt: {@code runStart} before the trainer, {@code close} (closing the
     * sink) added to the run's end, and the attempt's whole time.
     */
    public Timings inAttempt(double runStart, double close, double attempt) {
      return new Timings(runStart, setup, training, trainingCpu, stats, logging, profile, artifacts, runEnd + close,
          attempt);
    }
  }

  /** A result whose run delivered everything. */
  public TrialResult(String trialId, String displayName, String runId, TrialStatus status, int steps,
      int stepsToSolve, int divergedAtStep, double finalEvalLoss, double baselineLoss, double maxGradNorm,
      double clipRate, double decayRate, int horizon, double wallSeconds, String error, double[] initProfile,
      double[] finalProfile) {
    this(trialId, displayName, runId, status, steps, stepsToSolve, divergedAtStep, finalEvalLoss, baselineLoss,
        maxGradNorm, clipRate, decayRate, horizon, wallSeconds, error, initProfile, finalProfile, null, null);
  }

  /** A result without profiles. */
  public TrialResult(String trialId, String displayName, String runId, TrialStatus status, int steps,
      int stepsToSolve, int divergedAtStep, double finalEvalLoss, double baselineLoss, double maxGradNorm,
      double clipRate, double decayRate, int horizon, double wallSeconds, String error) {
    this(trialId, displayName, runId, status, steps, stepsToSolve, divergedAtStep, finalEvalLoss, baselineLoss,
        maxGradNorm, clipRate, decayRate, horizon, wallSeconds, error, null, null);
  }

  /** This result with {@code backlog} as its {@link #trackingBacklog()}. */
  public TrialResult withTrackingBacklog(Undelivered backlog) {
    return new TrialResult(trialId, displayName, runId, status, steps, stepsToSolve, divergedAtStep, finalEvalLoss,
        baselineLoss, maxGradNorm, clipRate, decayRate, horizon, wallSeconds, error, initProfile, finalProfile,
        backlog, timings, finalSolveValue, baselineSolveValue);
  }

  /** This result with {@code t} as its {@link #timings()}. */
  public TrialResult withTimings(Timings t) {
    return new TrialResult(trialId, displayName, runId, status, steps, stepsToSolve, divergedAtStep, finalEvalLoss,
        baselineLoss, maxGradNorm, clipRate, decayRate, horizon, wallSeconds, error, initProfile, finalProfile,
        trackingBacklog, t, finalSolveValue, baselineSolveValue);
  }

  /**
   * The result of a trial that ran before, read back from its tracking run (status tag and {@code final/*}
   * metrics): used when a resumed sweep skips the trials already finished. Profiles are not read back (null).
   *
   * @param trialId the run's trial id tag (may be null)
   * @param runId the run's id
   * @param tags the run's tags
   * @param metrics the latest value of each of the run's metrics
   */
  public static TrialResult fromRun(String trialId, String runId, Map<String, String> tags,
      Map<String, Double> metrics, String displayName) {
    Map<String, Double> m = metrics;
    TrialStatus status;
    try {
      status = TrialStatus.valueOf(tags.getOrDefault(Tag.STATUS, TrialStatus.FAILED.name()));
    } catch (IllegalArgumentException e) {
      status = TrialStatus.FAILED;
    }
    double evalLoss = m.getOrDefault(Metric.FINAL_EVAL_LOSS, Double.NaN);
    double baseline = m.getOrDefault(Metric.FINAL_BASELINE_LOSS, Double.NaN);
    return new TrialResult(trialId, displayName, runId, status,
        (int) m.getOrDefault(Metric.FINAL_STEPS, 0.0).doubleValue(), intMetric(m, Metric.FINAL_STEPS_TO_SOLVE),
        intMetric(m, Metric.FINAL_DIVERGED_AT_STEP), evalLoss, baseline,
        m.getOrDefault(Metric.FINAL_MAX_GRAD_NORM, Double.NaN),
        m.getOrDefault(Metric.FINAL_CLIP_RATE, Double.NaN), m.getOrDefault(Metric.FINAL_DECAY_RATE, Double.NaN),
        intMetric(m, Metric.FINAL_HORIZON), m.getOrDefault(Metric.FINAL_WALL_SECONDS, Double.NaN),
        status == TrialStatus.FAILED ? tags.getOrDefault(Tag.ERROR, "failed in an earlier attempt") : null, null,
        null, null, null,
        // runs of versions before the solve metric: the eval loss was the solve metric
        m.getOrDefault(Metric.FINAL_SOLVE_METRIC, tags.containsKey(Tag.SOLVE_METRIC) ? Double.NaN : evalLoss),
        m.getOrDefault(Metric.FINAL_BASELINE_SOLVE_METRIC, tags.containsKey(Tag.SOLVE_METRIC) ? Double.NaN
            : baseline));
  }

  private static int intMetric(Map<String, Double> m, String key) {
    Double v = m.get(key);
    return v == null || !Double.isFinite(v) ? -1 : (int) Math.round(v);
  }

  public static TrialResult failed(String trialId, String displayName, String runId, String error, double wallSeconds) {
    return new TrialResult(trialId, displayName, runId, TrialStatus.FAILED, 0, -1, -1, Double.NaN, Double.NaN,
        Double.NaN, Double.NaN, Double.NaN, -1, wallSeconds, error);
  }
}
