package io.gradsweep.spec;

/**
 * How a sweep's trials are scheduled beyond "each trial runs to its end": checkpoints ({@code
 * training.checkpoint_every}) and a scheduler ({@code search.scheduler}).
 *
 * @param checkpointEvery a checkpoint every this many steps, to resume a cut-off trial from (0: none)
 * @param asha the ASHA scheduler, or null for none
 */
public record Scheduling(int checkpointEvery, AshaSpec asha) {
  /** No checkpoints, no scheduler. */
  public static final Scheduling NONE = new Scheduling(0, null);

  public Scheduling {
    if (checkpointEvery < 0) {
      throw new IllegalArgumentException("checkpoint_every must be >= 0, got " + checkpointEvery);
    }
  }
}
