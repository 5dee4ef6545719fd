package io.gradsweep.sweep;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.train.TrialStatus;
import java.io.Serializable;
import java.util.Objects;

/**
 * One segment of a trial for an executor to run (serializable: it travels in a Spark task): start the trial's child
 * run, or reopen it and continue from its checkpoint artifact, train up to a step, and pause there (checkpoint
 * uploaded, run left RUNNING) unless the trial ends.
 *
 * @param trial the trial
 * @param runId the trial's child run to continue; null to start one
 * @param fromStep 0 to start at step 0; else the step of the checkpoint to continue from (the run's latest checkpoint
 *     must be at this step or later)
 * @param untilStep the segment's last step
 * @param checkpointEvery a checkpoint every this many steps besides the pause (0: none)
 * @param endAs null to train; else end the trial at its checkpoint with this status (no steps)
 * @param rung the scheduler's rung the segment completes, logged to the run; -1 for none
 */
public record TrialSegment(TrialSpec trial, String runId, int fromStep, int untilStep, int checkpointEvery,
    TrialStatus endAs, int rung) implements Serializable {

  public TrialSegment {
    Objects.requireNonNull(trial, "trial");
    if ((runId == null) != (fromStep == 0)) {
      throw new IllegalArgumentException("a segment continues a run from a checkpoint (runId and fromStep > 0) or "
          + "starts at step 0 without one; got run " + runId + ", step " + fromStep);
    }
    if (fromStep < 0 || untilStep < Math.max(1, fromStep) || untilStep > trial.maxSteps()) {
      throw new IllegalArgumentException("segment of trial " + trial.id() + ": need 0 <= fromStep <= untilStep <= "
          + "max_steps " + trial.maxSteps() + ", got " + fromStep + ".." + untilStep);
    }
  }

  /** The whole trial in a new run, with a checkpoint every {@code every} steps (0: none). */
  public static TrialSegment whole(TrialSpec trial, int every) {
    return new TrialSegment(trial, null, 0, trial.maxSteps(), every, null, -1);
  }
}
