package io.gradsweep.tracking;

import io.gradsweep.spec.TrialSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a sweep's results go: one sweep run (the parent) holding one trial run (a child) per trial.
 *
 * <p>Call order: the driver calls {@link #startSweep}, hands the returned {@link SweepRun} (serializable) to the
 * executors, each executor opens its own sink from the same {@link TrackingTarget} and calls {@link #startTrial}
 * for each trial it runs; the driver finally calls {@link #endSweep}. A sink instance is used by one thread at a
 * time; the {@link TrialRun}s it returns may buffer and send from a background thread of their own.
 *
 * <p>Errors talking to the backend surface as {@link TrackingException} with a message that names the backend
 * address and what failed.
 *
 * <p>Sinks are opened by name through {@link TrackingSinks} (the registry of {@link TrackingBackend}s); whoever
 * opens a sink owns it and closes it. The metric keys, tag keys and artifact names a sweep writes are those of
 * {@link Names}.
 */
public interface TrackingSink extends AutoCloseable {

  /** The word used for this backend on the command line, e.g. {@code mlflow}. */
  String name();

  /** Checks that the backend answers; throws {@link TrackingException} with a clear message if it does not. */
  void checkReachable();

  /**
   * Creates (or gets) the experiment and starts the parent run of a sweep.
   *
   * @param params sweep-level parameters (logged as params)
   * @param tags tags of the parent run
   * @param specYaml the sweep spec as written by the user, stored as artifact {@code sweep.yaml}
   */
  SweepRun startSweep(String experiment, String sweepName, Map<String, String> params, Map<String, String> tags,
      byte[] specYaml);

  /** Starts a child run of {@code sweep} for one trial, with the trial's params and id tag already logged. */
  TrialRun startTrial(SweepRun sweep, TrialSpec trial);

  /**
   * Opens the child run {@code runId} of {@code trial} again (status RUNNING) to continue the trial in it: the next
   * segment of a scheduled trial, or a cut-off trial resumed from its checkpoint. Logging goes on where the run
   * stopped; its params stay. Backends that cannot reopen runs throw.
   *
   * @throws TrackingException if the run is not a run of this trial under {@code sweep}, or cannot be reopened
   */
  default TrialRun resumeTrial(SweepRun sweep, TrialSpec trial, String runId) {
    throw new TrackingException("tracking backend '" + name() + "' cannot reopen trial runs (needed to resume a "
        + "trial from its checkpoint)");
  }

  /**
   * An artifact of a trial's child run, e.g. its checkpoint; empty when the run has no such artifact or the backend
   * cannot read artifacts back (the default).
   */
  default Optional<byte[]> readTrialArtifact(String runId, String path) {
    return Optional.empty();
  }

  /**
   * Whether {@link #resumeTrial} and {@link #readTrialArtifact} work: a trial can continue from a checkpoint in
   * another task or process. False by default.
   */
  default boolean keepsCheckpoints() {
    return false;
  }

  /** Attaches a file to the sweep's parent run. */
  void logSweepArtifact(SweepRun sweep, String path, byte[] content);

  /**
   * Ends the parent run: FINISHED when {@code success}, else FAILED. First, every trial run of the sweep still
   * RUNNING (an attempt whose task was cut off: an executor lost, the sweep interrupted) is ended FAILED with tag
   * {@link Names.Tag#SUPERSEDED} {@code true}, so no run is left RUNNING. Call it after the trials are done.
   */
  void endSweep(SweepRun sweep, boolean success);

  /**
   * The most recent parent run of the sweep called {@code sweepName} in {@code experiment}, if any (the
   * experiment need not exist). Used to resume a sweep and to report on it.
   */
  Optional<SweepRun> findSweep(String experiment, String sweepName);

  /** The parent run of a sweep, read back (params, tags, status). */
  RunSnapshot sweepSnapshot(SweepRun sweep);

  /** Every trial run under the sweep's parent run (all attempts, any status), oldest first. */
  List<RunSnapshot> trialRuns(SweepRun sweep);

  /**
   * The runs of one trial under the sweep's parent run (all attempts, any status), oldest first: what a retried
   * attempt looks at before it starts a run of its own. By default {@link #trialRuns(SweepRun)} filtered by tag
   * {@link Names.Tag#TRIAL_ID}.
   */
  default List<RunSnapshot> trialRuns(SweepRun sweep, String trialId) {
    return trialRuns(sweep).stream().filter(r -> r.trialId().filter(trialId::equals).isPresent()).toList();
  }

  /**
   * Ends a trial run of {@code sweep} that the caller did not start (an earlier attempt's): sets {@code tags}, then
   * the status, {@code FAILED} (with {@link Names.Tag#SUPERSEDED}: an attempt that was cut off) or
   * {@value DuplicateRuns#KILLED} (with {@link Names.Tag#DUPLICATE_OF}: see {@link DuplicateRuns}). Backends that
   * store no runs have none to end; by default this throws.
   *
   * @throws TrackingException if the run cannot be ended
   */
  default void endTrialRun(SweepRun sweep, String runId, String status, Map<String, String> tags) {
    throw new TrackingException("tracking backend '" + name() + "' cannot end run " + runId);
  }

  /**
   * An artifact of the sweep's parent run, e.g. {@code sweep.yaml} (the spec as the sweep ran it); empty when the
   * run has no such artifact or the backend cannot read artifacts back.
   */
  default Optional<byte[]> readSweepArtifact(SweepRun sweep, String path) {
    return Optional.empty();
  }

  /**
   * The stored points of the step metric {@code key} of each of {@code runIds} from step {@code fromStep} on,
   * ordered by step within a run: what the live view ({@code io.gradsweep.live}) reads to add only new points.
   * Read-only. Backends that cannot read metric history back return an empty map (the default).
   *
   * @return run id to its points (runs without such points may be missing)
   */
  default Map<String, List<MetricPoint>> metricHistory(List<String> runIds, String key, long fromStep) {
    return Map.of();
  }

  /**
   * Opens a parent run again (status RUNNING) to resume its sweep, and sets {@code tags} on it. Trial runs already
   * there are kept; those still RUNNING (cut off when the sweep's earlier driver died) are first ended FAILED with
   * tag {@link Names.Tag#SUPERSEDED}, as {@link #endSweep} does.
   */
  void reopenSweep(SweepRun sweep, Map<String, String> tags);

  /**
   * A param value as this backend stores it (e.g. shortened to the server's length limit), so that a value read
   * back can be compared with one about to be logged. The value itself by default.
   */
  default String storedParamValue(String value) {
    return value;
  }

  /**
   * Whether this sink keeps on disk what it cannot send ({@link #spoolSweepEnd} writes something). False by default:
   * sinks without a spool.
   */
  default boolean hasSpool() {
    return false;
  }

  /**
   * For when the backend is gone at the end of a sweep: writes the parent run's remaining artifacts and its end
   * (FINISHED when {@code success}, else FAILED) to this sink's spool, for {@code gradsweep replay}; nothing is sent.
   * Sinks without a spool ({@link #hasSpool()} false) write nothing and return empty.
   *
   * @param artifacts path to content, uploaded in this order before the end
   * @return where the records wait
   * @throws TrackingException if the spool cannot be written
   */
  default Optional<SpoolBacklog> spoolSweepEnd(SweepRun sweep, boolean success, Map<String, byte[]> artifacts) {
    return Optional.empty();
  }

  @Override
  void close();
}
