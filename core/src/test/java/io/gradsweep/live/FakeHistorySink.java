package io.gradsweep.live;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrialRun;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A sweep's trial runs held in memory, with metric histories, counting what the live poller reads: the read side
 * of {@link TrackingSink} only (writing throws).
 */
class FakeHistorySink implements TrackingSink {
  final SweepRun sweep = new SweepRun("1", "parent", "http://mlflow.example/#/experiments/1/runs/parent");
  final Map<String, RunSnapshot> runs = new LinkedHashMap<>();
  final Map<String, Map<String, List<MetricPoint>>> history = new LinkedHashMap<>();
  /** Each metricHistory call: key, run ids, fromStep. */
  final List<String> calls = new ArrayList<>();
  /** How many points metricHistory returned in all. */
  int pointsReturned;
  /** Whether the snapshots say the step of each latest value (MLflow's runs/search does). */
  boolean withSteps = true;

  void run(String id, String status, Map<String, String> params, Map<String, String> tags,
      Map<String, Double> latest) {
    runs.put(id, new RunSnapshot(id, "1", "trial " + id, status, runs.size(), params, tags, latest));
  }

  void point(String id, String key, long step, double value) {
    history.computeIfAbsent(id, k -> new LinkedHashMap<>()).computeIfAbsent(key, k -> new ArrayList<>())
        .add(new MetricPoint(key, value, step, step));
  }

  /** A full profile row of {@code series} at {@code step}: bucket b gets {@code base * 10^(b - 15)}. */
  void profile(String id, String series, long step, double base) {
    for (int b = 0; b < LiveModel.BUCKETS; b++) {
      point(id, LiveModel.bucketKey(series, b), step, base * Math.pow(10, b - 15));
    }
  }

  @Override
  public Map<String, List<MetricPoint>> metricHistory(List<String> runIds, String key, long fromStep) {
    calls.add(key + " " + runIds + " from " + fromStep);
    Map<String, List<MetricPoint>> out = new LinkedHashMap<>();
    for (String id : runIds) {
      List<MetricPoint> p = history.getOrDefault(id, Map.of()).getOrDefault(key, List.of()).stream()
          .filter(m -> m.step() >= fromStep).toList();
      if (!p.isEmpty()) {
        out.put(id, p);
        pointsReturned += p.size();
      }
    }
    return out;
  }

  /** The runs with, as a backend keeps them, the latest value (largest step) of each metric of their history. */
  @Override
  public List<RunSnapshot> trialRuns(SweepRun s) {
    List<RunSnapshot> out = new ArrayList<>();
    for (RunSnapshot r : runs.values()) {
      Map<String, Double> latest = new LinkedHashMap<>(r.metrics());
      Map<String, Long> steps = new LinkedHashMap<>();
      history.getOrDefault(r.runId(), Map.of()).forEach((key, points) -> points.stream()
          .max(java.util.Comparator.comparingLong(MetricPoint::step)).ifPresent(p -> {
            latest.put(key, p.value());
            steps.put(key, p.step());
          }));
      out.add(new RunSnapshot(r.runId(), r.experimentId(), r.runName(), r.status(), r.startTime(), r.params(),
          r.tags(), latest, withSteps ? steps : Map.of()));
    }
    return out;
  }

  @Override
  public RunSnapshot sweepSnapshot(SweepRun s) {
    return new RunSnapshot("parent", "1", "sweep", "RUNNING", 0, Map.of(), Map.of(), Map.of());
  }

  @Override
  public String name() {
    return "fake";
  }

  @Override
  public void checkReachable() {}

  @Override
  public SweepRun startSweep(String e, String n, Map<String, String> p, Map<String, String> t, byte[] y) {
    throw new UnsupportedOperationException("read-only");
  }

  @Override
  public TrialRun startTrial(SweepRun s, TrialSpec trial) {
    throw new UnsupportedOperationException("read-only");
  }

  @Override
  public void logSweepArtifact(SweepRun s, String path, byte[] content) {
    throw new UnsupportedOperationException("read-only");
  }

  @Override
  public void endSweep(SweepRun s, boolean success) {
    throw new UnsupportedOperationException("read-only");
  }

  @Override
  public Optional<SweepRun> findSweep(String experiment, String sweepName) {
    return Optional.of(sweep);
  }

  @Override
  public void reopenSweep(SweepRun s, Map<String, String> tags) {
    throw new UnsupportedOperationException("read-only");
  }

  @Override
  public void close() {}
}
