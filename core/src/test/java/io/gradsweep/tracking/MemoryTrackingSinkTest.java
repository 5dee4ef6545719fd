package io.gradsweep.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemoryTrackingSinkTest extends TrackingSinkContract {

  @Override
  protected TrackingSink openSink() {
    return new MemoryTrackingSink();
  }

  private static MemoryRun run(String runId) {
    return MemoryTrackingSink.run(runId).orElseThrow(() -> new AssertionError("no run " + runId));
  }

  @Override
  protected StoredRun readRun(String runId) {
    MemoryRun r = run(runId);
    return new StoredRun(r.runName(), r.status(), r.params(), r.tags());
  }

  @Override
  protected List<String> childRunIds(String parentRunId) {
    return MemoryTrackingSink.childrenOf(parentRunId).stream().map(MemoryRun::runId).toList();
  }

  @Override
  protected List<MetricPoint> metricHistory(String runId, String key) {
    return run(runId).metricHistory(key);
  }

  @Override
  protected byte[] readArtifact(String runId, String path) {
    return run(runId).artifact(path).orElseThrow(() -> new AssertionError("no artifact " + path));
  }

  @Override
  protected List<String> artifactPaths(String runId) {
    return run(runId).artifactPaths();
  }

  @Test
  void registryIsSharedBetweenSinkInstances() {
    String experiment = uniqueExperiment("memory-shared");
    SweepRun sweep;
    try (TrackingSink driver = new MemoryTrackingSink()) {
      sweep = driver.startSweep(experiment, "s", Map.of(), Map.of(), null);
    }
    String childId;
    try (TrackingSink executor = TrackingSinks.open(new TrackingTarget("memory", null))) {
      TrialRun r = executor.startTrial(sweep, trial(experiment, "s", 0.1, 1));
      childId = r.runId();
      r.finish(true);
    }
    assertEquals(List.of(childId), childRunIds(sweep.runId()));
    assertEquals(experiment, run(childId).experimentName());
    assertTrue(MemoryTrackingSink.runsOfExperiment(experiment).size() == 2);
  }

  @Test
  void paramsCannotChange() {
    MemoryRun r = new MemoryRun("r", "1", "e", "n", 0);
    r.putParam("a", "1");
    r.putParam("a", "1");
    assertThrows(TrackingException.class, () -> r.putParam("a", "2"));
  }
}
