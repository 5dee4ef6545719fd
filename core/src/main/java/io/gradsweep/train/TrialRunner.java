package io.gradsweep.train;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.TrialRun;

/** Trains one trial within its budget, records gradient statistics and logs to a {@link TrialRun}. No Spark. */
public final class TrialRunner {

  /**
   * Runs the trial to completion. Never throws for training outcomes: divergence and errors come back as
   * {@link TrialStatus#DIVERGED} and {@link TrialStatus#FAILED}. The run is finished (FINISHED or FAILED) on return.
   */
  public TrialResult run(TrialSpec spec, TrialRun run) {
    throw new UnsupportedOperationException("in progress");
  }
}
