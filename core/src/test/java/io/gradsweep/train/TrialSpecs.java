package io.gradsweep.train;

import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;

/** Small trial specs for tests. */
final class TrialSpecs {
  private TrialSpecs() {}

  static TrialSpec of(String cell, String activation, int seqLen, ClipSpec clip, int tbptt, String optimizer,
      double lr, int hidden, long seed, int maxSteps) {
    return new TrialSpec("test", "unit", "adding", 64, 99, seqLen, cell, activation, clip, tbptt, optimizer, lr,
        hidden, 1, "default", seed, 16, maxSteps, 10, 0.01);
  }

  /** {@link #of} with its own logging budget ({@code training.log_points}). */
  static TrialSpec withLogPoints(TrialSpec s, int logPoints) {
    return new TrialSpec(s.experiment(), s.sweepName(), s.task(), s.evalSize(), s.evalSeed(), s.seqLen(), s.cell(),
        s.activation(), s.clip(), s.tbptt(), s.optimizer(), s.lr(), s.hidden(), s.layers(), s.init(), s.seed(),
        s.batchSize(), s.maxSteps(), s.evalEvery(), s.solveThreshold(), s.profileEvery(), logPoints);
  }

  /** {@code s} with early-stopping rules ({@code training.stop}). */
  static TrialSpec withStop(TrialSpec s, io.gradsweep.spec.StopRules stop) {
    return new TrialSpec(s.experiment(), s.sweepName(), s.task(), s.evalSize(), s.evalSeed(), s.seqLen(), s.cell(),
        s.activation(), s.clip(), s.tbptt(), s.optimizer(), s.lr(), s.hidden(), s.layers(), s.init(), s.seed(),
        s.batchSize(), s.maxSteps(), s.evalEvery(), s.solveThreshold(), s.profileEvery(), s.logPoints(),
        s.taskOptions(), stop);
  }
}
