package io.gradsweep.train;

import io.gradsweep.spec.TrialSpec;

/**
 * Which part of a trial a {@link TrialRunner} trains: from the start or from a checkpoint, up to a step, taking
 * checkpoints on the way; or, with {@link #endAs}, no step at all: the trial ends at its checkpoint with that status
 * (a trial the scheduler stopped: its pending logging window, final metrics and pictures are written, its run ends).
 *
 * @param resumeFrom the checkpoint to continue from; null to start at step 0
 * @param untilStep the last step of the segment, 1..max_steps (the trial may stop earlier: solved, diverged)
 * @param checkpointEvery a checkpoint every this many steps (0: none) besides the one at a pause
 * @param endAs null to train; else the status to end the trial with at {@code resumeFrom}, e.g.
 *     {@link TrialStatus#STOPPED_BY_SCHEDULER}
 * @param rung the scheduler's rung the segment completes when it reaches {@code untilStep} (logged: metric
 *     {@code asha/rung} at that step and tag {@code gradsweep.asha.rung}); -1 for none
 */
public record Segment(TrialCheckpoint resumeFrom, int untilStep, int checkpointEvery, TrialStatus endAs, int rung) {

  /** A segment outside any scheduler's rungs. */
  public Segment(TrialCheckpoint resumeFrom, int untilStep, int checkpointEvery, TrialStatus endAs) {
    this(resumeFrom, untilStep, checkpointEvery, endAs, -1);
  }

  public Segment {
    if (untilStep < 1) {
      throw new IllegalArgumentException("segment: untilStep must be >= 1, got " + untilStep);
    }
    if (checkpointEvery < 0) {
      throw new IllegalArgumentException("segment: checkpointEvery must be >= 0, got " + checkpointEvery);
    }
    if (resumeFrom != null && untilStep < resumeFrom.step()) {
      throw new IllegalArgumentException("segment: untilStep " + untilStep + " is before the checkpoint's step "
          + resumeFrom.step());
    }
    if (endAs != null && (resumeFrom == null || untilStep != resumeFrom.step())) {
      throw new IllegalArgumentException("segment: ending a trial as " + endAs + " needs its checkpoint, and no steps");
    }
  }

  /** The whole trial from step 0, without checkpoints. */
  public static Segment whole(TrialSpec spec) {
    return new Segment(null, spec.maxSteps(), 0, null);
  }

  /** The whole trial from step 0 (or from {@code from}), with a checkpoint every {@code every} steps (0: none). */
  public static Segment toEnd(TrialSpec spec, TrialCheckpoint from, int every) {
    return new Segment(from, spec.maxSteps(), every, null);
  }

  /** Checks the segment lies within the trial's budget. */
  void checkFits(TrialSpec spec) {
    if (untilStep > spec.maxSteps()) {
      throw new IllegalArgumentException("segment: untilStep " + untilStep + " is beyond the trial's max_steps "
          + spec.maxSteps());
    }
  }
}
