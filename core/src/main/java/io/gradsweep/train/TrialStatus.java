package io.gradsweep.train;

/** How a trial ended. */
public enum TrialStatus {
  /** Eval loss fell below the solve threshold; {@link TrialResult#stepsToSolve()} says when. */
  SOLVED,
  /** The budget ran out before the eval loss fell below the threshold. */
  NOT_SOLVED,
  /** The loss or a gradient became NaN or infinite; {@link TrialResult#divergedAtStep()} says when. */
  DIVERGED,
  /** The trial could not run (an error, not a training outcome); {@link TrialResult#error()} says why. */
  FAILED
}
