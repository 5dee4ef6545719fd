package io.gradsweep.tracking;

import io.gradsweep.tracking.mlflow.MlflowKeys;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A run kept by {@link MemoryTrackingSink}: what an MLflow server would store, readable by tests. Keys and values
 * are already mapped by {@link MlflowKeys}. Thread-safe; accessors return copies.
 */
public final class MemoryRun {
  /** Status names as MLflow uses them. */
  public static final String RUNNING = "RUNNING";
  public static final String FINISHED = "FINISHED";
  public static final String FAILED = "FAILED";
  public static final String KILLED = DuplicateRuns.KILLED;

  private final String runId;
  private final String experimentId;
  private final String experimentName;
  private final String runName;
  private final long startTime;
  private final Map<String, String> params = new LinkedHashMap<>();
  private final Map<String, String> tags = new LinkedHashMap<>();
  private final Map<String, List<MetricPoint>> metrics = new LinkedHashMap<>();
  private final Map<String, byte[]> artifacts = new LinkedHashMap<>();
  private String status = RUNNING;
  private long endTime = -1;

  MemoryRun(String runId, String experimentId, String experimentName, String runName, long startTime) {
    this.runId = runId;
    this.experimentId = experimentId;
    this.experimentName = experimentName;
    this.runName = runName;
    this.startTime = startTime;
    tags.put(Names.Tag.RUN_NAME, runName);
  }

  public String runId() {
    return runId;
  }

  public String experimentId() {
    return experimentId;
  }

  public String experimentName() {
    return experimentName;
  }

  public String runName() {
    return runName;
  }

  public long startTime() {
    return startTime;
  }

  /** The parent's run id (tag {@value Names.Tag#PARENT_RUN_ID}), if this is a child run. */
  public synchronized Optional<String> parentRunId() {
    return Optional.ofNullable(tags.get(Names.Tag.PARENT_RUN_ID));
  }

  /** {@link #RUNNING}, {@link #FINISHED}, {@link #FAILED} or {@link #KILLED}. */
  public synchronized String status() {
    return status;
  }

  /** End time in ms, or -1 while running. */
  public synchronized long endTime() {
    return endTime;
  }

  public synchronized Map<String, String> params() {
    return new LinkedHashMap<>(params);
  }

  public synchronized Map<String, String> tags() {
    return new LinkedHashMap<>(tags);
  }

  public synchronized List<String> metricKeys() {
    return new ArrayList<>(metrics.keySet());
  }

  /** All points of {@code key} in the order they were logged (empty if none). */
  public synchronized List<MetricPoint> metricHistory(String key) {
    return new ArrayList<>(metrics.getOrDefault(key, List.of()));
  }

  /** Artifact paths, in upload order. */
  public synchronized List<String> artifactPaths() {
    return new ArrayList<>(artifacts.keySet());
  }

  /** A copy of the artifact's bytes, if present. */
  public synchronized Optional<byte[]> artifact(String path) {
    byte[] b = artifacts.get(path);
    return b == null ? Optional.empty() : Optional.of(b.clone());
  }

  synchronized void putParam(String key, String value) {
    String old = params.putIfAbsent(key, value);
    if (old != null && !old.equals(value)) {
      // As MLflow: params cannot be changed once logged.
      throw new TrackingException("memory run " + runId + ": param '" + key + "' is already '" + old
          + "'; changing it to '" + value + "' is not allowed");
    }
  }

  synchronized void putTag(String key, String value) {
    tags.put(key, value);
  }

  synchronized void addMetric(MetricPoint p) {
    checkActive();
    metrics.computeIfAbsent(p.key(), k -> new ArrayList<>()).add(p);
  }

  synchronized void putArtifact(String path, byte[] content) {
    artifacts.put(path, content.clone());
  }

  synchronized void end(String newStatus, long time) {
    status = newStatus;
    endTime = time;
  }

  synchronized void checkActive() {
    if (!RUNNING.equals(status)) {
      throw new TrackingException("memory run " + runId + " is " + status + "; nothing more can be logged to it");
    }
  }

  @Override
  public synchronized String toString() {
    return "MemoryRun[" + runId + " '" + runName + "' " + status + "]";
  }
}
