package io.gradsweep.train;

import io.gradsweep.tracking.Names;
import java.util.DoubleSummaryStatistics;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The logging budget of the step series: values of consecutive training steps are aggregated over a window of
 * {@code window} steps and logged once per window, at its last step. Aggregation, never subsampling: each series
 * keeps its window mean under its own key, and a gradient norm also its window maximum under
 * {@code <key>}{@value Names.Suffix#WINDOW_MAX}, so a single-step explosion stays in the logged series. A 0/1 series
 * (was the step clipped?) becomes the share of steps in the window.
 *
 * <p>With a window of one step the means are the step values themselves and the maxima equal them.
 */
public final class StepWindow {
  private final int window;
  /**
   * One series of the window: its values so far (aggregated, and raw for a checkpoint: the statistics' compensated
   * sum cannot be set from outside), and whether its maximum is logged too.
   */
  private record Series(DoubleSummaryStatistics values, boolean withMax, Raw raw) {}

  /** A series' values in step order. */
  private static final class Raw {
    double[] v = new double[8];
    int n;

    void add(double d) {
      if (n == v.length) {
        v = java.util.Arrays.copyOf(v, n * 2);
      }
      v[n++] = d;
    }
  }

  private final Map<String, Series> series = new LinkedHashMap<>();
  private int steps;
  private int lastStep;

  public StepWindow(int window) {
    if (window < 1) {
      throw new IllegalArgumentException("window must be >= 1 step, got " + window);
    }
    this.window = window;
  }

  int window() {
    return window;
  }

  /** Adds one step's value of a series logged as its window mean. */
  public void mean(String key, double value) {
    add(key, value, false);
  }

  /** Adds one step's value of a series logged as its window mean and maximum (gradient norms). */
  public void meanAndMax(String key, double value) {
    add(key, value, true);
  }

  private void add(String key, double value, boolean max) {
    Series s = series.computeIfAbsent(key, k -> new Series(new DoubleSummaryStatistics(), max, new Raw()));
    s.values().accept(value);
    s.raw().add(value);
  }

  /** Ends step {@code step}'s values; returns true when it closes a window (a multiple of the window length). */
  public boolean endStep(int step) {
    steps++;
    lastStep = step;
    return step % window == 0;
  }

  /** Steps added since the last drain. */
  public int pending() {
    return steps;
  }

  /** The step the pending values are logged at: the last step added. */
  public int lastStep() {
    return lastStep;
  }

  /** The pending window as a checkpoint holds it. */
  TrialCheckpoint.Window snapshot() {
    java.util.List<TrialCheckpoint.Series> out = new java.util.ArrayList<>();
    series.forEach((k, s) -> out.add(new TrialCheckpoint.Series(k, s.withMax(),
        java.util.Arrays.copyOf(s.raw().v, s.raw().n))));
    return new TrialCheckpoint.Window(steps, lastStep, out);
  }

  /** Replaces the pending values by a checkpoint's (adding them again in order: the same aggregates come out). */
  void restore(TrialCheckpoint.Window w) {
    series.clear();
    for (TrialCheckpoint.Series s : w.series()) {
      for (double d : s.values()) {
        add(s.key(), d, s.withMax());
      }
    }
    steps = w.steps();
    lastStep = w.lastStep();
  }

  /** The aggregated values of the pending steps (empty when there are none), and a fresh window. */
  public Map<String, Double> drain() {
    Map<String, Double> out = new LinkedHashMap<>();
    if (steps > 0) {
      series.forEach((k, s) -> {
        out.put(k, s.values().getAverage());
        if (s.withMax()) {
          out.put(k + Names.Suffix.WINDOW_MAX, s.values().getMax());
        }
      });
    }
    series.clear();
    steps = 0;
    return out;
  }
}
