package io.gradsweep.tracking.mlflow;

import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.SpoolBacklog;
import io.gradsweep.tracking.TrackingException;
import io.gradsweep.tracking.TrialRun;
import io.gradsweep.tracking.spool.SegmentLog;
import io.gradsweep.tracking.spool.SpoolBudget;
import io.gradsweep.tracking.spool.SpoolClock;
import io.gradsweep.tracking.spool.SpoolMeta;
import io.gradsweep.tracking.spool.SpoolRecord;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A trial's MLflow run. {@link #logMetric}, {@link #setTag}, {@link #logArtifact} and {@link #finish}'s end of the
 * run are appended to the run's disk spool ({@link SegmentLog}) and never wait for the network; a daemon thread of
 * this run sends the spool in order ({@link SpoolSender}) whenever {@link MlflowTrackingSink.Settings#flushThreshold()}
 * records are waiting or {@link MlflowTrackingSink.Settings#flushInterval()} has passed, and acknowledges what the
 * server stored.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>Every metric point is stored exactly once, in the order logged: its timestamp (ms) is fixed when it is
 *       logged and never decreases within a run, so resending a group whose answer was lost adds nothing (see
 *       {@link SpoolSender}), and MLflow's history order (timestamp, step) is the logging order.
 *   <li>Server outages: connection errors, HTTP 429 and 5xx are retried with exponential backoff, at most
 *       {@link MlflowTrackingSink.Spool#maxBackoff()} apart (so a server that is back is used again within that
 *       time), for up to {@link MlflowTrackingSink.Spool#giveUpAfter()} of failing in a row. Meanwhile training goes
 *       on and records wait on disk. When the spool is full ({@link MlflowTrackingSink.Spool#maxBytes()} for all
 *       runs of the JVM), logging calls wait for the sender (backpressure; a log line says so).
 *   <li>When the sender gives up, the records stay in the spool and logging calls keep appending (unless the spool
 *       is full: then they throw). {@link #finish} then returns normally and {@link #undelivered()} says how many
 *       records are left and where; {@code gradsweep replay} sends them later and ends the run as logged.
 *   <li>A request the server refuses for good (HTTP 4xx other than 429) stops sending: later logging calls throw,
 *       {@link #finish} ends the run FAILED (with tag {@value Names.Tag#TRACKING_ERROR}, best effort) and throws.
 *       The spool is kept for inspection.
 *   <li>Non-finite values (NaN, +-Inf) are not sent as points (JSON has no NaN; servers and the UI's charts treat
 *       it inconsistently). The run counts them in tag {@value Names.Tag#NONFINITE_COUNT} and keeps the last one
 *       in {@value Names.Tag#NONFINITE_LAST}.
 *   <li>Keys are mapped by {@link MlflowKeys} (via a per-run {@link KeyMapper}); tag values are cut to
 *       {@value MlflowKeys#MAX_TAG_VALUE_LENGTH} characters.
 * </ul>
 *
 * <p>Thread-safe. After {@link #finish}, logging calls throw {@link TrackingException}.
 */
public final class MlflowTrialRun implements TrialRun {
  private static final Logger LOG = LoggerFactory.getLogger(MlflowTrialRun.class);

  private final MlflowRestClient client;
  private final MlflowRestClient.RunInfo run;
  private final String uiUrl;
  private final MlflowTrackingSink.Settings settings;
  private final SpoolClock clock;
  private final Consumer<MlflowTrialRun> onFinish;
  private final SegmentLog spool;
  private final SpoolSender spoolSender;
  private final RetryPolicy outagePolicy;

  private final KeyMapper metricKeys = new KeyMapper();
  private final KeyMapper tagKeys = new KeyMapper();
  private final AtomicLong lastTimestamp = new AtomicLong(Long.MIN_VALUE);
  private final AtomicBoolean finished = new AtomicBoolean();
  private final Thread sender;

  /** Guards the fields below and is the sender's wake-up signal. */
  private final Object lock = new Object();
  private long nonFiniteCount;
  private boolean closing;
  private long appended;
  private long acked;
  private boolean flushRequested;
  private boolean delivered;

  private volatile TrackingException failure;
  private volatile String gaveUp;
  private volatile SpoolBacklog backlog;

  MlflowTrialRun(MlflowRestClient client, MlflowRestClient.RunInfo run, MlflowTrackingSink.Settings settings,
      SpoolBudget budget, SpoolClock clock, Consumer<MlflowTrialRun> onFinish) {
    this.client = client;
    this.run = run;
    this.uiUrl = client.uiUrl(run.experimentId(), run.runId());
    this.settings = settings;
    this.clock = clock;
    this.onFinish = onFinish;
    MlflowTrackingSink.Spool s = settings.spool();
    this.spool = SegmentLog.create(s.root(), new SpoolMeta(run.runId(), run.experimentId(), run.artifactUri(),
        client.uri(), MlflowTrackingSink.Spool.HOST, clock.millis()), budget,
        s.segmentBytes());
    this.spoolSender = new SpoolSender(spool, client);
    this.outagePolicy = new RetryPolicy(s.giveUpAfter(), Duration.ofMillis(Math.min(250, s.maxBackoff().toMillis())),
        s.maxBackoff());
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

  /** The directory of this run's spool. */
  public java.nio.file.Path spoolDirectory() {
    return spool.directory();
  }

  @Override
  public void logMetric(String key, double value, long step) {
    checkUsable();
    String k = metricKeys.map(key);
    if (!Double.isFinite(value)) {
      long count;
      synchronized (lock) {
        count = ++nonFiniteCount;
      }
      append(new SpoolRecord.Tag(Names.Tag.NONFINITE_COUNT, Long.toString(count)));
      append(new SpoolRecord.Tag(Names.Tag.NONFINITE_LAST,
          MlflowKeys.truncateTagValue(Names.Tag.describeNonFinite(k, step, value))));
      return;
    }
    long ts = lastTimestamp.accumulateAndGet(clock.millis(), Math::max);
    append(new SpoolRecord.Metric(k, value, ts, step));
  }

  @Override
  public void setTag(String key, String value) {
    checkUsable();
    append(new SpoolRecord.Tag(tagKeys.map(key), MlflowKeys.truncateTagValue(value)));
  }

  /** Spools the file; it is uploaded in order with the rest. */
  @Override
  public void logArtifact(String path, byte[] content) {
    checkUsable();
    MlflowKeys.checkArtifactPath(path);
    append(new SpoolRecord.Artifact(path, content.clone()));
  }

  private void append(SpoolRecord rec) {
    try {
      spool.append(rec, this::senderWorking);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrackingException("interrupted while waiting for room in the spool of run " + runId(), e);
    }
    synchronized (lock) {
      appended++;
      if (appended - acked >= settings.flushThreshold()) {
        lock.notifyAll();
      }
    }
  }

  private boolean senderWorking() {
    return failure == null && gaveUp == null && sender.isAlive();
  }

  /**
   * Blocks until everything logged before this call is stored.
   *
   * @throws TrackingException if the sender gave up or the server refused a request
   */
  public void flush() {
    checkUsable();
    synchronized (lock) {
      long target = appended;
      flushRequested = true;
      lock.notifyAll();
      try {
        while (acked < target && senderWorking()) {
          lock.wait(100);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TrackingException("interrupted while flushing run " + runId(), e);
      }
      if (acked < target && gaveUp != null) {
        throw new TrackingException("run " + runId() + ": " + gaveUp);
      }
    }
    checkUsable();
  }

  /**
   * Spools the run's end (FINISHED when {@code success}, else FAILED) and waits until the sender has delivered
   * everything, or has given up (then returns normally: see {@link #undelivered()}). Idempotent.
   *
   * @throws TrackingException if the server refused a request for good; the run is then ended FAILED (best effort)
   */
  @Override
  public void finish(boolean success) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    try {
      if (failure == null) {
        // the end never waits for room: it is small, and without it a replay could not end the run
        spool.appendUnbudgeted(new SpoolRecord.End(success ? "FINISHED" : "FAILED", clock.millis()));
        synchronized (lock) {
          appended++;
        }
      }
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
      TrackingException problem = failure;
      if (problem != null) {
        spool.close();
        endFailedDirectly(problem);
        throw new TrackingException("run " + runId() + " ended FAILED; not everything was stored (the records are "
            + "kept in " + spool.directory() + "): " + problem.getMessage(), problem);
      }
      if (!delivered) {
        long left;
        synchronized (lock) {
          left = appended - acked;
        }
        spool.close();
        backlog = new SpoolBacklog(runId(), client.uri(), MlflowTrackingSink.Spool.HOST,
            settings.spool().root().toString(), left);
        LOG.error("run {}: {}; {} records are kept in {} on {}: send them later with "
            + "jobs/bin/gradsweep replay --tracking-uri {} {}", runId(), gaveUp, left, spool.directory(),
            MlflowTrackingSink.Spool.HOST, client.uri(), settings.spool().root());
      }
    } finally {
      onFinish.accept(this);
    }
  }

  /**
   * Waits until the sender has delivered everything logged so far, then stops it and releases the run without an
   * end record: it stays RUNNING for the trial's next segment. The spool is deleted once all is delivered.
   *
   * @throws TrackingException when the sender gave up or the server refused a request (the records stay in the
   *     spool for {@code gradsweep replay}; the trial's next segment would not find its checkpoint)
   */
  @Override
  public void suspend() {
    if (!finished.compareAndSet(false, true)) {
      throw new TrackingException("run " + runId() + " is already finished or suspended");
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
        throw new TrackingException("interrupted while suspending run " + runId(), e);
      }
      long left;
      synchronized (lock) {
        left = appended - acked;
      }
      if (failure != null || left > 0) {
        spool.close();
        String why = failure != null ? failure.getMessage() : gaveUp;
        throw new TrackingException("run " + runId() + " could not store everything before pausing (" + left
            + " records kept in " + spool.directory() + "): " + why);
      }
      spool.delete();
    } finally {
      onFinish.accept(this);
    }
  }

  @Override
  public SpoolBacklog undelivered() {
    return backlog;
  }

  private void endFailedDirectly(TrackingException problem) {
    try {
      client.logBatch(runId(), new LogBatch(List.of(), List.of(), List.of(new LogBatch.Entry(
          Names.Tag.TRACKING_ERROR, MlflowKeys.truncateTagValue(problem.getMessage())))));
    } catch (TrackingException e) {
      problem.addSuppressed(e);
    }
    try {
      client.updateRun(runId(), "FAILED", clock.millis());
    } catch (TrackingException e) {
      problem.addSuppressed(e);
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
    long outageStart = 0;
    int retry = 0;
    String lastError = null;
    try {
      while (true) {
        boolean last;
        synchronized (lock) {
          // a wait on the monitor that logging calls notify: on the system's time, not the injected clock's
          long wakeAt = System.nanoTime() + intervalNanos;
          while (!closing && !flushRequested && appended - acked < settings.flushThreshold()) {
            long waitNanos = wakeAt - System.nanoTime();
            if (waitNanos <= 0) {
              break;
            }
            TimeUnit.NANOSECONDS.timedWait(lock, waitNanos);
          }
          last = closing;
          flushRequested = false;
        }
        // send everything written so far
        while (true) {
          int n;
          try {
            n = spoolSender.sendNext();
          } catch (TrackingException e) {
            if (SpoolSender.permanent(e)) {
              throw e;
            }
            long now = clock.nanoTime();
            if (retry == 0) {
              outageStart = now;
              LOG.warn("run {}: MLflow at {} does not take records ({}); they wait in {}; retrying with backoff "
                  + "(at most {} s apart) for up to {} s", runId(), client.uri(), e.getMessage(), spool.directory(),
                  outagePolicy.maxBackoff().toSeconds(), outagePolicy.budget().toSeconds());
            }
            retry++;
            lastError = e.getMessage();
            Duration delay = outagePolicy.delay(retry, OptionalLong.empty(), ThreadLocalRandom.current());
            Duration elapsed = Duration.ofNanos(now - outageStart);
            if (!outagePolicy.withinBudget(elapsed, delay)) {
              gaveUp = String.format("gave up sending to MLflow at %s after %d attempts in %.0f s (last error: %s)",
                  client.uri(), retry, elapsed.toMillis() / 1000.0, lastError);
              LOG.error("run {}: {}; the records stay in {}", runId(), gaveUp, spool.directory());
              return;
            }
            clock.sleep(delay);
            continue;
          }
          if (n == 0) {
            break;
          }
          if (retry > 0) {
            LOG.warn("run {}: MLflow at {} takes records again after {} s; sending the spooled ones", runId(),
                client.uri(), (clock.nanoTime() - outageStart) / 1_000_000_000L);
            retry = 0;
          }
          boolean end = spoolSender.endStatus() != null;
          synchronized (lock) {
            acked += n;
            if (end) {
              delivered = true;
            }
            lock.notifyAll();
          }
          if (end) {
            spool.delete();
            return;
          }
        }
        if (last) {
          return; // closing, and the end record was not in the spool (the run had failed)
        }
      }
    } catch (TrackingException e) {
      LOG.error("run {}: MLflow at {} refused a request; the run stops sending: {}", runId(), client.uri(),
          e.getMessage());
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

  @Override
  public String toString() {
    return "MlflowTrialRun[" + runId() + "]";
  }
}
