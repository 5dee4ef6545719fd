package io.gradsweep.tracking;

import java.util.Map;

/**
 * One trial's run. Metric calls are cheap and do not wait for the backend: values are buffered and sent in
 * batches; {@link #finish} sends what is left and blocks until it is stored.
 *
 * <p>Contract: the run is owned by whoever started it ({@link TrackingSink#startTrial}), who ends it with
 * {@link #finish} (or {@link #close}, which ends it FAILED when it was not finished). Implementations are
 * thread-safe. Logging after {@link #finish}, or after the backend refused a request for good, throws
 * {@link TrackingException}; a backend that is merely unreachable does not make logging throw while a spool holds
 * the records ({@link #undelivered()}).
 */
public interface TrialRun extends AutoCloseable {

  String runId();

  /** Records a step metric. Non-finite values are not sent to the backend as they are (see implementation). */
  void logMetric(String key, double value, long step);

  /** Records several metrics at one step. */
  default void logMetrics(Map<String, Double> values, long step) {
    values.forEach((k, v) -> logMetric(k, v, step));
  }

  void setTag(String key, String value);

  /** Uploads a file to the run's artifacts under {@code path} (relative, '/'-separated). */
  void logArtifact(String path, byte[] content);

  /**
   * Whether the run keeps what {@link #logArtifact} is given: false for a backend that discards it, so that a
   * trainer can skip drawing pictures nobody will see. Default true.
   */
  default boolean keepsArtifacts() {
    return true;
  }

  /**
   * Flushes everything and ends the run: FINISHED when {@code success}, else FAILED; but a trial run whose trial
   * already has a FINISHED run under the same parent run ends KILLED as its duplicate ({@link DuplicateRuns}).
   * Idempotent.
   */
  void finish(boolean success);

  /**
   * Sends everything logged so far, waits until it is stored, and releases the run without ending it: it stays
   * RUNNING for a later segment of the trial ({@link TrackingSink#resumeTrial}), possibly in another process.
   * Nothing can be logged to this object afterwards. By default there is nothing to send.
   *
   * @throws TrackingException when not everything could be stored (the next segment would not find the checkpoint)
   */
  default void suspend() {}

  /**
   * After {@link #finish}: what could not be sent because the backend stayed unreachable (it waits in a spool for
   * {@code gradsweep replay}), or null when everything was delivered or the backend has no spool.
   */
  default SpoolBacklog undelivered() {
    return null;
  }

  /** Ends the run as FAILED if {@link #finish} was not called. */
  @Override
  default void close() {
    finish(false);
  }
}
