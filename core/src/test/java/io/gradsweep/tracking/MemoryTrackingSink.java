package io.gradsweep.tracking;

import io.gradsweep.tracking.mlflow.KeyMapper;
import io.gradsweep.tracking.mlflow.MlflowKeys;
import io.gradsweep.tracking.mlflow.MlflowTrackingSink;
import io.gradsweep.tracking.mlflow.MlflowTrialRun;
import io.gradsweep.spec.TrialSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tracking into memory, for tests. Every instance in a JVM shares one registry keyed by run id, so runs started by
 * Spark {@code local[*]} tasks (each opening its own sink from the same {@link TrackingTarget}) can be inspected
 * afterwards through the static accessors.
 *
 * <p>It applies the same rules as {@link MlflowTrackingSink}, so a test against memory predicts what MLflow stores:
 * keys mapped by {@link MlflowKeys} (one {@link KeyMapper} per run and namespace), values cut to the same limits,
 * non-finite metric values not stored but counted in tags {@value Names.Tag#NONFINITE_COUNT} and
 * {@value Names.Tag#NONFINITE_LAST}, params not changeable, nothing loggable after a run ended. Unlike the MLflow
 * sink, values are stored synchronously.
 */
public final class MemoryTrackingSink implements TrackingSink {
  public static final String NAME = "memory";

  private static final Map<String, MemoryRun> RUNS = new ConcurrentHashMap<>();
  private static final Map<String, String> EXPERIMENTS = new ConcurrentHashMap<>();
  private static final AtomicLong NEXT_EXPERIMENT = new AtomicLong(1);
  private static final AtomicLong ORDER = new AtomicLong();
  private static final Map<String, Long> CREATED = new ConcurrentHashMap<>();

  private final Set<MemoryTrialRun> openRuns = ConcurrentHashMap.newKeySet();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void checkReachable() {
    // always reachable
  }

  @Override
  public SweepRun startSweep(String experiment, String sweepName, Map<String, String> params,
      Map<String, String> tags, byte[] specYaml) {
    Objects.requireNonNull(experiment, "experiment");
    Objects.requireNonNull(sweepName, "sweepName");
    String expId = experimentId(experiment);
    MemoryRun run = newRun(expId, experiment, sweepName);
    KeyMapper tagKeys = new KeyMapper();
    run.putTag(tagKeys.map(Names.Tag.SWEEP), MlflowKeys.truncateTagValue(sweepName));
    KeyMapper paramKeys = new KeyMapper();
    if (params != null) {
      params.forEach((k, v) -> run.putParam(paramKeys.map(k), MlflowKeys.truncateParamValue(v)));
    }
    if (tags != null) {
      tags.forEach((k, v) -> run.putTag(tagKeys.map(k), MlflowKeys.truncateTagValue(v)));
    }
    if (specYaml != null) {
      run.putArtifact("sweep.yaml", specYaml);
    }
    return new SweepRun(expId, run.runId(), null);
  }

  @Override
  public TrialRun startTrial(SweepRun sweep, TrialSpec trial) {
    MemoryRun parent = RUNS.get(sweep.runId());
    String experimentName = parent == null ? trial.experiment() : parent.experimentName();
    MemoryRun run = newRun(sweep.experimentId(), experimentName, trial.displayName());
    run.putTag(Names.Tag.PARENT_RUN_ID, sweep.runId());
    run.putTag(Names.Tag.TRIAL_ID, trial.id());
    run.putTag(Names.Tag.SWEEP, MlflowKeys.truncateTagValue(trial.sweepName()));
    KeyMapper paramKeys = new KeyMapper();
    trial.params().forEach((k, v) -> run.putParam(paramKeys.map(k), MlflowKeys.truncateParamValue(v)));
    MemoryTrialRun r = new MemoryTrialRun(run, openRuns::remove);
    openRuns.add(r);
    return r;
  }

  @Override
  public TrialRun resumeTrial(SweepRun sweep, TrialSpec trial, String runId) {
    MemoryRun run = requireRun(runId);
    if (!trial.id().equals(run.tags().get(Names.Tag.TRIAL_ID))
        || !run.parentRunId().filter(sweep.runId()::equals).isPresent()) {
      throw new TrackingException("memory run " + runId + " is not a run of trial " + trial.id() + " under "
          + sweep.runId());
    }
    run.end(MemoryRun.RUNNING, 0);
    MemoryTrialRun r = new MemoryTrialRun(run, openRuns::remove);
    openRuns.add(r);
    return r;
  }

  @Override
  public Optional<byte[]> readTrialArtifact(String runId, String path) {
    return requireRun(runId).artifact(path);
  }

  @Override
  public boolean keepsCheckpoints() {
    return true;
  }

  @Override
  public void logSweepArtifact(SweepRun sweep, String path, byte[] content) {
    MlflowKeys.checkArtifactPath(path);
    requireRun(sweep.runId()).putArtifact(path, content);
  }

  @Override
  public Optional<byte[]> readSweepArtifact(SweepRun sweep, String path) {
    return requireRun(sweep.runId()).artifact(path);
  }

  @Override
  public void endSweep(SweepRun sweep, boolean success) {
    long now = System.currentTimeMillis();
    endRunningChildren(sweep, now);
    requireRun(sweep.runId()).end(success ? MemoryRun.FINISHED : MemoryRun.FAILED, now);
  }

  private static void endRunningChildren(SweepRun sweep, long now) {
    for (MemoryRun child : childrenOf(sweep.runId())) {
      if (MemoryRun.RUNNING.equals(child.status())) {
        child.putTag(Names.Tag.SUPERSEDED, "true");
        child.end(MemoryRun.FAILED, now);
      }
    }
  }

  @Override
  public void endTrialRun(SweepRun sweep, String runId, String status, Map<String, String> tags) {
    MemoryRun run = requireRun(runId);
    if (!run.parentRunId().filter(sweep.runId()::equals).isPresent()) {
      throw new TrackingException("memory run " + runId + " is not a trial run of " + sweep.runId());
    }
    tags.forEach((k, v) -> run.putTag(k, MlflowKeys.truncateTagValue(v)));
    run.end(status, System.currentTimeMillis());
  }

  /** Guards the ends of trial runs: one FINISHED run per trial ({@link DuplicateRuns}), as the MLflow sink's sender. */
  private static final Object ENDS = new Object();

  /**
   * Ends {@code run} FINISHED, or {@value DuplicateRuns#KILLED} with tag {@link Names.Tag#DUPLICATE_OF} when another
   * run of its trial under the same parent already is FINISHED (what the MLflow sink's sender does at a run's end).
   */
  static void endFinished(MemoryRun run, long now) {
    synchronized (ENDS) {
      String trial = run.tags().get(Names.Tag.TRIAL_ID);
      Optional<String> winner = trial == null || run.parentRunId().isEmpty() ? Optional.empty()
          : DuplicateRuns.finishedElsewhere(run.runId(), childrenOf(run.parentRunId().get()).stream()
              .filter(r -> trial.equals(r.tags().get(Names.Tag.TRIAL_ID))).map(MemoryTrackingSink::snapshot)
              .toList());
      if (winner.isPresent()) {
        run.putTag(Names.Tag.DUPLICATE_OF, winner.get());
        run.end(MemoryRun.KILLED, now);
      } else {
        run.end(MemoryRun.FINISHED, now);
      }
    }
  }

  @Override
  public Optional<SweepRun> findSweep(String experiment, String sweepName) {
    return runsOfExperiment(experiment).stream()
        .filter(r -> r.parentRunId().isEmpty() && sweepName.equals(r.tags().get(Names.Tag.SWEEP)))
        .reduce((a, b) -> b) // the most recent
        .map(r -> new SweepRun(r.experimentId(), r.runId(), null));
  }

  @Override
  public RunSnapshot sweepSnapshot(SweepRun sweep) {
    return snapshot(requireRun(sweep.runId()));
  }

  @Override
  public List<RunSnapshot> trialRuns(SweepRun sweep) {
    return childrenOf(sweep.runId()).stream().map(MemoryTrackingSink::snapshot).toList();
  }

  @Override
  public Map<String, List<MetricPoint>> metricHistory(List<String> runIds, String key, long fromStep) {
    Map<String, List<MetricPoint>> out = new java.util.LinkedHashMap<>();
    for (String id : runIds) {
      List<MetricPoint> points = requireRun(id).metricHistory(key).stream().filter(p -> p.step() >= fromStep)
          .sorted(java.util.Comparator.comparingLong(MetricPoint::step)).toList();
      if (!points.isEmpty()) {
        out.put(id, points);
      }
    }
    return out;
  }

  @Override
  public void reopenSweep(SweepRun sweep, Map<String, String> tags) {
    MemoryRun run = requireRun(sweep.runId());
    endRunningChildren(sweep, System.currentTimeMillis()); // left by the sweep's earlier driver: it is gone
    run.end(MemoryRun.RUNNING, 0);
    KeyMapper tagKeys = new KeyMapper();
    tags.forEach((k, v) -> run.putTag(tagKeys.map(k), MlflowKeys.truncateTagValue(v)));
  }

  private static RunSnapshot snapshot(MemoryRun r) {
    Map<String, Double> latest = new LinkedHashMap<>();
    for (String key : r.metricKeys()) {
      List<MetricPoint> h = r.metricHistory(key);
      // MLflow's "latest": the point with the largest step (then timestamp)
      h.stream().max(Comparator.comparingLong(MetricPoint::step).thenComparingLong(MetricPoint::timestamp))
          .ifPresent(p -> latest.put(key, p.value()));
    }
    return new RunSnapshot(r.runId(), r.experimentId(), r.runName(), r.status(), r.startTime(), r.params(),
        r.tags(), latest);
  }

  /** Ends, as FAILED, every trial run of this sink that was not finished (as the MLflow sink does). */
  @Override
  public void close() {
    for (MemoryTrialRun r : new ArrayList<>(openRuns)) {
      r.finish(false);
    }
  }

  // ---------------------------------------------------------------- registry accessors (tests)

  /** The run with this id, if any sink in this JVM created it. */
  public static Optional<MemoryRun> run(String runId) {
    return Optional.ofNullable(RUNS.get(runId));
  }

  /** All runs, in creation order. */
  public static List<MemoryRun> runs() {
    List<MemoryRun> all = new ArrayList<>(RUNS.values());
    all.sort(Comparator.comparingLong(r -> CREATED.getOrDefault(r.runId(), 0L)));
    return all;
  }

  /** The child runs of a parent run, in creation order. */
  public static List<MemoryRun> childrenOf(String parentRunId) {
    return runs().stream().filter(r -> r.parentRunId().filter(parentRunId::equals).isPresent()).toList();
  }

  /** Runs of the experiment called {@code experimentName}, in creation order. */
  public static List<MemoryRun> runsOfExperiment(String experimentName) {
    return runs().stream().filter(r -> r.experimentName().equals(experimentName)).toList();
  }

  /**
   * Sets a run's status directly, bypassing every rule: for tests that set up what a race leaves behind (e.g. two
   * FINISHED runs of one trial whose ends raced in an MLflow server).
   */
  public static void forceStatus(String runId, String status) {
    requireRun(runId).end(status, System.currentTimeMillis());
  }

  /** Forgets all runs and experiments. */
  public static void reset() {
    RUNS.clear();
    CREATED.clear();
    EXPERIMENTS.clear();
  }

  /** The id of the experiment called {@code name}, created if missing (as the MLflow sink does). */
  static String experimentId(String name) {
    return EXPERIMENTS.computeIfAbsent(name, n -> Long.toString(NEXT_EXPERIMENT.getAndIncrement()));
  }

  private static MemoryRun newRun(String experimentId, String experimentName, String runName) {
    String id = UUID.randomUUID().toString().replace("-", "");
    MemoryRun run = new MemoryRun(id, experimentId, experimentName, runName, System.currentTimeMillis());
    CREATED.put(id, ORDER.incrementAndGet());
    RUNS.put(id, run);
    return run;
  }

  private static MemoryRun requireRun(String runId) {
    MemoryRun r = RUNS.get(runId);
    if (r == null) {
      throw new TrackingException("memory backend: no run " + runId + " in this JVM");
    }
    return r;
  }

  /** A trial run stored in memory; same rules as {@link MlflowTrialRun}, stored synchronously. */
  private static final class MemoryTrialRun implements TrialRun {
    private final MemoryRun run;
    private final Consumer<MemoryTrialRun> onFinish;
    private final KeyMapper metricKeys = new KeyMapper();
    private final KeyMapper tagKeys = new KeyMapper();
    private final AtomicBoolean finished = new AtomicBoolean();
    private final AtomicLong lastTimestamp = new AtomicLong(Long.MIN_VALUE);
    private long nonFinite;

    MemoryTrialRun(MemoryRun run, Consumer<MemoryTrialRun> onFinish) {
      this.run = run;
      this.onFinish = onFinish;
    }

    @Override
    public String runId() {
      return run.runId();
    }

    @Override
    public void logMetric(String key, double value, long step) {
      check();
      String k = metricKeys.map(key);
      if (!Double.isFinite(value)) {
        synchronized (this) {
          nonFinite++;
          run.putTag(Names.Tag.NONFINITE_COUNT, Long.toString(nonFinite));
          run.putTag(Names.Tag.NONFINITE_LAST, Names.Tag.describeNonFinite(k, step, value));
        }
        return;
      }
      long ts = lastTimestamp.accumulateAndGet(System.currentTimeMillis(), Math::max);
      run.addMetric(new MetricPoint(k, value, ts, step));
    }

    @Override
    public void setTag(String key, String value) {
      check();
      run.putTag(tagKeys.map(key), MlflowKeys.truncateTagValue(value));
    }

    @Override
    public void logArtifact(String path, byte[] content) {
      check();
      MlflowKeys.checkArtifactPath(path);
      run.putArtifact(path, content);
    }

    @Override
    public void finish(boolean success) {
      if (finished.compareAndSet(false, true)) {
        if (success) {
          endFinished(run, System.currentTimeMillis());
        } else {
          run.end(MemoryRun.FAILED, System.currentTimeMillis());
        }
        onFinish.accept(this);
      }
    }

    @Override
    public void suspend() {
      if (!finished.compareAndSet(false, true)) {
        throw new TrackingException("run " + run.runId() + " is already finished or suspended");
      }
      onFinish.accept(this);
    }

    private void check() {
      if (finished.get()) {
        throw new TrackingException("run " + run.runId() + " is finished; nothing more can be logged to it");
      }
    }
  }
}
