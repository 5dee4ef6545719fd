package io.gradsweep.tracking;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A trial's MLflow run. {@link #logMetric} and {@link #setTag} only put the value in memory; a daemon thread of this
 * run sends them with {@code runs/log-batch}, split to the server's limits ({@link LogBatchChunker}), whenever
 * {@link MlflowTrackingSink.Settings#flushThreshold()} points are waiting or
 * {@link MlflowTrackingSink.Settings#flushInterval()} has passed.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Points of each key are stored in the order they were logged; timestamps (ms) never decrease within a run,
 *       so MLflow's history order (timestamp, step) is the logging order.
 *   <li>Memory is bounded: at most {@link MlflowTrackingSink.Settings#queueCapacity()} points wait in memory. When
 *       the queue is full (the server is slower than training, or is being retried), {@code logMetric} blocks until
 *       the sender has made room: training slows down instead of running out of memory.
 *   <li>Non-finite values (NaN, +-Inf) are not sent as points (JSON has no NaN; servers and the UI's charts treat
 *       it inconsistently). The run counts them in tag {@value TrackingTags#NONFINITE_COUNT} and keeps the last one
 *       in {@value TrackingTags#NONFINITE_LAST}.
 *   <li>Keys are mapped by {@link MlflowNames} (via a per-run {@link KeyMapper}); tag values are cut to
 *       {@value MlflowNames#MAX_TAG_VALUE_LENGTH} characters.
 * </ul>
 *
 * <p>Failures: each request is retried per {@link RetryPolicy}. If one still fails, the run stops sending: later
 * calls of {@code logMetric}, {@code setTag} and {@code logArtifact} throw {@link TrackingException}, and
 * {@link #finish} ends the run FAILED (with tag {@value TrackingTags#TRACKING_ERROR}, best effort) and throws.
 *
 * <p>Thread-safe. After {@link #finish}, logging calls throw {@link TrackingException}.
 */
public final class MlflowTrialRun implements TrialRun {
  private static final Logger LOG = LoggerFactory.getLogger(MlflowTrialRun.class);
  /** Points taken from the queue per send round (then split into requests). */
  private static final int MAX_DRAIN = 10_000;

  private final MlflowRestClient client;
  private final MlflowRestClient.RunInfo run;
  private final String uiUrl;
  private final MlflowTrackingSink.Settings settings;
  private final LongSupplier clock;
  private final Consumer<MlflowTrialRun> onFinish;

  private final KeyMapper metricKeys = new KeyMapper();
  private final KeyMapper tagKeys = new KeyMapper();
  private final BlockingQueue<MetricPoint> queue;
  private final AtomicLong lastTimestamp = new AtomicLong(Long.MIN_VALUE);
  private final AtomicBoolean finished = new AtomicBoolean();
  private final Thread sender;

  /** Guards the fields below and is the sender's wake-up signal. */
  private final Object lock = new Object();
  private final Map<String, String> pendingTags = new LinkedHashMap<>();
  private long nonFiniteCount;
  private String nonFiniteLast;
  private boolean nonFiniteDirty;
  private boolean closing;
  private long flushRequests;
  private long flushedUpTo;

  private volatile TrackingException failure;

  MlflowTrialRun(MlflowRestClient client, MlflowRestClient.RunInfo run, MlflowTrackingSink.Settings settings,
      LongSupplier clock, Consumer<MlflowTrialRun> onFinish) {
    this.client = client;
    this.run = run;
    this.uiUrl = client.uiUrl(run.experimentId(), run.runId());
    this.settings = settings;
    this.clock = clock;
    this.onFinish = onFinish;
    this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
    this.sender = new Thread(this::sendLoop, "gradsweep-mlflow-" + run.runId());
    this.sender.setDaemon(true);
    this.sender.start();
  }

  @Override
  public String runId() {
    return run.runId();
  }

  public String experimentId() {
    return run.experimentId();
  }

  /** Address of this run in the MLflow UI: {@code <uri>/#/experiments/<expId>/runs/<runId>}. */
  public String uiUrl() {
    return uiUrl;
  }

  /** Number of non-finite metric values given to this run so far (not sent as points). */
  public long nonFiniteCount() {
    synchronized (lock) {
      return nonFiniteCount;
    }
  }

  @Override
  public void logMetric(String key, double value, long step) {
    checkUsable();
    String k = metricKeys.map(key);
    if (!Double.isFinite(value)) {
      synchronized (lock) {
        nonFiniteCount++;
        nonFiniteLast = TrackingTags.describeNonFinite(k, step, value);
        nonFiniteDirty = true;
      }
      return;
    }
    long ts = lastTimestamp.accumulateAndGet(clock.getAsLong(), Math::max);
    MetricPoint p = new MetricPoint(k, value, ts, step);
    if (!queue.offer(p)) {
      putBlocking(p);
    }
    if (queue.size() >= settings.flushThreshold()) {
      synchronized (lock) {
        lock.notifyAll();
      }
    }
  }

  private void putBlocking(MetricPoint p) {
    synchronized (lock) {
      lock.notifyAll();
    }
    try {
      while (!queue.offer(p, 200, TimeUnit.MILLISECONDS)) {
        checkUsable();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrackingException("interrupted while waiting for room in the metric queue of run " + runId(), e);
    }
  }

  @Override
  public void setTag(String key, String value) {
    checkUsable();
    String k = tagKeys.map(key);
    synchronized (lock) {
      pendingTags.put(k, MlflowNames.truncateTagValue(value));
    }
  }

  /** Uploads now (synchronously, with retries). */
  @Override
  public void logArtifact(String path, byte[] content) {
    checkUsable();
    client.putArtifact(run.artifactUri(), path, content);
  }

  /** Blocks until everything logged before this call is stored (or sending failed, then throws). */
  public void flush() {
    checkUsable();
    synchronized (lock) {
      long ticket = ++flushRequests;
      lock.notifyAll();
      try {
        while (flushedUpTo < ticket && failure == null && sender.isAlive()) {
          lock.wait(100);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TrackingException("interrupted while flushing run " + runId(), e);
      }
    }
    checkUsable();
  }

  /**
   * Sends what is pending and ends the run: FINISHED when {@code success} and everything was stored, else FAILED.
   * Blocks until done (each request is bounded by the retry budget). Idempotent: later calls do nothing.
   *
   * @throws TrackingException if some values or the status could not be stored
   */
  @Override
  public void finish(boolean success) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    try {
      synchronized (lock) {
        closing = true;
        lock.notifyAll();
      }
      try {
        sender.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TrackingException("interrupted while finishing run " + runId(), e);
      }
      if (failure == null) {
        try {
          sendPending(); // anything a concurrent logMetric added while the sender stopped
        } catch (TrackingException e) {
          failure = e;
        }
      }
      TrackingException problem = failure;
      if (problem != null) {
        try {
          client.logBatch(runId(), new LogBatch(List.of(), List.of(), List.of(new LogBatch.Entry(
              TrackingTags.TRACKING_ERROR, MlflowNames.truncateTagValue(problem.getMessage())))));
        } catch (TrackingException e) {
          problem.addSuppressed(e);
        }
      }
      String status = success && problem == null ? "FINISHED" : "FAILED";
      try {
        client.updateRun(runId(), status, clock.getAsLong());
      } catch (TrackingException e) {
        if (problem == null) {
          throw e;
        }
        problem.addSuppressed(e);
      }
      if (problem != null) {
        throw new TrackingException("run " + runId() + " ended FAILED; not everything was stored: "
            + problem.getMessage(), problem);
      }
    } finally {
      onFinish.accept(this);
    }
  }

  private void checkUsable() {
    TrackingException f = failure;
    if (f != null) {
      throw new TrackingException("run " + runId() + " stopped sending to MLflow: " + f.getMessage(), f);
    }
    if (finished.get()) {
      throw new TrackingException("run " + runId() + " is finished; nothing more can be logged to it");
    }
  }

  // ---------------------------------------------------------------- sender thread

  private void sendLoop() {
    long intervalNanos = settings.flushInterval().toNanos();
    long nextFlush = System.nanoTime() + intervalNanos;
    try {
      while (true) {
        boolean last;
        long ticket;
        synchronized (lock) {
          while (!closing && flushRequests == flushedUpTo && queue.size() < settings.flushThreshold()) {
            long waitNanos = nextFlush - System.nanoTime();
            if (waitNanos <= 0) {
              break;
            }
            TimeUnit.NANOSECONDS.timedWait(lock, waitNanos);
          }
          last = closing;
          ticket = flushRequests;
        }
        sendPending();
        nextFlush = System.nanoTime() + intervalNanos;
        synchronized (lock) {
          flushedUpTo = Math.max(flushedUpTo, ticket);
          lock.notifyAll();
        }
        if (last) {
          return;
        }
      }
    } catch (TrackingException e) {
      LOG.error("run {}: sending to MLflow failed; the run stops sending: {}", runId(), e.getMessage());
      failure = e;
    } catch (InterruptedException e) {
      failure = new TrackingException("sender of run " + runId() + " was interrupted", e);
    } catch (RuntimeException | Error e) {
      failure = new TrackingException("sender of run " + runId() + " failed: " + e, e);
      LOG.error("run {}: sender failed", runId(), e);
    } finally {
      synchronized (lock) {
        lock.notifyAll();
      }
    }
  }

  /** Sends all queued points and pending tags; stops at the first request that fails for good. */
  private void sendPending() {
    do {
      List<MetricPoint> points = new ArrayList<>(Math.min(queue.size(), MAX_DRAIN));
      queue.drainTo(points, MAX_DRAIN);
      List<LogBatch.Entry> tags = new ArrayList<>();
      synchronized (lock) {
        pendingTags.forEach((k, v) -> tags.add(new LogBatch.Entry(k, v)));
        pendingTags.clear();
        if (nonFiniteDirty) {
          tags.add(new LogBatch.Entry(TrackingTags.NONFINITE_COUNT, Long.toString(nonFiniteCount)));
          tags.add(new LogBatch.Entry(TrackingTags.NONFINITE_LAST, MlflowNames.truncateTagValue(nonFiniteLast)));
          nonFiniteDirty = false;
        }
      }
      for (LogBatch batch : LogBatchChunker.split(points, List.of(), tags, BatchLimits.MLFLOW)) {
        client.logBatch(runId(), batch);
      }
    } while (!queue.isEmpty());
  }

  @Override
  public String toString() {
    return "MlflowTrialRun[" + runId() + "]";
  }
}
