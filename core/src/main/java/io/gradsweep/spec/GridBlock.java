package io.gradsweep.spec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One grid to expand: the spec's {@code grid}, or one entry of {@code variants} with the grid's axes filled in.
 * Every {@link Axis} has a non-empty list of distinct, validated values (defaults included); the combination rules
 * (activation only for rnn, tbptt window within every seq_len) have been checked. A variant may also carry a
 * {@code data_parallel} setting (not an axis: one value for all its trials), see {@link #dataParallel()}.
 * Immutable.
 */
public final class GridBlock {
  /**
   * The values of one axis with the YAML nodes they were read from (for messages): {@code list} is the axis's
   * node and {@code nodes} has one node per value; both are absent ({@code null}, empty) for defaults.
   */
  record AxisValues(List<Object> values, List<SpecNode> nodes, SpecNode list) {
    AxisValues {
      values = List.copyOf(values);
      nodes = List.copyOf(nodes);
    }

    static AxisValues defaults(Axis axis) {
      return new AxisValues(axis.defaults(), List.of(), null);
    }

    String valuePath(int i) {
      return nodes.isEmpty() ? "the default" : nodes.get(i).path();
    }
  }

  private final String path;
  private final Map<Axis, AxisValues> axes;
  private final DataParallel dataParallel;

  GridBlock(String path, Map<Axis, AxisValues> axes) {
    this(path, axes, null);
  }

  /** A block whose trials are data-parallel with {@code dataParallel} (null: as the template says). */
  GridBlock(String path, Map<Axis, AxisValues> axes, DataParallel dataParallel) {
    this.path = path;
    this.dataParallel = dataParallel;
    EnumMap<Axis, AxisValues> copy = new EnumMap<>(Axis.class);
    copy.putAll(axes);
    for (Axis a : Axis.values()) {
      if (copy.get(a) == null || copy.get(a).values().isEmpty()) {
        throw new IllegalArgumentException(path + ": no values for axis " + a.key());
      }
    }
    this.axes = Collections.unmodifiableMap(copy);
  }

  /** Where the block is defined: {@code grid} or {@code variants[2]}. */
  public String path() {
    return path;
  }

  /**
   * The variant's own {@code data_parallel} ({@code variants[i].data_parallel}): its trials train data-parallel
   * with it. Empty for the grid and for variants without one (their trials follow {@code training.data_parallel}).
   */
  public Optional<DataParallel> dataParallel() {
    return Optional.ofNullable(dataParallel);
  }

  /** The values of an axis, in file order; see {@link Axis} for their Java types. */
  public List<Object> values(Axis axis) {
    return axes.get(axis).values();
  }

  /** The key path the axis's values were written at ({@code grid.hidden}), or empty when they are defaults. */
  public Optional<String> origin(Axis axis) {
    SpecNode list = axes.get(axis).list();
    return list == null ? Optional.empty() : Optional.of(list.path());
  }

  /**
   * Whether a sampled search draws this axis from a range: its value is a {@link Distribution}, or (clip) one of
   * its values is a {@link ClipRange}. A grid search cannot expand such an axis.
   */
  public boolean sampled(Axis axis) {
    return values(axis).stream().anyMatch(v -> v instanceof Distribution || v instanceof ClipRange);
  }

  /** The axes {@link #sampled(Axis)}, in canonical order. */
  public List<Axis> sampledAxes() {
    return axes.keySet().stream().filter(this::sampled).toList();
  }

  /** {@code " (source:line:column)"} of the axis's values for messages, or empty when they are defaults. */
  public String where(Axis axis) {
    SpecNode list = axes.get(axis).list();
    return list == null ? "" : list.where();
  }

  /** Number of points in the grid: the product of the axis sizes, saturating at {@link Long#MAX_VALUE}. */
  public long size() {
    long n = 1;
    for (AxisValues v : axes.values()) {
      n = multiplySaturated(n, v.values().size());
    }
    return n;
  }

  /** How {@link #size()} comes about, e.g. {@code cell 2 x seq_len 3 x seeds 2 = 12}; axes of size 1 are left out. */
  public String sizeFormula() {
    List<String> factors = new ArrayList<>();
    axes.forEach((a, v) -> {
      if (v.values().size() > 1) {
        factors.add(a.key() + " " + v.values().size());
      }
    });
    return factors.isEmpty() ? "1" : String.join(" x ", factors) + " = " + size();
  }

  /** The values of all axes as canonical text, e.g. {@code cell=[rnn, lstm] seq_len=[10]...}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(path).append('{');
    String sep = "";
    for (Map.Entry<Axis, AxisValues> e : axes.entrySet()) {
      sb.append(sep).append(e.getKey().key()).append('=').append(text(e.getKey(), e.getValue().values()));
      sep = ", ";
    }
    if (dataParallel != null) {
      sb.append(", data_parallel=").append(dataParallel.canonical());
    }
    return sb.append('}').toString();
  }

  /** The values of an axis for messages and params: {@code [v1, v2]} in canonical text; a distribution alone as written: {@code {log_uniform: [0.0001, 0.1]}}. */
  public static String text(Axis axis, List<Object> values) {
    if (values.size() == 1 && values.get(0) instanceof Distribution d) {
      return d.canonical();
    }
    return values.stream().map(axis::text).collect(Collectors.joining(", ", "[", "]"));
  }

  static long multiplySaturated(long a, long b) {
    long hi = Math.multiplyHigh(a, b);
    long lo = a * b;
    return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
  }
}
