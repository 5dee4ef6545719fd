package io.gradsweep.tracking;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.mlflow.KeyMapper;
import io.gradsweep.tracking.mlflow.MlflowKeys;
import io.gradsweep.spec.ClipMode;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TrackingSink} must do, checked by reading back what the backend stored. A backend's test
 * extends this class and provides the sink and the read-back hooks; the assertions are about properties (every
 * point there, once, in order; exact bytes; exact children), not about a backend's internals.
 */
public abstract class TrackingSinkContract {

  /** What a backend stored for one run. */
  public record StoredRun(String runName, String status, Map<String, String> params, Map<String, String> tags) {}

  /** A new sink for the backend under test (closed by the test). */
  protected abstract TrackingSink openSink();

  protected abstract StoredRun readRun(String runId);

  /** Ids of the runs whose parent is {@code parentRunId}. */
  protected abstract List<String> childRunIds(String parentRunId);

  /** Every stored point of {@code key}, in the backend's order. */
  protected abstract List<MetricPoint> metricHistory(String runId, String key);

  protected abstract byte[] readArtifact(String runId, String path);

  /** Paths of all artifact files of the run. */
  protected abstract List<String> artifactPaths(String runId);

  // ---------------------------------------------------------------- fixtures

  protected static String uniqueExperiment(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  protected static TrialSpec trial(String experiment, String sweep, double lr, long seed) {
    return new TrialSpec(experiment, sweep, "adding", 64, 7L, 50, "rnn", "tanh",
        new ClipSpec(ClipMode.GLOBAL_NORM, 1.0), 0, "adam", lr, 32, 1, "default", seed, 16, 100, 10, 0.05);
  }

  private static byte[] allByteValues(int repeat) {
    byte[] b = new byte[256 * repeat];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) i;
    }
    Random r = new Random(42);
    byte[] tail = new byte[1000];
    r.nextBytes(tail);
    byte[] out = new byte[b.length + tail.length];
    System.arraycopy(b, 0, out, 0, b.length);
    System.arraycopy(tail, 0, out, b.length, tail.length);
    return out;
  }

  private static double lossAt(long step) {
    return 1.0 / (1.0 + step) + step * 1e-9;
  }

  // ---------------------------------------------------------------- the contract

  /**
   * A trial run suspended after a checkpoint stays RUNNING; another sink (another task) reopens it, reads the
   * checkpoint back and goes on logging into the same run; a run of another trial is never reopened for it.
   */
  @Test
  void aSuspendedTrialRunIsContinuedByAnotherSinkWithItsArtifact() {
    String experiment = uniqueExperiment("contract-resume");
    TrialSpec a = trial(experiment, "s", 0.1, 1);
    TrialSpec b = trial(experiment, "s", 0.01, 1);
    byte[] checkpoint = allByteValues(5);
    SweepRun sweep;
    String runId;
    String otherId;
    try (TrackingSink sink = openSink()) {
      if (!sink.keepsCheckpoints()) {
        assertThrows(TrackingException.class, () -> sink.resumeTrial(new SweepRun("1", "p", null), a, "r"));
        return;
      }
      sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null);
      TrialRun run = sink.startTrial(sweep, a);
      runId = run.runId();
      run.logMetric("train/loss", 0.5, 10);
      run.logArtifact("checkpoint/trial.ckpt", checkpoint);
      run.setTag(Names.Tag.CHECKPOINT_STEP, "10");
      run.suspend();
      assertThrows(TrackingException.class, () -> run.logMetric("train/loss", 0.4, 11), "suspended: no more logging");
      TrialRun other = sink.startTrial(sweep, b);
      otherId = other.runId();
      other.finish(true);
    }
    assertEquals("RUNNING", readRun(runId).status(), "suspended, not ended (also not by closing its sink)");
    try (TrackingSink sink = openSink()) {
      assertArrayEquals(checkpoint, sink.readTrialArtifact(runId, "checkpoint/trial.ckpt").orElseThrow());
      assertTrue(sink.readTrialArtifact(runId, "no/such.file").isEmpty());
      assertThrows(TrackingException.class, () -> sink.resumeTrial(sweep, a, otherId), "a run of trial b");
      TrialRun run = sink.resumeTrial(sweep, a, runId);
      assertEquals(runId, run.runId());
      run.logMetric("train/loss", 0.4, 11);
      run.finish(true);
    }
    assertEquals("FINISHED", readRun(runId).status());
    assertEquals(List.of(10L, 11L), metricHistory(runId, "train/loss").stream().map(MetricPoint::step).toList());
    assertEquals("10", readRun(runId).tags().get(Names.Tag.CHECKPOINT_STEP));
    assertEquals(List.of(runId, otherId).stream().sorted().toList(),
        childRunIds(sweep.runId()).stream().sorted().toList(), "no new run");
  }

  @Test
  void sweepWithTwoTrialsIsStoredCompletely() {
    String experiment = uniqueExperiment("contract");
    String sweepName = "lr-sweep";
    byte[] yaml = "name: lr-sweep\ngrid:\n  lr: [0.1, 0.01]\n# ünïcode\n".getBytes(StandardCharsets.UTF_8);
    String longValue = "x".repeat(7000);
    Map<String, String> sweepParams = new LinkedHashMap<>();
    sweepParams.put("grid.lr", "[0.1, 0.01]");
    sweepParams.put("notes", longValue);
    for (int i = 0; i < 150; i++) { // more than 100: needs two requests
      sweepParams.put("p" + i, Integer.toString(i));
    }
    TrialSpec a = trial(experiment, sweepName, 0.1, 1);
    TrialSpec b = trial(experiment, sweepName, 0.01, 1);
    byte[] plot = allByteValues(3);
    byte[] summary = "trial,loss\na,0.1\n".getBytes(StandardCharsets.UTF_8);

    SweepRun sweep;
    String runA;
    String runB;
    try (TrackingSink sink = openSink()) {
      sink.checkReachable();
      sweep = sink.startSweep(experiment, sweepName, sweepParams, Map.of("owner", "ci", "git.sha", "abc123"),
          yaml);
      assertNotNull(sweep.runId());

      TrialRun ra = sink.startTrial(sweep, a);
      runA = ra.runId();
      for (long step = 0; step < 2500; step++) {
        ra.logMetric("train/loss", lossAt(step), step);
        if (step % 10 == 0) {
          ra.logMetrics(Map.of("grad/norm/layer0", step * 0.5, "grad/norm/layer1", step * 0.25), step);
        }
        if (step % 100 == 0) {
          ra.logMetric("eval_loss", 2.0 - step / 2500.0, step);
        }
      }
      ra.logMetric("train/loss", Double.NaN, 2500);
      ra.logMetric("grad/norm/layer0", Double.POSITIVE_INFINITY, 2500);
      ra.setTag("outcome", "solved");
      assertTrue(ra.keepsArtifacts(), "a backend that stores runs keeps their artifacts");
      ra.logArtifact("plots/curve.bin", plot);
      ra.finish(true);

      TrialRun rb = sink.startTrial(sweep, b);
      runB = rb.runId();
      for (long step = 0; step < 20; step++) {
        rb.logMetric("train/loss", lossAt(step) * 2, step);
      }
      rb.finish(false);

      sink.logSweepArtifact(sweep, "summary.csv", summary);
      sink.endSweep(sweep, true);
    }

    // Parent run.
    StoredRun parent = readRun(sweep.runId());
    assertEquals(sweepName, parent.runName());
    assertEquals("FINISHED", parent.status());
    assertEquals("[0.1, 0.01]", parent.params().get("grid.lr"));
    assertEquals("149", parent.params().get("p149"));
    String notes = parent.params().get("notes");
    assertEquals(MlflowKeys.MAX_PARAM_VALUE_LENGTH, notes.length());
    assertTrue(notes.endsWith("...[truncated, 7000 chars]"), notes.substring(notes.length() - 40));
    assertEquals("ci", parent.tags().get("owner"));
    assertEquals("abc123", parent.tags().get("git.sha"));
    assertArrayEquals(yaml, readArtifact(sweep.runId(), "sweep.yaml"));
    assertArrayEquals(summary, readArtifact(sweep.runId(), "summary.csv"));

    // Exactly the two children.
    assertEquals(Set.of(runA, runB), new HashSet<>(childRunIds(sweep.runId())));
    assertEquals(2, childRunIds(sweep.runId()).size());

    // Trial A.
    StoredRun sa = readRun(runA);
    assertEquals(a.displayName(), sa.runName());
    assertEquals("FINISHED", sa.status());
    assertEquals(a.params(), subMap(sa.params(), a.params().keySet()));
    assertEquals(a.params().size(), sa.params().size(), "exactly the trial's params: " + sa.params());
    assertEquals(a.id(), sa.tags().get(Names.Tag.TRIAL_ID));
    assertEquals(sweepName, sa.tags().get(Names.Tag.SWEEP));
    assertEquals(sweep.runId(), sa.tags().get(Names.Tag.PARENT_RUN_ID));
    assertEquals("solved", sa.tags().get("outcome"));
    assertEquals("2", sa.tags().get(Names.Tag.NONFINITE_COUNT));
    assertEquals("grad/norm/layer0 step=2500 value=Infinity", sa.tags().get(Names.Tag.NONFINITE_LAST));

    List<MetricPoint> loss = metricHistory(runA, "train/loss");
    assertCompleteSeries(loss, "train/loss", 2500, 1, TrackingSinkContract::lossAt);
    assertCompleteSeries(metricHistory(runA, "grad/norm/layer0"), "grad/norm/layer0", 250, 10, s -> s * 0.5);
    assertCompleteSeries(metricHistory(runA, "grad/norm/layer1"), "grad/norm/layer1", 250, 10, s -> s * 0.25);
    assertCompleteSeries(metricHistory(runA, "eval_loss"), "eval_loss", 25, 100, s -> 2.0 - s / 2500.0);
    assertArrayEquals(plot, readArtifact(runA, "plots/curve.bin"));
    assertEquals(List.of("plots/curve.bin"), artifactPaths(runA));

    // Trial B.
    StoredRun sb = readRun(runB);
    assertEquals("FAILED", sb.status());
    assertEquals(b.id(), sb.tags().get(Names.Tag.TRIAL_ID));
    assertNotEquals(a.id(), b.id());
    assertCompleteSeries(metricHistory(runB, "train/loss"), "train/loss", 20, 1, s -> lossAt(s) * 2);
  }

  private static Map<String, String> subMap(Map<String, String> m, Set<String> keys) {
    Map<String, String> out = new LinkedHashMap<>();
    keys.forEach(k -> out.put(k, m.get(k)));
    return out;
  }

  /** n points at steps 0, every, 2*every, ... with the expected values, in order, once each. */
  private static void assertCompleteSeries(List<MetricPoint> points, String key, int n, long every,
      java.util.function.LongToDoubleFunction value) {
    assertEquals(n, points.size(), key + ": number of points");
    long lastTs = Long.MIN_VALUE;
    for (int i = 0; i < n; i++) {
      MetricPoint p = points.get(i);
      assertEquals(key, p.key());
      assertEquals(i * every, p.step(), key + ": step of point " + i);
      assertEquals(value.applyAsDouble(p.step()), p.value(), 0.0, key + ": value at step " + p.step());
      assertTrue(p.timestamp() >= lastTs, key + ": timestamps must not decrease");
      assertTrue(p.timestamp() > 1_500_000_000_000L, key + ": timestamp in ms");
      lastTs = p.timestamp();
    }
  }

  @Test
  void finishIsIdempotentAndEndsLogging() {
    String experiment = uniqueExperiment("contract-finish");
    try (TrackingSink sink = openSink()) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null);
      TrialRun run = sink.startTrial(sweep, trial(experiment, "s", 0.1, 2));
      run.logMetric("loss", 1.0, 0);
      run.finish(true);
      run.finish(false); // no effect
      run.close(); // no effect
      assertThrows(TrackingException.class, () -> run.logMetric("loss", 0.5, 1));
      assertThrows(TrackingException.class, () -> run.setTag("k", "v"));
      assertEquals("FINISHED", readRun(run.runId()).status());
      assertEquals(1, metricHistory(run.runId(), "loss").size());
      sink.endSweep(sweep, false);
      assertEquals("FAILED", readRun(sweep.runId()).status());
    }
  }

  @Test
  void endingTheSweepEndsTrialRunsLeftRunningAsFailedAndSuperseded() {
    String experiment = uniqueExperiment("contract-orphan");
    TrackingSink lostExecutor = openSink(); // its task dies: nobody finishes or closes its run
    try (TrackingSink driver = openSink()) {
      SweepRun sweep = driver.startSweep(experiment, "s", Map.of(), Map.of(), null);
      TrialRun cutOff = lostExecutor.startTrial(sweep, trial(experiment, "s", 0.1, 4));
      TrialRun retry = driver.startTrial(sweep, trial(experiment, "s", 0.1, 4));
      retry.logMetric("loss", 0.5, 1);
      retry.finish(true);
      assertEquals("RUNNING", readRun(cutOff.runId()).status());
      driver.endSweep(sweep, true);
      assertEquals("FAILED", readRun(cutOff.runId()).status(), "no run is left RUNNING");
      assertEquals("true", readRun(cutOff.runId()).tags().get(Names.Tag.SUPERSEDED));
      assertEquals("FINISHED", readRun(retry.runId()).status());
      assertEquals(null, readRun(retry.runId()).tags().get(Names.Tag.SUPERSEDED));
      assertEquals("FINISHED", readRun(sweep.runId()).status());
    }
  }

  @Test
  void aSweepCanBeFoundReadBackAndReopened() {
    String experiment = uniqueExperiment("contract-readback");
    try (TrackingSink sink = openSink()) {
      assertTrue(sink.findSweep(experiment, "s").isEmpty(), "no such experiment yet");
      SweepRun older = sink.startSweep(experiment, "s", Map.of("grid.lr", "[0.1]"), Map.of(), null);
      sink.endSweep(older, true);
      SweepRun other = sink.startSweep(experiment, "other", Map.of(), Map.of(), null);
      sink.endSweep(other, true);
      sleepAMillisecond(); // start times order the runs
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of("grid.lr", "[0.1, 0.01]"), Map.of(), null);
      TrialSpec a = trial(experiment, "s", 0.1, 5);
      TrialSpec b = trial(experiment, "s", 0.01, 5);
      TrialRun ra = sink.startTrial(sweep, a);
      ra.logMetric("final/eval_loss", 0.5, 1);
      ra.logMetric("final/eval_loss", 0.25, 2);
      ra.finish(true);
      TrialRun rb = sink.startTrial(sweep, b);
      rb.finish(false);
      sink.endSweep(sweep, false);

      SweepRun found = sink.findSweep(experiment, "s").orElseThrow();
      assertEquals(sweep.runId(), found.runId(), "the most recent parent run of that name, never a child");
      assertEquals(sweep.experimentId(), found.experimentId());
      assertTrue(sink.findSweep(experiment, "missing").isEmpty());
      RunSnapshot parent = sink.sweepSnapshot(found);
      assertEquals("[0.1, 0.01]", parent.params().get("grid.lr"));
      assertEquals("FAILED", parent.status());

      List<RunSnapshot> trials = sink.trialRuns(found);
      assertEquals(2, trials.size());
      RunSnapshot sa = trials.stream().filter(t -> t.runId().equals(ra.runId())).findFirst().orElseThrow();
      RunSnapshot sb = trials.stream().filter(t -> t.runId().equals(rb.runId())).findFirst().orElseThrow();
      assertEquals(a.id(), sa.trialId().orElseThrow());
      assertEquals(b.id(), sb.trialId().orElseThrow());
      assertTrue(sa.finished());
      assertEquals("FAILED", sb.status());
      assertEquals(0.25, sa.metrics().get("final/eval_loss"), 0.0, "the latest value");
      assertEquals(a.params().get("lr"), sa.params().get("lr"));
      assertTrue(sink.trialRuns(older).isEmpty());

      TrialRun cutOff = sink.startTrial(found, trial(experiment, "s", 0.001, 5)); // its driver died
      sink.reopenSweep(found, Map.of("gradsweep.resumed", "1"));
      assertEquals("FAILED", readRun(cutOff.runId()).status());
      assertEquals("true", readRun(cutOff.runId()).tags().get(Names.Tag.SUPERSEDED));
      RunSnapshot reopened = sink.sweepSnapshot(found);
      assertEquals("RUNNING", reopened.status());
      assertEquals("1", reopened.tags().get("gradsweep.resumed"));
      assertEquals(3, sink.trialRuns(found).size(), "trial runs are kept");
      sink.endSweep(found, true);
      assertEquals("FINISHED", sink.sweepSnapshot(found).status());
    }
  }

  private static void sleepAMillisecond() {
    try {
      Thread.sleep(5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void closingTheSinkEndsUnfinishedRunsAsFailed() {
    String experiment = uniqueExperiment("contract-close");
    String runId;
    try (TrackingSink sink = openSink()) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null);
      TrialRun run = sink.startTrial(sweep, trial(experiment, "s", 0.1, 3));
      runId = run.runId();
      for (int i = 0; i < 10; i++) {
        run.logMetric("loss", i, i);
      }
    }
    assertEquals("FAILED", readRun(runId).status());
    assertEquals(10, metricHistory(runId, "loss").size());
  }

  @Test
  void keysAreMappedToMlflowRules() {
    String experiment = uniqueExperiment("contract-keys");
    String runId;
    try (TrackingSink sink = openSink()) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of("bad key:1", "v"), Map.of(), null);
      assertEquals("v", readRun(sweep.runId()).params().get("bad key_1"));
      try (TrialRun run = sink.startTrial(sweep, trial(experiment, "s", 0.1, 4))) {
        runId = run.runId();
        run.logMetric("acc@top1", 0.5, 0);
        run.logMetric("//grad//norm/", 1.5, 0);
        run.logMetric("a:b", 1.0, 0); // claims a_b
        run.logMetric("a_b", 2.0, 0); // a different key: must not be merged into a:b's series
        run.logMetric("k".repeat(300), 3.0, 0);
        run.setTag("tag:x", "y");
        run.finish(true);
      }
      sink.endSweep(sweep, true);
    }
    assertEquals(0.5, metricHistory(runId, "acc_top1").get(0).value());
    assertEquals(1.5, metricHistory(runId, "grad/norm").get(0).value());
    KeyMapper m = new KeyMapper();
    assertEquals("a_b", m.map("a:b"));
    String other = m.map("a_b");
    assertEquals(List.of(1.0), metricHistory(runId, "a_b").stream().map(MetricPoint::value).toList());
    assertEquals(List.of(2.0), metricHistory(runId, other).stream().map(MetricPoint::value).toList());
    String longKey = MlflowKeys.sanitizeKey("k".repeat(300));
    assertEquals(MlflowKeys.MAX_KEY_LENGTH, longKey.length());
    assertEquals(3.0, metricHistory(runId, longKey).get(0).value());
    assertEquals("y", readRun(runId).tags().get("tag_x"));
  }

  @Test
  void concurrentSweepsGetOrCreateTheSameExperiment() throws Exception {
    String experiment = uniqueExperiment("contract-race");
    int n = 4;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<SweepRun>> futures = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        futures.add(pool.submit(() -> {
          try (TrackingSink sink = openSink()) {
            go.await();
            SweepRun s = sink.startSweep(experiment, "s" + k, Map.of(), Map.of(), null);
            sink.endSweep(s, true);
            return s;
          }
        }));
      }
      go.countDown();
      Set<String> experimentIds = new HashSet<>();
      Set<String> runIds = new HashSet<>();
      for (Future<SweepRun> f : futures) {
        SweepRun s = f.get(120, TimeUnit.SECONDS);
        experimentIds.add(s.experimentId());
        runIds.add(s.runId());
      }
      assertEquals(1, experimentIds.size(), "one experiment: " + experimentIds);
      assertEquals(n, runIds.size());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void sweepArtifactsCanBeReadBack() {
    String experiment = uniqueExperiment("contract-artifacts");
    try (TrackingSink sink = openSink()) {
      byte[] yaml = "name: s\n".getBytes(StandardCharsets.UTF_8);
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), yaml);
      sink.logSweepArtifact(sweep, "report/report.md", "# r\n".getBytes(StandardCharsets.UTF_8));
      sink.endSweep(sweep, true);
      assertArrayEquals(yaml, sink.readSweepArtifact(sweep, "sweep.yaml").orElseThrow());
      assertArrayEquals("# r\n".getBytes(StandardCharsets.UTF_8),
          sink.readSweepArtifact(sweep, "report/report.md").orElseThrow());
      assertTrue(sink.readSweepArtifact(sweep, "missing.txt").isEmpty());
    }
  }
}
