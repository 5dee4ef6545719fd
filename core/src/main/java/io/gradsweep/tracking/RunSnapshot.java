package io.gradsweep.tracking;

import java.util.Map;
import java.util.Optional;

/**
 * A run as the tracking backend stores it, read back: what resuming a sweep and reporting on it need.
 *
 * @param runId backend run id
 * @param experimentId backend experiment id
 * @param runName display name
 * @param status RUNNING, FINISHED, FAILED or KILLED
 * @param startTime start time, epoch milliseconds
 * @param params params as stored (keys after MLflow's naming rules)
 * @param tags tags as stored
 * @param metrics the latest value of each metric
 * @param metricSteps the step of each metric's latest value, where the backend says it (empty when it does not): two
 *     points of a series can have equal values, so only the step tells that a new one arrived
 */
public record RunSnapshot(String runId, String experimentId, String runName, String status, long startTime,
    Map<String, String> params, Map<String, String> tags, Map<String, Double> metrics, Map<String, Long> metricSteps) {

  public static final String RUNNING = "RUNNING";
  public static final String FINISHED = "FINISHED";
  public static final String FAILED = "FAILED";

  public RunSnapshot {
    params = Map.copyOf(params);
    tags = Map.copyOf(tags);
    metrics = Map.copyOf(metrics);
    metricSteps = metricSteps == null ? Map.of() : Map.copyOf(metricSteps);
  }

  /** A snapshot without the steps of the latest values. */
  public RunSnapshot(String runId, String experimentId, String runName, String status, long startTime,
      Map<String, String> params, Map<String, String> tags, Map<String, Double> metrics) {
    this(runId, experimentId, runName, status, startTime, params, tags, metrics, Map.of());
  }

  /** The trial id tag ({@link Names.Tag#TRIAL_ID}) of a trial run. */
  public Optional<String> trialId() {
    return Optional.ofNullable(tags.get(Names.Tag.TRIAL_ID));
  }

  /** True when the run ended FINISHED. */
  public boolean finished() {
    return FINISHED.equals(status);
  }
}
