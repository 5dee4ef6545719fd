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
  FAILED,
  /**
   * A scheduler (ASHA, {@code search.scheduler}) stopped the trial at a rung's budget because better trials took
   * the rung's promotions; {@link TrialResult#steps()} says where. A training outcome like NOT_SOLVED, not an error.
   */
  STOPPED_BY_SCHEDULER,
  /**
   * Only between two segments of a scheduled trial: the segment reached its budget and the trial waits at its
   * checkpoint for the scheduler's decision. Never the final status of a trial.
   */
  PAUSED;

  /** True for the statuses of an early-stopping rule (VANISHED, PLATEAU): the trial stopped before its budget. */
  public boolean earlyStopped() {
    return this == VANISHED || this == PLATEAU;
  }

  /** True for the statuses of trials that trained to an outcome: not FAILED, not PAUSED. */
  public boolean trained() {
    return this != FAILED && this != PAUSED;
  }
}
