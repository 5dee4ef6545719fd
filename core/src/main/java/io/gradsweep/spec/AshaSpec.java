package io.gradsweep.spec;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code search.scheduler.asha}: asynchronous successive halving (Li et al. 2020, "A System for Massively Parallel
 * Hyperparameter Tuning"). Rungs at {@code min_steps * reduction_factor^k} steps below {@code max_steps}, and a last
 * rung at {@code max_steps}; a trial paused at a rung goes on to the next one when it is in the top
 * {@code 1/reduction_factor} of the trials that completed that rung.
 *
 * @param minSteps the first rung's budget in steps; a multiple of {@code training.eval_every} (every rung ends with
 *     an evaluation)
 * @param reductionFactor eta: 1/eta of a rung's trials go on to the next rung
 * @param maxSteps the last rung's budget, at most {@code training.max_steps}
 * @param metric what trials are ranked by in a rung, minimized: {@code eval_loss}
 */
public record AshaSpec(int minSteps, int reductionFactor, int maxSteps, String metric) {
  /** The metrics ASHA can rank by. */
  public static final List<String> METRICS = List.of("eval_loss");

  public AshaSpec {
    if (minSteps < 1 || reductionFactor < 2 || maxSteps <= minSteps) {
      throw new IllegalArgumentException("asha: need min_steps >= 1, reduction_factor >= 2, max_steps > min_steps; got "
          + minSteps + ", " + reductionFactor + ", " + maxSteps);
    }
    if (!METRICS.contains(metric)) {
      throw new IllegalArgumentException("asha: metric must be one of " + METRICS + ", got " + metric);
    }
  }

  /** The rungs' budgets in steps, increasing: min_steps * eta^k below max_steps, then max_steps. */
  public List<Integer> rungs() {
    List<Integer> r = new ArrayList<>();
    for (long s = minSteps; s < maxSteps; s *= reductionFactor) {
      r.add((int) s);
    }
    r.add(maxSteps);
    return List.copyOf(r);
  }

  /** The rungs as text, e.g. {@code 100,300,900}. */
  public String rungsText() {
    return String.join(",", rungs().stream().map(String::valueOf).toList());
  }
}
