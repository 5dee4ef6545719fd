package io.gradsweep.sweep;

import io.gradsweep.train.TrialResult;
import java.util.Objects;

/**
 * The result of one trial: from the trial runner, or a FAILED stand-in with {@code executorError} set when the
 * executor could not run the trial (e.g. its Spark task failed for good).
 *
 * @param result the trial's result; never null
 * @param executorError why the executor could not run the trial, or null when it ran
 */
public record TrialOutcome(TrialResult result, String executorError) {

  public TrialOutcome {
    Objects.requireNonNull(result, "result");
  }

  /** True when the executor could not run the trial. */
  public boolean executorFailed() {
    return executorError != null;
  }
}
