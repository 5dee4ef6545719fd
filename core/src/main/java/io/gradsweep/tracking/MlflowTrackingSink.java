package io.gradsweep.tracking;

import io.gradsweep.spec.TrialSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracking in an MLflow tracking server (MLflow 2.x/3.x REST API 2.0; verified against 3.17.2).
 *
 * <p>Layout: one experiment (created if missing, safe when several executors race to create it); one parent run per
 * sweep, named after the sweep, with the sweep's params and tags and artifact {@code sweep.yaml}; one child run per
 * trial, named {@link TrialSpec#displayName()}, with tag {@value TrackingTags#PARENT_RUN_ID} (the UI nests it under
 * the parent), {@value TrackingTags#TRIAL_ID}, {@value TrackingTags#SWEEP}, and all {@link TrialSpec#params()} as
 * params. Metrics are buffered and sent in the background ({@link MlflowTrialRun}).
 *
 * <p>Keys are mapped to MLflow's rules by {@link MlflowNames}; param values longer than 6000 characters and tag
 * values longer than 5000 are cut with a marker. Artifacts are uploaded with HTTP PUT through the server's artifact
 * proxy ({@code /api/2.0/mlflow-artifacts/artifacts/...}, derived from the run's {@code artifact_uri}); no Python
 * is needed on the client. Requests are retried per {@link RetryPolicy}.
 *
 * <p>Authentication: the {@link TrackingCredentials} given, or those of the environment
 * ({@code MLFLOW_TRACKING_USERNAME} and {@code MLFLOW_TRACKING_PASSWORD}: Basic, else {@code MLFLOW_TRACKING_TOKEN}:
 * Bearer). Credentials are never logged.
 */
public final class MlflowTrackingSink implements TrackingSink {
  public static final String NAME = "mlflow";
  private static final Logger LOG = LoggerFactory.getLogger(MlflowTrackingSink.class);

  /**
   * Tuning of the sink.
   *
   * @param retry retries of each request
   * @param connectTimeout time to open a connection
   * @param requestTimeout time to wait for an answer to one request
   * @param flushInterval a run sends what it has buffered at least this often
   * @param flushThreshold a run sends as soon as this many points are buffered
   * @param queueCapacity at most this many points wait in memory per run; {@code logMetric} blocks when it is full
   */
  public record Settings(RetryPolicy retry, Duration connectTimeout, Duration requestTimeout, Duration flushInterval,
      int flushThreshold, int queueCapacity) {

    public Settings {
      Objects.requireNonNull(retry, "retry");
      requirePositive(connectTimeout, "connectTimeout");
      requirePositive(requestTimeout, "requestTimeout");
      requirePositive(flushInterval, "flushInterval");
      if (flushThreshold < 1 || queueCapacity < flushThreshold) {
        throw new IllegalArgumentException("need 1 <= flushThreshold <= queueCapacity, got flushThreshold="
            + flushThreshold + " queueCapacity=" + queueCapacity);
      }
    }

    /** Retries per {@link RetryPolicy#DEFAULT}, 10 s connect, 60 s per request, flush every 1 s or 1000 points,
     * at most 100000 points (a few MB) buffered per run. */
    public static Settings defaults() {
      return new Settings(RetryPolicy.DEFAULT, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(1),
          1000, 100_000);
    }

    public Settings withRetry(RetryPolicy r) {
      return new Settings(r, connectTimeout, requestTimeout, flushInterval, flushThreshold, queueCapacity);
    }

    public Settings withTimeouts(Duration connect, Duration request) {
      return new Settings(retry, connect, request, flushInterval, flushThreshold, queueCapacity);
    }

    public Settings withFlush(Duration interval, int threshold) {
      return new Settings(retry, connectTimeout, requestTimeout, interval, threshold, queueCapacity);
    }

    public Settings withQueueCapacity(int capacity) {
      return new Settings(retry, connectTimeout, requestTimeout, flushInterval, flushThreshold, capacity);
    }

    private static void requirePositive(Duration d, String name) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be > 0, got " + d);
      }
    }
  }

  private final MlflowRestClient client;
  private final Settings settings;
  private final LongSupplier clock = System::currentTimeMillis;
  private final Set<MlflowTrialRun> openRuns = ConcurrentHashMap.newKeySet();
  private final Map<String, String> artifactRoots = new ConcurrentHashMap<>();

  /** A sink for the server at {@code trackingUri} with {@link Settings#defaults()}. */
  public MlflowTrackingSink(String trackingUri) {
    this(trackingUri, Settings.defaults());
  }

  /** Credentials from this process's environment ({@link TrackingCredentials#fromEnv}). */
  public MlflowTrackingSink(String trackingUri, Settings settings) {
    this(trackingUri, settings, TrackingCredentials.fromEnv(System::getenv));
  }

  public MlflowTrackingSink(String trackingUri, Settings settings, TrackingCredentials credentials) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.client = new MlflowRestClient(trackingUri, settings.retry(), settings.connectTimeout(),
        settings.requestTimeout(), Objects.requireNonNull(credentials, "credentials"));
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The tracking URI, without a trailing slash. */
  public String uri() {
    return client.uri();
  }

  @Override
  public void checkReachable() {
    client.checkReachable();
  }

  @Override
  public SweepRun startSweep(String experiment, String sweepName, Map<String, String> params,
      Map<String, String> tags, byte[] specYaml) {
    Objects.requireNonNull(experiment, "experiment");
    Objects.requireNonNull(sweepName, "sweepName");
    String expId = client.getOrCreateExperiment(experiment);
    Map<String, String> createTags = new LinkedHashMap<>();
    createTags.put(TrackingTags.SWEEP, MlflowNames.truncateTagValue(sweepName));
    MlflowRestClient.RunInfo run = client.createRun(expId, sweepName, clock.getAsLong(), createTags);
    try {
      KeyMapper tagKeys = new KeyMapper();
      tagKeys.map(TrackingTags.SWEEP);
      sendParamsAndTags(run.runId(), params == null ? Map.of() : params, tags == null ? Map.of() : tags, tagKeys);
      if (specYaml != null) {
        client.putArtifact(run.artifactUri(), "sweep.yaml", specYaml);
      }
    } catch (RuntimeException e) {
      endQuietly(run.runId(), e);
      throw e;
    }
    artifactRoots.put(run.runId(), run.artifactUri());
    return new SweepRun(expId, run.runId(), client.uiUrl(expId, run.runId()));
  }

  @Override
  public MlflowTrialRun startTrial(SweepRun sweep, TrialSpec trial) {
    Objects.requireNonNull(sweep, "sweep");
    Objects.requireNonNull(trial, "trial");
    Map<String, String> createTags = new LinkedHashMap<>();
    createTags.put(TrackingTags.PARENT_RUN_ID, sweep.runId());
    createTags.put(TrackingTags.TRIAL_ID, trial.id());
    createTags.put(TrackingTags.SWEEP, MlflowNames.truncateTagValue(trial.sweepName()));
    MlflowRestClient.RunInfo run = client.createRun(sweep.experimentId(), trial.displayName(), clock.getAsLong(),
        createTags);
    try {
      sendParamsAndTags(run.runId(), trial.params(), Map.of(), new KeyMapper());
    } catch (RuntimeException e) {
      endQuietly(run.runId(), e);
      throw e;
    }
    MlflowTrialRun r = new MlflowTrialRun(client, run, settings, clock, openRuns::remove);
    openRuns.add(r);
    return r;
  }

  @Override
  public void logSweepArtifact(SweepRun sweep, String path, byte[] content) {
    String root = artifactRoots.computeIfAbsent(sweep.runId(), id -> client.getRun(id).artifactUri());
    client.putArtifact(root, path, content);
  }

  @Override
  public Optional<byte[]> readSweepArtifact(SweepRun sweep, String path) {
    String root = artifactRoots.computeIfAbsent(sweep.runId(), id -> client.getRun(id).artifactUri());
    return client.getArtifact(root, path);
  }

  @Override
  public void endSweep(SweepRun sweep, boolean success) {
    endRunningChildren(sweep);
    client.updateRun(sweep.runId(), success ? "FINISHED" : "FAILED", clock.getAsLong());
  }

  private void endRunningChildren(SweepRun sweep) {
    for (String child : client.runningChildren(sweep.experimentId(), sweep.runId())) {
      LOG.warn("trial run {} of sweep run {} was left RUNNING (its task was cut off); ending it FAILED, superseded",
          child, sweep.runId());
      client.logBatch(child, new LogBatch(List.of(), List.of(),
          List.of(new LogBatch.Entry(TrackingTags.SUPERSEDED, "true"))));
      client.updateRun(child, "FAILED", clock.getAsLong());
    }
  }

  @Override
  public Optional<SweepRun> findSweep(String experiment, String sweepName) {
    Optional<MlflowRestClient.Experiment> exp = client.getExperimentByName(experiment);
    if (exp.isEmpty() || !"active".equals(exp.get().lifecycleStage())) {
      return Optional.empty();
    }
    String expId = exp.get().id();
    String filter = MlflowRestClient.tagEquals(TrackingTags.SWEEP, sweepName);
    // children carry the sweep tag too; the parent is the run without a parent
    return client.searchRuns(expId, filter, "attributes.start_time DESC").stream()
        .filter(r -> !r.tags().containsKey(TrackingTags.PARENT_RUN_ID))
        .findFirst()
        .map(r -> new SweepRun(expId, r.runId(), client.uiUrl(expId, r.runId())));
  }

  @Override
  public RunSnapshot sweepSnapshot(SweepRun sweep) {
    return client.getRunSnapshot(sweep.runId());
  }

  @Override
  public List<RunSnapshot> trialRuns(SweepRun sweep) {
    return client.searchRuns(sweep.experimentId(),
        MlflowRestClient.tagEquals(TrackingTags.PARENT_RUN_ID, sweep.runId()), "attributes.start_time ASC");
  }

  @Override
  public void reopenSweep(SweepRun sweep, Map<String, String> tags) {
    endRunningChildren(sweep); // left by the sweep's earlier driver: it is gone
    client.reopenRun(sweep.runId());
    if (!tags.isEmpty()) {
      List<LogBatch.Entry> entries = new ArrayList<>();
      tags.forEach((k, v) -> entries.add(new LogBatch.Entry(k, MlflowNames.truncateTagValue(v))));
      client.logBatch(sweep.runId(), new LogBatch(List.of(), List.of(), entries));
    }
  }

  /** Ends, as FAILED, every trial run of this sink that was not finished. */
  @Override
  public void close() {
    for (MlflowTrialRun r : new ArrayList<>(openRuns)) {
      try {
        LOG.warn("run {} was not finished before its sink was closed; ending it FAILED", r.runId());
        r.finish(false);
      } catch (RuntimeException e) {
        LOG.warn("could not end run {}: {}", r.runId(), e.getMessage());
      }
    }
  }

  private void sendParamsAndTags(String runId, Map<String, String> params, Map<String, String> tags,
      KeyMapper tagKeys) {
    KeyMapper paramKeys = new KeyMapper();
    List<LogBatch.Entry> p = new ArrayList<>(params.size());
    params.forEach((k, v) -> p.add(new LogBatch.Entry(paramKeys.map(k), MlflowNames.truncateParamValue(v))));
    List<LogBatch.Entry> t = new ArrayList<>(tags.size());
    tags.forEach((k, v) -> t.add(new LogBatch.Entry(tagKeys.map(k), MlflowNames.truncateTagValue(v))));
    for (LogBatch batch : LogBatchChunker.split(List.of(), p, t, BatchLimits.MLFLOW)) {
      client.logBatch(runId, batch);
    }
  }

  private void endQuietly(String runId, RuntimeException cause) {
    try {
      client.updateRun(runId, "FAILED", clock.getAsLong());
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  @Override
  public String toString() {
    return "MlflowTrackingSink[" + client.uri() + "]";
  }
}
