package io.gradsweep.live;

import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingException;
import io.gradsweep.tracking.TrackingSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Fills a {@link LiveModel} from the tracking backend, read-only: one search for the sweep's trial runs (their
 * status and latest values), then, for the trials whose latest values are newer than what the model has (and once
 * more for a trial that just ended), only the points after those it already has: the {@link LiveModel#BUCKETS}
 * profile buckets of its top layer and {@code eval/loss}, one request per metric key for up to 100 runs
 * ({@link TrackingSink#metricHistory}). A round where no trial logged anything new is one search.
 *
 * <p>{@link #pollOnce()} is one round; {@link #start} runs rounds on a daemon thread every {@code interval}
 * (at least {@link #MIN_INTERVAL}) until {@link #close}.
 */
public final class LivePoller implements AutoCloseable {
  /** The shortest time between two rounds: the page is never updated more often. */
  public static final Duration MIN_INTERVAL = Duration.ofSeconds(2);

  private final TrackingSink sink;
  private final LiveModel model;
  private final Supplier<Optional<SweepRun>> sweep;
  private final AtomicReference<String> sweepName;
  private volatile Thread thread;
  private volatile boolean closed;

  /**
   * @param sink the backend to read (the caller owns it; it must not be used by another thread meanwhile)
   * @param sweep the sweep's parent run once it exists (empty before: the page says it waits)
   */
  public LivePoller(TrackingSink sink, LiveModel model, String sweepName, Supplier<Optional<SweepRun>> sweep) {
    this.sink = Objects.requireNonNull(sink, "sink");
    this.model = Objects.requireNonNull(model, "model");
    this.sweep = Objects.requireNonNull(sweep, "sweep");
    this.sweepName = new AtomicReference<>(Objects.requireNonNull(sweepName, "sweepName"));
  }

  /**
   * One round. A failure of the backend is shown on the page (and returned), not thrown: the next round tries
   * again.
   *
   * @return the error message of this round, if it failed
   */
  public Optional<String> pollOnce() {
    Optional<SweepRun> run = sweep.get();
    if (run.isEmpty()) {
      model.sweep(sweepName.get(), null, "WAITING");
      return Optional.empty();
    }
    try {
      SweepRun s = run.get();
      RunSnapshot parent = sink.sweepSnapshot(s);
      model.sweep(sweepName.get(), s.uiUrl(), parent.status());
      model.runs(sink.trialRuns(s));
      readPoints();
      model.message(null);
      return Optional.empty();
    } catch (TrackingException e) {
      String m = "the tracking backend did not answer: " + e.getMessage() + " (trying again)";
      model.message(m);
      return Optional.of(m);
    }
  }

  /**
   * New points of the trials whose latest values show points this model lacks ({@link LiveModel#profileStale}),
   * grouped by series, and in groups of runs with near steps (sorted by their last row), so that one request per
   * metric key covers up to {@link #RUNS_PER_READ} runs and asks from the earliest step of its group.
   */
  private void readPoints() {
    List<String> ids = model.toRead();
    Map<String, Boolean> ended = new LinkedHashMap<>();
    ids.forEach(id -> ended.put(id, model.ended(id))); // before reading: a run that ends meanwhile is read again
    Map<String, List<String>> bySeries = new LinkedHashMap<>();
    for (String id : ids) {
      if (model.profileStale(id)) {
        model.series(id).ifPresent(series -> bySeries.computeIfAbsent(series, k -> new ArrayList<>()).add(id));
      }
    }
    for (Map.Entry<String, List<String>> e : bySeries.entrySet()) {
      for (List<String> runs : groups(e.getValue(), model::lastRowStep)) {
        long from = model.lastRowStep(runs.get(0)) + 1;
        Map<String, Map<Integer, List<MetricPoint>>> perRun = new LinkedHashMap<>();
        for (int b = 0; b < LiveModel.BUCKETS; b++) {
          int bucket = b;
          sink.metricHistory(runs, LiveModel.bucketKey(e.getKey(), b), from).forEach((id, points) ->
              perRun.computeIfAbsent(id, k -> new LinkedHashMap<>()).put(bucket, points));
        }
        for (String id : runs) {
          model.addProfile(id, perRun.getOrDefault(id, Map.of()), ended.get(id));
        }
      }
    }
    List<String> lossStale = ids.stream().filter(model::lossStale).toList();
    for (List<String> runs : groups(lossStale, model::lastLossStep)) {
      long from = model.lastLossStep(runs.get(0)) + 1;
      sink.metricHistory(runs, Names.Metric.EVAL_LOSS, from).forEach(model::addLoss);
    }
    ended.forEach((id, done) -> {
      if (done) {
        model.caughtUp(id);
      }
    });
  }

  /** Most runs one read names (MLflow's limit for one history request). */
  static final int RUNS_PER_READ = 100;

  /** Runs sorted by their last step, in groups of at most {@link #RUNS_PER_READ}: the first has the earliest. */
  static List<List<String>> groups(List<String> runs, java.util.function.ToLongFunction<String> lastStep) {
    List<String> sorted = runs.stream().sorted(java.util.Comparator.comparingLong(lastStep)).toList();
    List<List<String>> out = new ArrayList<>();
    for (int i = 0; i < sorted.size(); i += RUNS_PER_READ) {
      out.add(sorted.subList(i, Math.min(sorted.size(), i + RUNS_PER_READ)));
    }
    return out;
  }

  /** Runs {@link #pollOnce()} every {@code interval} (at least {@link #MIN_INTERVAL}) on a daemon thread. */
  public synchronized void start(Duration interval) {
    if (thread != null) {
      throw new IllegalStateException("already started");
    }
    long millis = Math.max(MIN_INTERVAL.toMillis(), interval.toMillis());
    thread = new Thread(() -> {
      while (!closed) {
        long t0 = System.nanoTime();
        try {
          pollOnce();
        } catch (RuntimeException e) {
          model.message("live view: " + e); // keep the page alive; the next round tries again
        }
        long left = millis - (System.nanoTime() - t0) / 1_000_000;
        try {
          Thread.sleep(Math.max(200, left));
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "gradsweep-live-poller");
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops the rounds and waits for the thread. */
  @Override
  public void close() {
    closed = true;
    Thread t = thread;
    if (t != null) {
      t.interrupt();
      try {
        t.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
