package io.gradsweep.train;

import io.gradsweep.spec.StopRules;
import io.gradsweep.util.Canon;
import java.util.Locale;

/**
 * The early-stopping rules of one trial ({@link StopRules}, {@code training.stop}) applied to what the trial sees:
 * the top layer's gradient horizon at each profile step and the eval loss at each evaluation. It only decides; the
 * {@link TrialRunner} stops. One instance per trial, not thread-safe.
 *
 * <ul>
 *   <li><b>vanished</b>: a profile counts when its horizon is below {@code horizon_fraction * T} and the last eval
 *       loss (if there is one yet) is at the baseline; a profile that does not count, or an evaluation off the
 *       baseline, starts the count again. The rule fires at the {@code profiles}-th counted profile in a row, once
 *       there has been an evaluation (so step 1's profile counts, but the rule never fires before the first
 *       evaluation).
 *   <li><b>plateau</b>: the first evaluation is the best loss so far; an evaluation improves when its loss is below
 *       {@code (1 - min_delta) * best} (then it is the new best). The rule fires when the last {@code evals}
 *       evaluations were all at the baseline and none improved (so at least {@code evals + 1} evaluations).
 * </ul>
 *
 * "At the baseline": {@code eval_loss >= (1 - baseline_tolerance) * baseline}.
 */
final class EarlyStopping {
  private final StopRules rules;
  private final int steps;
  private final double baseline;

  /** Consecutive profiles with a vanished horizon, the loss at the baseline. */
  private int vanishedRun;
  /** The latest eval loss; NaN before the first evaluation. */
  private double lastEval = Double.NaN;
  /** Best eval loss so far (the plateau rule's reference); NaN before the first evaluation. */
  private double best = Double.NaN;
  /** Consecutive evaluations at the baseline that did not improve on the best. */
  private int plateauRun;
  private TrialStatus fired;
  private String reason;

  /**
   * @param rules the trial's rules ({@link StopRules#NONE}: never fires)
   * @param steps the sequence's time steps T (the length of a gradient profile)
   * @param baseline the task's trivial-baseline eval loss
   */
  EarlyStopping(StopRules rules, int steps, double baseline) {
    if (steps < 1) {
      throw new IllegalArgumentException("early stopping: steps must be >= 1, got " + steps);
    }
    this.rules = rules == null ? StopRules.NONE : rules;
    this.steps = steps;
    this.baseline = baseline;
  }

  /** True when at least one rule is on. */
  boolean enabled() {
    return rules.enabled();
  }

  /** The status of the rule that fired (VANISHED or PLATEAU), or null while none has. */
  TrialStatus fired() {
    return fired;
  }

  /** Why the rule fired, in words with the values it saw; null while none has. */
  String reason() {
    return reason;
  }

  /**
   * A gradient profile was taken, with the top layer's horizon (steps back from the loss with ||dL/dh_t|| at or
   * above 1e-3 of its value there). Returns VANISHED when the vanished rule fires now, else null.
   */
  TrialStatus onProfile(int horizon) {
    StopRules.Vanished v = rules.vanished();
    if (v == null || fired != null) {
      return null;
    }
    double limit = v.horizonFraction() * steps;
    boolean lossOk = Double.isNaN(lastEval) || atBaseline(lastEval, v.baselineTolerance());
    vanishedRun = horizon < limit && lossOk ? vanishedRun + 1 : 0;
    if (vanishedRun >= v.profiles() && !Double.isNaN(lastEval)) {
      return fire(TrialStatus.VANISHED, String.format(Locale.ROOT, "gradient horizon below %s of T = %d steps "
          + "(%.4g) at %d profiles in a row (last: %d), eval loss %.4g = %.3g x the baseline %.4g",
          Canon.num(v.horizonFraction()), steps, limit, vanishedRun, horizon, lastEval,
          lastEval / baseline, baseline));
    }
    return null;
  }

  /** An evaluation gave {@code loss} (finite). Returns PLATEAU when the plateau rule fires now, else null. */
  TrialStatus onEval(double loss) {
    lastEval = loss;
    if (fired != null) {
      return null;
    }
    StopRules.Vanished v = rules.vanished();
    if (v != null && !atBaseline(loss, v.baselineTolerance())) {
      vanishedRun = 0;
    }
    StopRules.Plateau p = rules.plateau();
    if (p == null) {
      return null;
    }
    if (Double.isNaN(best) || loss < (1 - p.minDelta()) * best) { // the first evaluation, or an improvement
      best = loss;
      plateauRun = 0;
      return null;
    }
    plateauRun = atBaseline(loss, p.baselineTolerance()) ? plateauRun + 1 : 0;
    if (plateauRun >= p.evals()) {
      return fire(TrialStatus.PLATEAU, String.format(Locale.ROOT, "eval loss at the baseline %.4g (at most %s "
          + "below it) and no relative improvement over %s on the best at %d evaluations in a row: last %.4g = "
          + "%.3g x the baseline, best %.4g", baseline, Canon.num(p.baselineTolerance()), Canon.num(p.minDelta()),
          plateauRun, loss, loss / baseline, best));
    }
    return null;
  }

  /** At the baseline: not more than {@code tolerance} below it (any loss above it counts). */
  private boolean atBaseline(double loss, double tolerance) {
    return loss >= (1 - tolerance) * baseline;
  }

  private TrialStatus fire(TrialStatus status, String why) {
    fired = status;
    reason = why;
    return status;
  }
}
