package io.gradsweep.task;

/**
 * When a trial of a task counts as solved: a held-out metric of the task crosses {@code training.solve_threshold}.
 *
 * @param metric the short name of the metric, a key of {@link SequenceTask#evaluate} (e.g. {@code loss},
 *     {@code accuracy}); logged as {@code eval/<metric>}
 * @param higherIsBetter true for accuracies (solved when metric >= threshold), false for losses (solved when metric
 *     < threshold)
 * @param defaultThreshold the threshold when the spec gives none
 * @param baseline the metric's expected value for the task's trivial baseline, in closed form
 * @param baselineText {@code baseline} as written in messages: a fraction {@code a/b} or a decimal
 * @param what how the metric is called in messages, e.g. {@code eval MSE}
 */
public record SolveRule(String metric, boolean higherIsBetter, double defaultThreshold, double baseline,
    String baselineText, String what) {

  public SolveRule {
    if (metric == null || metric.isBlank() || baselineText == null || what == null) {
      throw new IllegalArgumentException("a solve rule needs a metric, a baseline text and a description");
    }
    if (!Double.isFinite(baseline) || !validThreshold(higherIsBetter, baseline, defaultThreshold)) {
      throw new IllegalArgumentException("solve rule " + metric + ": default threshold " + defaultThreshold
          + " is not on the good side of the baseline " + baseline);
    }
  }

  /** Whether {@code value} of the metric solves the task at {@code threshold} (NaN never does). */
  public boolean solved(double value, double threshold) {
    return higherIsBetter ? value >= threshold : value < threshold;
  }

  /** Whether {@code threshold} lies strictly beyond the baseline: below it for a loss (and > 0), above it (<= 1). */
  public boolean validThreshold(double threshold) {
    return validThreshold(higherIsBetter, baseline, threshold);
  }

  private static boolean validThreshold(boolean higher, double baseline, double x) {
    return higher ? x > baseline && x <= 1 : x > 0 && x < baseline;
  }

  /** The allowed thresholds, for messages: {@code a number 0 < x < 1/6 (below the adding task's ...)}. */
  public String allowedThresholds(String task) {
    return higherIsBetter
        ? "a number " + baselineText + " < x <= 1 (above the " + task + " task's trivial-baseline " + what + ")"
        : "a number 0 < x < " + baselineText + " (below the " + task + " task's trivial-baseline " + what + ")";
  }

  /** "eval MSE < 0.01" or "recall accuracy >= 0.99". */
  public String describe(String threshold) {
    return what + (higherIsBetter ? " >= " : " < ") + threshold;
  }
}
