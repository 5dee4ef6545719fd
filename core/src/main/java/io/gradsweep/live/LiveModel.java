package io.gradsweep.live;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the live view shows, assembled from what the trials log to the tracking backend, and handed to the page in
 * increments. Every change gets a version number; {@link #since(long)} returns only what changed after the
 * version the page already has: for a trial, its header (status, clip rate, baseline, factors) and the heatmap rows
 * and loss points it did not have yet.
 *
 * <p>A heatmap row is one gradient profile: the {@link #BUCKETS} bucket metrics
 * {@code profile/<layer>/dh_b00 .. _b15} of the trial's top layer at one training step. A row is complete once
 * every bucket has a point at its step, or once some bucket has a later point (a non-finite value is never stored,
 * so its cell stays empty, as in the PNG heatmap).
 *
 * <p>Thread-safe: the poller writes, the HTTP server reads.
 */
public final class LiveModel {
  /** The profile's buckets over time steps (b00 .. b15; b15 next to the loss). */
  public static final int BUCKETS = 16;
  /** How many heatmap rows a trial keeps (the oldest are dropped beyond): a bound on the page's memory. */
  public static final int MAX_ROWS = 2000;
  /** How many loss points a trial keeps. */
  public static final int MAX_LOSS_POINTS = 5000;

  private static final Pattern PROFILE_BUCKET = Pattern.compile(
      Pattern.quote(Names.Prefix.PROFILE) + "layer(\\d+)/dh_b(\\d+)");

  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, Trial> trials = new LinkedHashMap<>();
  private long version;
  private String sweepName = "";
  private String parentRun;
  private String sweepStatus = "WAITING";
  private String message;
  private long sweepVersion;
  private List<String> order = List.of();
  private SweptFactors factors = new SweptFactors(List.of());
  private long orderVersion;

  /** A heatmap row: the profile at training step {@code step}; a null cell has no finite value. */
  public record Row(long step, Double[] cells) {
    public Row {
      Objects.requireNonNull(cells, "cells");
    }
  }

  /** The sweep's name, its parent run's address (null when not known yet) and status (WAITING, RUNNING, ...). */
  public synchronized void sweep(String name, String parentRunAddress, String status) {
    if (!Objects.equals(name, sweepName) || !Objects.equals(parentRunAddress, parentRun)
        || !Objects.equals(status, sweepStatus)) {
      sweepName = name;
      parentRun = parentRunAddress;
      sweepStatus = status;
      sweepVersion = ++version;
    }
  }

  /** A line the page shows above the panels (e.g. the tracking backend is not answering); null clears it. */
  public synchronized void message(String text) {
    if (!Objects.equals(text, message)) {
      message = text;
      sweepVersion = ++version;
    }
  }

  /** The latest version; the page asks for what changed after it. */
  public synchronized long version() {
    return version;
  }

  /**
   * Takes in the trial runs of the sweep (any status; superseded attempts are left out): their status, outcome,
   * clip rate, baseline and params, and the order of the strip.
   */
  public synchronized void runs(List<RunSnapshot> runs) {
    List<RunSnapshot> kept = runs.stream()
        .filter(r -> !"true".equals(r.tags().get(Names.Tag.SUPERSEDED)) && !r.tags().containsKey(
            Names.Tag.DUPLICATE_OF)).toList();
    SweptFactors f = SweptFactors.of(kept.stream().map(RunSnapshot::params).toList());
    boolean factorsChanged = !f.equals(factors);
    factors = f;
    for (RunSnapshot r : kept) {
      Trial t = trials.computeIfAbsent(r.runId(), Trial::new);
      Header h = Header.of(r, f, topSeries(r.metrics().keySet()).orElse(t.header == null ? null : t.header.series));
      if (!h.equals(t.header)) {
        t.header = h;
        t.headerVersion = ++version;
      }
      t.latestFirstBucket = h.series == null ? null : r.metrics().get(bucketKey(h.series, 0));
      t.latestFirstBucketStep = h.series == null ? null : r.metricSteps().get(bucketKey(h.series, 0));
      t.latestLoss = r.metrics().get(Names.Metric.EVAL_LOSS);
      t.latestLossStep = r.metricSteps().get(Names.Metric.EVAL_LOSS);
    }
    List<String> newOrder = kept.stream()
        .sorted(Comparator.comparing((RunSnapshot r) -> r.params(), f.order()).thenComparing(RunSnapshot::runName)
            .thenComparingLong(RunSnapshot::startTime))
        .map(RunSnapshot::runId).toList();
    if (factorsChanged || !newOrder.equals(order)) {
      order = newOrder;
      orderVersion = ++version;
    }
  }

  /**
   * The top layer's hidden-state series of a run ({@code layer<N>/dh}, largest N) from its metric keys, if it
   * logged a profile yet.
   */
  static Optional<String> topSeries(Iterable<String> metricKeys) {
    int top = -1;
    for (String k : metricKeys) {
      Matcher m = PROFILE_BUCKET.matcher(k);
      if (m.matches()) {
        top = Math.max(top, Integer.parseInt(m.group(1)));
      }
    }
    return top < 0 ? Optional.empty() : Optional.of("layer" + top + "/dh");
  }

  /** The metric key of bucket {@code b} of {@code series}, e.g. {@code profile/layer0/dh_b03}. */
  public static String bucketKey(String series, int b) {
    return Names.Prefix.PROFILE + series + String.format("_b%02d", b);
  }

  /** The series of a trial's heatmap, if known (its run logged a profile). */
  public synchronized Optional<String> series(String runId) {
    Trial t = trials.get(runId);
    return t == null || t.header == null ? Optional.empty() : Optional.ofNullable(t.header.series);
  }

  /** The step of the trial's last heatmap row; -1 before the first. */
  public synchronized long lastRowStep(String runId) {
    Trial t = trials.get(runId);
    return t == null || t.rows.isEmpty() ? -1 : t.rows.get(t.rows.size() - 1).item.step();
  }

  /** The step of the trial's last loss point; -1 before the first. */
  public synchronized long lastLossStep(String runId) {
    Trial t = trials.get(runId);
    return t == null || t.loss.isEmpty() ? -1 : t.loss.get(t.loss.size() - 1).item.step();
  }

  /**
   * Adds the heatmap rows that {@code buckets} (bucket index to that bucket's points, ordered by step) complete
   * after the trial's last row: steps at or before the earliest "latest step" of the buckets, or every step when
   * {@code ended} (the run logs nothing more).
   *
   * @return how many rows were added
   */
  public synchronized int addProfile(String runId, Map<Integer, List<MetricPoint>> buckets, boolean ended) {
    Trial t = trials.get(runId);
    if (t == null) {
      return 0;
    }
    long last = lastRowStep(runId);
    long upTo = Long.MAX_VALUE;
    TreeMap<Long, Double[]> byStep = new TreeMap<>();
    for (int b = 0; b < BUCKETS; b++) {
      List<MetricPoint> points = buckets.getOrDefault(b, List.of());
      long latest = -1;
      for (MetricPoint p : points) {
        latest = Math.max(latest, p.step());
        if (p.step() > last) {
          byStep.computeIfAbsent(p.step(), s -> new Double[BUCKETS])[b] =
              Double.isFinite(p.value()) && p.value() > 0 ? p.value() : null;
        }
      }
      upTo = Math.min(upTo, latest);
    }
    int added = 0;
    for (Map.Entry<Long, Double[]> e : byStep.entrySet()) {
      boolean full = java.util.Arrays.stream(e.getValue()).allMatch(Objects::nonNull);
      if (!(ended || full || e.getKey() <= upTo)) {
        break; // later buckets of this row may still come
      }
      t.rows.add(new Versioned<>(new Row(e.getKey(), e.getValue()), ++version));
      added++;
    }
    trim(t.rows, MAX_ROWS);
    return added;
  }

  /** Adds the loss points after the trial's last one. */
  public synchronized int addLoss(String runId, List<MetricPoint> points) {
    Trial t = trials.get(runId);
    if (t == null) {
      return 0;
    }
    long last = lastLossStep(runId);
    int added = 0;
    for (MetricPoint p : points) {
      if (p.step() > last && Double.isFinite(p.value())) {
        t.loss.add(new Versioned<>(p, ++version));
        last = p.step();
        added++;
      }
    }
    trim(t.loss, MAX_LOSS_POINTS);
    return added;
  }

  /**
   * Whether the trial may have profile rows this model lacks: it ended and was not caught up, or the latest value
   * of its first bucket (from {@link #runs}: the backend's latest value, at the largest step) is not the one of
   * this model's last row. Two profiles at different steps with the very same first bucket are taken as one, which
   * at worst delays a row until the next one: the next read starts after the last row this model has.
   */
  public synchronized boolean profileStale(String runId) {
    Trial t = trials.get(runId);
    if (t == null || t.header == null || t.header.series == null || t.caughtUp) {
      return false;
    }
    if (ended(runId)) {
      return true;
    }
    if (t.latestFirstBucket == null) {
      return false;
    }
    if (t.rows.isEmpty()) {
      return true;
    }
    Row last = t.rows.get(t.rows.size() - 1).item;
    // by step where the backend gives it: a vanished gradient logs equal first buckets (0) profile after profile
    return t.latestFirstBucketStep != null ? t.latestFirstBucketStep > last.step()
        : !t.latestFirstBucket.equals(last.cells()[0]);
  }

  /** As {@link #profileStale} for {@code eval/loss}. */
  public synchronized boolean lossStale(String runId) {
    Trial t = trials.get(runId);
    if (t == null || t.header == null || t.caughtUp) {
      return false;
    }
    if (ended(runId)) {
      return true;
    }
    if (t.latestLoss == null) {
      return false;
    }
    if (t.loss.isEmpty()) {
      return true;
    }
    return t.latestLossStep != null ? t.latestLossStep > t.loss.get(t.loss.size() - 1).item.step()
        : t.latestLoss != t.loss.get(t.loss.size() - 1).item.value();
  }

  /** Marks that a trial that ended has all its points: the poller reads it no more. */
  public synchronized void caughtUp(String runId) {
    Trial t = trials.get(runId);
    if (t != null) {
      t.caughtUp = true;
    }
  }

  /** The run ids the poller still reads points of: running trials, and ended ones not caught up yet. */
  public synchronized List<String> toRead() {
    return trials.values().stream().filter(t -> t.header != null && !t.caughtUp).map(t -> t.runId).toList();
  }

  /** Whether the trial's run has ended (any status but RUNNING). */
  public synchronized boolean ended(String runId) {
    Trial t = trials.get(runId);
    return t != null && t.header != null && !RunSnapshot.RUNNING.equals(t.header.status);
  }

  /**
   * What changed after version {@code since} (0: everything), as the page reads it: {@code version}, the sweep
   * (when it changed), {@code order} of the strip and {@code factors} (when they changed), and the trials that
   * changed, each with its header and only its new rows and loss points. A {@code since} beyond the current
   * version (the page outlived an earlier driver) gets everything, flagged {@code reset}.
   */
  public synchronized ObjectNode since(long since) {
    ObjectNode out = json.createObjectNode();
    boolean reset = since > version;
    long from = reset ? 0 : since;
    out.put("version", version);
    out.put("reset", reset || from == 0);
    out.put("buckets", BUCKETS);
    if (sweepVersion > from) {
      ObjectNode s = out.putObject("sweep");
      s.put("name", sweepName);
      s.put("parentRun", parentRun);
      s.put("status", sweepStatus);
      s.put("message", message);
    }
    if (orderVersion > from) {
      ArrayNode o = out.putArray("order");
      order.forEach(o::add);
      ArrayNode f = out.putArray("factors");
      factors.keys().forEach(f::add);
    }
    ArrayNode ts = out.putArray("trials");
    for (Trial t : trials.values()) {
      if (t.header == null || t.lastVersion() <= from) {
        continue;
      }
      ObjectNode n = ts.addObject();
      Header h = t.header;
      n.put("id", t.runId);
      n.put("name", h.name);
      n.put("status", h.status);
      n.put("outcome", h.outcome);
      n.put("series", h.series);
      putNumber(n, "clipRate", h.clipRate);
      putNumber(n, "baseline", h.baseline);
      ObjectNode fv = n.putObject("factors");
      h.factors.forEach(fv::put);
      ArrayNode rows = n.putArray("rows");
      for (Versioned<Row> r : after(t.rows, from)) {
        ArrayNode row = rows.addArray();
        row.add(r.item.step());
        for (Double c : r.item.cells()) {
          if (c == null) {
            row.addNull();
          } else {
            row.add(c);
          }
        }
      }
      ArrayNode loss = n.putArray("loss");
      for (Versioned<MetricPoint> p : after(t.loss, from)) {
        loss.addArray().add(p.item.step()).add(p.item.value());
      }
    }
    return out;
  }

  private static void putNumber(ObjectNode n, String field, Double v) {
    if (v == null || !Double.isFinite(v)) {
      n.putNull(field);
    } else {
      n.put(field, v);
    }
  }

  /** The items of a list in version order after {@code from}. */
  private static <T> List<Versioned<T>> after(List<Versioned<T>> items, long from) {
    int i = items.size();
    while (i > 0 && items.get(i - 1).version > from) {
      i--;
    }
    return items.subList(i, items.size());
  }

  private static <T> void trim(List<T> list, int max) {
    if (list.size() > max) {
      list.subList(0, list.size() - max).clear();
    }
  }

  private record Versioned<T>(T item, long version) {}

  /** What the page shows of a trial besides its series. */
  private record Header(String name, String status, String outcome, String series, Double clipRate, Double baseline,
      Map<String, String> factors) {

    static Header of(RunSnapshot r, SweptFactors f, String series) {
      Double clip = r.metrics().get(Names.Metric.FINAL_CLIP_RATE);
      if (clip == null) {
        clip = r.metrics().get(Names.Metric.GRAD_CLIPPED);
      }
      return new Header(r.runName(), r.status(), r.tags().get(Names.Tag.STATUS), series, clip,
          r.metrics().get(Names.Metric.EVAL_BASELINE_LOSS), f.valuesOf(r.params()));
    }
  }

  private static final class Trial {
    final String runId;
    Header header;
    long headerVersion;
    boolean caughtUp;
    Double latestFirstBucket;
    /** The step of {@link #latestFirstBucket}, null when the backend does not say. */
    Long latestFirstBucketStep;
    Double latestLoss;
    /** The step of {@link #latestLoss}, null when the backend does not say. */
    Long latestLossStep;
    final List<Versioned<Row>> rows = new ArrayList<>();
    final List<Versioned<MetricPoint>> loss = new ArrayList<>();

    Trial(String runId) {
      this.runId = runId;
    }

    long lastVersion() {
      long v = headerVersion;
      if (!rows.isEmpty()) {
        v = Math.max(v, rows.get(rows.size() - 1).version);
      }
      if (!loss.isEmpty()) {
        v = Math.max(v, loss.get(loss.size() - 1).version);
      }
      return v;
    }
  }
}
