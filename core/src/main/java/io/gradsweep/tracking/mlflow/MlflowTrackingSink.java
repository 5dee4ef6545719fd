package io.gradsweep.tracking.mlflow;

import io.gradsweep.conf.ConfKeys;
import io.gradsweep.conf.GradsweepConf;
import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.SpoolBacklog;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.spool.SegmentLog;
import io.gradsweep.tracking.spool.SpoolBudget;
import io.gradsweep.tracking.spool.SpoolClock;
import io.gradsweep.tracking.spool.SpoolMeta;
import io.gradsweep.tracking.spool.SpoolRecord;

import io.gradsweep.spec.TrialSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tracking in an MLflow tracking server (MLflow 2.x/3.x REST API 2.0; verified against 3.17.2).
 *
 * <p>Layout: one experiment (created if missing, safe when several executors race to create it); one parent run per
 * sweep, named after the sweep, with the sweep's params and tags and artifact {@code sweep.yaml}; one child run per
 * trial, named {@link TrialSpec#displayName()}, with tag {@value Names.Tag#PARENT_RUN_ID} (the UI nests it under
 * the parent), {@value Names.Tag#TRIAL_ID}, {@value Names.Tag#SWEEP}, and all {@link TrialSpec#params()} as
 * params. What a trial logs goes to a disk spool and is sent in the background ({@link MlflowTrialRun}), so that
 * trials go on training while the server is away; when a trial starts, spools that earlier processes left under
 * the same spool root for the same server are sent too.
 *
 * <p>Keys are mapped to MLflow's rules by {@link MlflowKeys}; param values longer than 6000 characters and tag
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
   * Where and how trial runs spool what they send ({@link SegmentLog}), and when their senders give up.
   *
   * @param root the spool root: one directory per run under it
   * @param maxBytes disk the spools sharing a {@link SpoolBudget} may take together (in production one budget per
   *     JVM: {@link MlflowTrackingBackend}); logging waits when it is full
   * @param giveUpAfter a run's sender gives up after failing for this long in a row (the records stay on disk)
   * @param maxBackoff the longest wait between two attempts while the server is unreachable
   * @param adopt whether each trial start sends the spools earlier processes left under {@code root}
   *     ({@link ConfKeys#SPOOL_ADOPT})
   */
  public record Spool(Path root, long maxBytes, Duration giveUpAfter, Duration maxBackoff, boolean adopt) {
    /** Default bound: 256 MiB. */
    public static final long DEFAULT_MAX_MB = ConfKeys.SPOOL_MAX_MB.defaultValue();
    /** Default give-up deadline: 15 minutes. */
    public static final long DEFAULT_GIVE_UP_SECONDS = ConfKeys.MLFLOW_GIVEUP_SECONDS.defaultValue();
    /** This machine's name, as the spool's messages name it. */
    public static final String HOST = hostName();

    public Spool {
      Objects.requireNonNull(root, "root");
      if (maxBytes < 1) {
        throw new IllegalArgumentException("spool maxBytes must be >= 1, got " + maxBytes);
      }
      requirePositive(giveUpAfter, "giveUpAfter");
      requirePositive(maxBackoff, "maxBackoff");
    }

    /** A spool that leaves leftovers to {@code gradsweep replay}. */
    public Spool(Path root, long maxBytes, Duration giveUpAfter, Duration maxBackoff) {
      this(root, maxBytes, giveUpAfter, maxBackoff, false);
    }

    /**
     * From the settings {@link ConfKeys#SPOOL_DIR} (default: {@code <spoolParent>/gradsweep-spool}, where
     * {@code spoolParent} is the caller's choice, else {@code java.io.tmpdir}), {@link ConfKeys#SPOOL_MAX_MB},
     * {@link ConfKeys#MLFLOW_GIVEUP_SECONDS} and {@link ConfKeys#SPOOL_ADOPT}; at most 2 s between attempts.
     */
    public static Spool from(GradsweepConf conf, Path spoolParent) {
      return new Spool(root(conf, spoolParent), conf.get(ConfKeys.SPOOL_MAX_MB) * 1024 * 1024,
          Duration.ofSeconds(conf.get(ConfKeys.MLFLOW_GIVEUP_SECONDS)), Duration.ofSeconds(2),
          conf.get(ConfKeys.SPOOL_ADOPT));
    }

    /** {@link ConfKeys#SPOOL_DIR} if set, else {@code gradsweep-spool} under {@code parent} (or java.io.tmpdir). */
    public static Path root(GradsweepConf conf, Path parent) {
      String dir = conf.get(ConfKeys.SPOOL_DIR);
      if (dir != null) {
        return Path.of(dir).toAbsolutePath();
      }
      Path p = parent != null ? parent : Path.of(System.getProperty("java.io.tmpdir"));
      return p.resolve("gradsweep-spool").toAbsolutePath();
    }

    /** Segment size: 4 MiB, smaller for small bounds (an eighth of the bound, at least 4 KiB). */
    long segmentBytes() {
      return Math.min(4L << 20, Math.max(4L << 10, maxBytes / 8));
    }

    public Spool withRoot(Path r) {
      return new Spool(r, maxBytes, giveUpAfter, maxBackoff, adopt);
    }

    public Spool withMaxBytes(long bytes) {
      return new Spool(root, bytes, giveUpAfter, maxBackoff, adopt);
    }

    public Spool withGiveUp(Duration giveUp, Duration backoff) {
      return new Spool(root, maxBytes, giveUp, backoff, adopt);
    }

    public Spool withAdopt(boolean a) {
      return new Spool(root, maxBytes, giveUpAfter, maxBackoff, a);
    }

    private static String hostName() {
      try {
        return java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.io.IOException | RuntimeException e) {
        return "localhost";
      }
    }
  }

  /**
   * Tuning of the sink.
   *
   * @param retry retries of each request the sink makes itself (experiment, runs, params, the parent run); trial
   *     runs' senders retry per {@link #spool()}
   * @param connectTimeout time to open a connection
   * @param requestTimeout time to wait for an answer to one request
   * @param flushInterval a run sends what it has spooled at least this often
   * @param flushThreshold a run sends as soon as this many records are waiting
   * @param spool where trial runs spool their records, the bound, and when their senders give up
   */
  public record Settings(RetryPolicy retry, Duration connectTimeout, Duration requestTimeout, Duration flushInterval,
      int flushThreshold, Spool spool) {

    public Settings {
      Objects.requireNonNull(retry, "retry");
      Objects.requireNonNull(spool, "spool");
      requirePositive(connectTimeout, "connectTimeout");
      requirePositive(requestTimeout, "requestTimeout");
      requirePositive(flushInterval, "flushInterval");
      if (flushThreshold < 1) {
        throw new IllegalArgumentException("need flushThreshold >= 1, got " + flushThreshold);
      }
    }

    /** Retries per {@link RetryPolicy#DEFAULT}, 10 s connect, 60 s per request, flush every 1 s or 1000 records,
     * the spool per the default settings ({@link Spool#from}) under java.io.tmpdir. */
    public static Settings defaults() {
      return from(GradsweepConf.defaults(), null);
    }

    /** {@link #defaults()} with the spool per {@code conf}, under {@code spoolParent} unless it names a directory. */
    public static Settings from(GradsweepConf conf, Path spoolParent) {
      return new Settings(RetryPolicy.DEFAULT, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(1),
          1000, Spool.from(conf, spoolParent));
    }

    public Settings withRetry(RetryPolicy r) {
      return new Settings(r, connectTimeout, requestTimeout, flushInterval, flushThreshold, spool);
    }

    public Settings withTimeouts(Duration connect, Duration request) {
      return new Settings(retry, connect, request, flushInterval, flushThreshold, spool);
    }

    public Settings withFlush(Duration interval, int threshold) {
      return new Settings(retry, connectTimeout, requestTimeout, interval, threshold, spool);
    }

    public Settings withSpool(Spool s) {
      return new Settings(retry, connectTimeout, requestTimeout, flushInterval, flushThreshold, s);
    }
  }

  private static void requirePositive(Duration d, String name) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be > 0, got " + d);
    }
  }

  private final MlflowRestClient client;
  /** One attempt per request: trial runs' senders retry themselves, with their spool's policy. */
  private final MlflowRestClient senderClient;
  private final Settings settings;
  private final TrackingCredentials credentials;
  private final SpoolClock clock;
  private final SpoolBudget budget;
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

  /**
   * A sink whose trial runs' spools count against a budget of their own ({@link Spool#maxBytes()}), on the system
   * clock.
   */
  public MlflowTrackingSink(String trackingUri, Settings settings, TrackingCredentials credentials) {
    this(trackingUri, settings, credentials, new SpoolBudget(settings.spool().maxBytes()), SpoolClock.system());
  }

  /**
   * A sink whose trial runs' spools count against {@code budget} (owned by the caller: one per JVM in production,
   * see {@link MlflowTrackingBackend}), reading time from {@code clock} (timestamps, backoff, give-up deadlines).
   */
  public MlflowTrackingSink(String trackingUri, Settings settings, TrackingCredentials credentials,
      SpoolBudget budget, SpoolClock clock) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.credentials = Objects.requireNonNull(credentials, "credentials");
    this.budget = Objects.requireNonNull(budget, "budget");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.client = new MlflowRestClient(trackingUri, settings.retry(), settings.connectTimeout(),
        settings.requestTimeout(), this.credentials, clock);
    this.senderClient = new MlflowRestClient(trackingUri, RetryPolicy.NONE, settings.connectTimeout(),
        settings.requestTimeout(), this.credentials, clock);
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
    createTags.put(Names.Tag.SWEEP, MlflowKeys.truncateTagValue(sweepName));
    MlflowRestClient.RunInfo run = client.createRun(expId, sweepName, clock.millis(), createTags);
    try {
      KeyMapper tagKeys = new KeyMapper();
      tagKeys.map(Names.Tag.SWEEP);
      sendParamsAndTags(run.runId(), params == null ? Map.of() : params, tags == null ? Map.of() : tags, tagKeys);
      if (specYaml != null) {
        client.putArtifact(run.artifactUri(), Names.Artifact.SWEEP_YAML, specYaml);
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
    createTags.put(Names.Tag.PARENT_RUN_ID, sweep.runId());
    createTags.put(Names.Tag.TRIAL_ID, trial.id());
    createTags.put(Names.Tag.SWEEP, MlflowKeys.truncateTagValue(trial.sweepName()));
    MlflowRestClient.RunInfo run = client.createRun(sweep.experimentId(), trial.displayName(), clock.millis(),
        createTags);
    try {
      sendParamsAndTags(run.runId(), trial.params(), Map.of(), new KeyMapper());
    } catch (RuntimeException e) {
      endQuietly(run.runId(), e);
      throw e;
    }
    MlflowTrialRun r;
    try {
      r = new MlflowTrialRun(senderClient, run, settings, budget, clock, openRuns::remove);
    } catch (RuntimeException e) {
      endQuietly(run.runId(), e);
      throw e;
    }
    if (settings.spool().adopt()) {
      adoptOrphans();
    }
    openRuns.add(r);
    return r;
  }

  /**
   * Reopens the trial's child run: it must carry the trial's id and the sweep's parent run id (a checkpoint of
   * another trial must never be continued into the wrong run).
   */
  @Override
  public MlflowTrialRun resumeTrial(SweepRun sweep, TrialSpec trial, String runId) {
    Objects.requireNonNull(sweep, "sweep");
    Objects.requireNonNull(trial, "trial");
    RunSnapshot snap = client.getRunSnapshot(runId);
    String id = snap.tags().get(Names.Tag.TRIAL_ID);
    String parent = snap.tags().get(Names.Tag.PARENT_RUN_ID);
    if (!trial.id().equals(id) || !sweep.runId().equals(parent)) {
      throw new io.gradsweep.tracking.TrackingException("MLflow at " + client.uri() + ": run " + runId + " is not a "
          + "run of trial " + trial.id() + " under parent run " + sweep.runId() + " (its trial id: " + id
          + ", its parent: " + parent + "); not resuming into it");
    }
    client.reopenRun(runId);
    MlflowRestClient.RunInfo run = client.getRun(runId);
    MlflowTrialRun r = new MlflowTrialRun(senderClient, run, settings, budget, clock, openRuns::remove);
    openRuns.add(r);
    return r;
  }

  @Override
  public Optional<byte[]> readTrialArtifact(String runId, String path) {
    return client.getArtifact(client.getRun(runId).artifactUri(), path);
  }

  /** True: checkpoints are artifacts of the trial runs, served by the tracking server to every executor. */
  @Override
  public boolean keepsCheckpoints() {
    return true;
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
    client.updateRun(sweep.runId(), success ? "FINISHED" : "FAILED", clock.millis());
  }

  private void endRunningChildren(SweepRun sweep) {
    for (String child : client.runningChildren(sweep.experimentId(), sweep.runId())) {
      LOG.warn("trial run {} of sweep run {} was left RUNNING (its task was cut off); ending it FAILED, superseded",
          child, sweep.runId());
      client.logBatch(child, new LogBatch(List.of(), List.of(),
          List.of(new LogBatch.Entry(Names.Tag.SUPERSEDED, "true"))));
      client.updateRun(child, "FAILED", clock.millis());
    }
  }

  @Override
  public Optional<SweepRun> findSweep(String experiment, String sweepName) {
    Optional<MlflowRestClient.Experiment> exp = client.getExperimentByName(experiment);
    if (exp.isEmpty() || !"active".equals(exp.get().lifecycleStage())) {
      return Optional.empty();
    }
    String expId = exp.get().id();
    String filter = MlflowRestClient.tagEquals(Names.Tag.SWEEP, sweepName);
    // children carry the sweep tag too; the parent is the run without a parent
    return client.searchRuns(expId, filter, "attributes.start_time DESC").stream()
        .filter(r -> !r.tags().containsKey(Names.Tag.PARENT_RUN_ID))
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
        MlflowRestClient.tagEquals(Names.Tag.PARENT_RUN_ID, sweep.runId()), "attributes.start_time ASC");
  }

  @Override
  public List<RunSnapshot> trialRuns(SweepRun sweep, String trialId) {
    return client.searchRuns(sweep.experimentId(), MlflowRestClient.tagEquals(Names.Tag.PARENT_RUN_ID, sweep.runId())
        + " and " + MlflowRestClient.tagEquals(Names.Tag.TRIAL_ID, trialId), "attributes.start_time ASC");
  }

  @Override
  public void endTrialRun(SweepRun sweep, String runId, String status, Map<String, String> tags) {
    endOther(client, runId, status, tags, clock.millis());
  }

  /** Sets {@code tags} on run {@code runId}, then ends it with {@code status} at {@code endTime}. */
  static void endOther(MlflowRestClient client, String runId, String status, Map<String, String> tags,
      long endTime) {
    if (!tags.isEmpty()) {
      List<LogBatch.Entry> entries = new ArrayList<>();
      tags.forEach((k, v) -> entries.add(new LogBatch.Entry(k, MlflowKeys.truncateTagValue(v))));
      client.logBatch(runId, new LogBatch(List.of(), List.of(), entries));
    }
    client.updateRun(runId, status, endTime);
  }

  /** MLflow's step fields are 32-bit in the history request: the end of the interval asked for. */
  private static final long LAST_STEP = Integer.MAX_VALUE;

  @Override
  public Map<String, List<MetricPoint>> metricHistory(List<String> runIds, String key, long fromStep) {
    if (runIds.isEmpty() || fromStep > LAST_STEP) {
      return Map.of();
    }
    return client.metricHistory(runIds, key, Math.max(0, fromStep), LAST_STEP);
  }

  @Override
  public void reopenSweep(SweepRun sweep, Map<String, String> tags) {
    endRunningChildren(sweep); // left by the sweep's earlier driver: it is gone
    client.reopenRun(sweep.runId());
    if (!tags.isEmpty()) {
      List<LogBatch.Entry> entries = new ArrayList<>();
      tags.forEach((k, v) -> entries.add(new LogBatch.Entry(k, MlflowKeys.truncateTagValue(v))));
      client.logBatch(sweep.runId(), new LogBatch(List.of(), List.of(), entries));
    }
  }

  /**
   * For when the server is gone at the end of a sweep: writes the parent run's remaining artifacts and its end
   * (FINISHED when {@code success}, else FAILED) to a spool under this sink's spool root, for
   * {@code gradsweep replay}. Nothing is sent. (Trial runs still RUNNING are not superseded by a replay.)
   *
   * @param artifacts path to content, uploaded in this order before the end
   * @return where the records are
   */
  @Override
  public Optional<SpoolBacklog> spoolSweepEnd(SweepRun sweep, boolean success, Map<String, byte[]> artifacts) {
    Spool sp = settings.spool();
    SegmentLog spool = SegmentLog.create(sp.root(), new SpoolMeta(sweep.runId(), sweep.experimentId(),
        artifactRoots.getOrDefault(sweep.runId(), ""), client.uri(), Spool.HOST, clock.millis()),
        SpoolBudget.unbounded(), sp.segmentBytes());
    try {
      for (Map.Entry<String, byte[]> a : artifacts.entrySet()) {
        spool.appendUnbudgeted(new SpoolRecord.Artifact(a.getKey(), a.getValue()));
      }
      spool.appendUnbudgeted(new SpoolRecord.End(success ? "FINISHED" : "FAILED", clock.millis()));
      return Optional.of(new SpoolBacklog(sweep.runId(), client.uri(), Spool.HOST, sp.root().toString(),
          spool.appended()));
    } finally {
      spool.close();
    }
  }

  /** Spool roots of this JVM being adopted right now (one adopter per root at a time). */
  private static final Set<Path> ADOPTING = ConcurrentHashMap.newKeySet();

  /**
   * The server answers (a run was just created): in the background, sends what spools under this sink's root
   * still hold for this server and no live process holds: records left by an executor that died on this host, or
   * by a run whose sender gave up earlier in this JVM. Same path as {@code gradsweep replay}.
   */
  private void adoptOrphans() {
    Path root = settings.spool().root();
    if (!java.nio.file.Files.isDirectory(root) || !ADOPTING.add(root)) {
      return;
    }
    Thread t = new Thread(() -> {
      java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
      try {
        SpoolReplay.Result r = SpoolReplay.replay(root, null, client.uri(), new RetryPolicy(
            settings.spool().giveUpAfter(), Duration.ofMillis(250), settings.spool().maxBackoff()), credentials,
            new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
        if (r.delivered() > 0 || r.failed() > 0) {
          LOG.warn("spools left under {} by earlier runs on this host: {} sent, {} failed:\n{}", root,
              r.delivered(), r.failed(), buf.toString(java.nio.charset.StandardCharsets.UTF_8).strip());
        }
      } catch (RuntimeException e) {
        LOG.warn("could not send the spools left under {}: {}", root, e.toString());
      } finally {
        ADOPTING.remove(root);
      }
    }, "gradsweep-spool-adopter");
    t.setDaemon(true);
    t.start();
  }

  /** Shortened to the longest value every MLflow server accepts ({@link MlflowKeys#truncateParamValue}). */
  @Override
  public String storedParamValue(String value) {
    return MlflowKeys.truncateParamValue(value);
  }

  /** True: trial runs spool what they send, and {@link #spoolSweepEnd} writes the parent run's end to a spool. */
  @Override
  public boolean hasSpool() {
    return true;
  }

  /** The spool settings of this sink's trial runs. */
  public Spool spoolSettings() {
    return settings.spool();
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
    params.forEach((k, v) -> p.add(new LogBatch.Entry(paramKeys.map(k), MlflowKeys.truncateParamValue(v))));
    List<LogBatch.Entry> t = new ArrayList<>(tags.size());
    tags.forEach((k, v) -> t.add(new LogBatch.Entry(tagKeys.map(k), MlflowKeys.truncateTagValue(v))));
    for (LogBatch batch : LogBatchChunker.split(List.of(), p, t, BatchLimits.MLFLOW)) {
      client.logBatch(runId, batch);
    }
  }

  private void endQuietly(String runId, RuntimeException cause) {
    try {
      client.updateRun(runId, "FAILED", clock.millis());
    } catch (RuntimeException e) {
      cause.addSuppressed(e);
    }
  }

  @Override
  public String toString() {
    return "MlflowTrackingSink[" + client.uri() + "]";
  }
}
