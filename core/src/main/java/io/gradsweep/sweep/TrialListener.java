package io.gradsweep.sweep;

import io.gradsweep.train.TrialResult;

/**
 * Told by a {@link TrialExecutor} how its trials progress; called from the executor's threads, possibly at once,
 * so implementations must be thread-safe. Indexes are 0-based positions in the {@link TrialBatch}.
 */
public interface TrialListener {

  /** An attempt of trial {@code index} started running (there may be retries). */
  default void attemptStarted(int index) {}

  /** An attempt of trial {@code index} ended without a result (the executor may try again). */
  default void attemptFailed(int index) {}

  /** Trial {@code index} has its final result; called once per trial. */
  void trialFinished(int index, TrialResult result);
}
