package io.gradsweep.train;

import io.gradsweep.tracking.TrialRun;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A TrialRun that keeps everything in memory, for runner tests. */
final class RecordingTrialRun implements TrialRun {
  record Point(double value, long step) {}

  final Map<String, List<Point>> metrics = new LinkedHashMap<>();
  final Map<String, String> tags = new LinkedHashMap<>();
  Boolean finished;

  @Override
  public String runId() {
    return "test-run";
  }

  @Override
  public void logMetric(String key, double value, long step) {
    metrics.computeIfAbsent(key, k -> new ArrayList<>()).add(new Point(value, step));
  }

  @Override
  public void setTag(String key, String value) {
    tags.put(key, value);
  }

  final List<String> artifacts = new ArrayList<>();
  /** The latest content of each artifact path. */
  final Map<String, byte[]> contents = new LinkedHashMap<>();
  /** What {@link #keepsArtifacts()} answers. */
  boolean keeps = true;

  @Override
  public void logArtifact(String path, byte[] content) {
    artifacts.add(path);
    contents.put(path, content.clone());
  }

  @Override
  public boolean keepsArtifacts() {
    return keeps;
  }

  @Override
  public void finish(boolean success) {
    if (finished == null) {
      finished = success;
    }
  }

  List<Double> values(String key) {
    return metrics.getOrDefault(key, List.of()).stream().map(Point::value).toList();
  }
}
