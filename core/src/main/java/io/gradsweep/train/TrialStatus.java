package io.gradsweep.train;

/** How a trial ended. */
public enum TrialStatus {
  /** Eval loss fell below the solve threshold; {@link TrialResult#stepsToSolve()} says when. */
  SOLVED,
  /** The budget ran out before the eval loss fell below the threshold. */
  NOT_SOLVED,
  /** The loss or a gradient became NaN or infinite; {@link TrialResult#divergedAtStep()} says when. */
  DIVERGED,
  /**
   * Stopped early (opt-in rule {@code training.stop.vanished}): the gradient horizon stayed below a share of T for
   * several profiles while the eval loss sat at the baseline; {@link TrialResult#steps()} is the step it stopped at.
   */
  VANISHED,
  /**
   * Stopped early (opt-in rule {@code training.stop.plateau}): the eval loss sat at the baseline without improving
   * for several evaluations; {@link TrialResult#steps()} is the step it stopped at.
   */
  PLATEAU,
  /** The trial could not run (an error, not a training outcome); {@link TrialResult#error()} says why. */
  FAILED;

  /** True for the statuses of an early-stopping rule (VANISHED, PLATEAU): the trial stopped before its budget. */
  public boolean earlyStopped() {
    return this == VANISHED || this == PLATEAU;
  }

  /** True for a training outcome (every status but FAILED). */
  public boolean isOutcome() {
    return this != FAILED;
  }
}
