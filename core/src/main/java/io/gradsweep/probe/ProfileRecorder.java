package io.gradsweep.probe;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps the profiles of a trial (training step x time step, per series) for its artifacts, in bounded memory: at
 * most {@code capacity} training steps are kept; when full, every second one is dropped and only every second
 * later offer is kept, so the kept steps stay evenly spread over the run. The first and the latest profile are
 * always kept.
 */
public final class ProfileRecorder {
  /** One captured profile. */
  public record Entry(long step, Map<String, double[]> series) {}

  private final int capacity;
  private final List<Entry> entries = new ArrayList<>();
  private Entry latest;
  private int stride = 1;
  private long offers;

  public ProfileRecorder(int capacity) {
    if (capacity < 4) {
      throw new IllegalArgumentException("capacity must be >= 4");
    }
    this.capacity = capacity;
  }

  public void offer(long step, Map<String, double[]> series) {
    Entry e = new Entry(step, new LinkedHashMap<>(series));
    latest = e;
    if (offers++ % stride != 0) {
      return;
    }
    if (entries.size() == capacity) {
      List<Entry> kept = new ArrayList<>();
      for (int i = 0; i < entries.size(); i += 2) {
        kept.add(entries.get(i));
      }
      entries.clear();
      entries.addAll(kept);
      stride *= 2;
      if ((offers - 1) % stride != 0) {
        return;
      }
    }
    entries.add(e);
  }

  /**
   * What a recorder holds, for a checkpoint: its stride, offers so far, the kept entries and the latest one.
   *
   * @param latest the latest offer, null before the first
   */
  public record State(int stride, long offers, List<Entry> entries, Entry latest) {
    public State {
      entries = List.copyOf(entries);
      if (stride < 1 || offers < 0) {
        throw new IllegalArgumentException("stride must be >= 1 and offers >= 0, got " + stride + ", " + offers);
      }
    }
  }

  /** This recorder's state (the entries are shared, not copied: they are never changed). */
  public State state() {
    return new State(stride, offers, entries, latest);
  }

  /** Takes the state of another recorder of the same capacity: later offers are kept as they would have been there. */
  public void restore(State s) {
    if (s.entries().size() > capacity) {
      throw new IllegalArgumentException("a state of " + s.entries().size() + " entries does not fit a recorder of "
          + capacity);
    }
    entries.clear();
    entries.addAll(s.entries());
    stride = s.stride();
    offers = s.offers();
    Entry last = entries.isEmpty() ? null : entries.get(entries.size() - 1);
    latest = last != null && s.latest() != null && last.step() == s.latest().step() ? last : s.latest();
  }

  /** The kept profiles in step order, with the latest one last. */
  public List<Entry> entries() {
    List<Entry> out = new ArrayList<>(entries);
    if (latest != null && (out.isEmpty() || out.get(out.size() - 1) != latest)) {
      out.add(latest);
    }
    return out;
  }

  /** CSV: {@code train_step,series,t0,...,t<T-1>}, one row per kept step and series. */
  public byte[] toCsv() {
    StringBuilder sb = new StringBuilder();
    int width = 0;
    for (Entry e : entries()) {
      for (double[] v : e.series().values()) {
        width = Math.max(width, v.length);
      }
    }
    sb.append("train_step,series");
    for (int t = 0; t < width; t++) {
      sb.append(",t").append(t);
    }
    sb.append('\n');
    for (Entry e : entries()) {
      for (Map.Entry<String, double[]> s : e.series().entrySet()) {
        sb.append(e.step()).append(',').append(s.getKey());
        for (double v : s.getValue()) {
          sb.append(',').append(v);
        }
        sb.append('\n');
      }
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }
}
