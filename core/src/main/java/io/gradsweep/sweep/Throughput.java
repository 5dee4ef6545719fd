package io.gradsweep.sweep;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.gradsweep.train.TrialResult.Timings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * How fast a sweep's trials ran and where a trial's time went: the line the driver prints when the trials are done,
 * and the JSON file that setting {@code spark.gradsweep.timings.file} names (read by
 * {@code jobs/bin/benchmark --sweep}).
 *
 * <p>A sweep runs its trials in {@code slots = min(atOnce, trials)} slots; {@link #slotSecondsPerTrial()} =
 * {@code wall * slots / trials} is what one trial cost a slot, on average. What the trial's task measured
 * ({@link Timings#attempt()}) is part of it; the rest ({@link #outsideSecondsPerTrial()}) is spent outside the
 * task: dispatch (the driver's thread, Spark's job and task, the result's way back) and slots left idle (the
 * sweep's tail, a slow start).
 *
 * @param where where the trials ran (the executor's {@link TrialExecutor#where()})
 * @param trials trials run
 * @param atOnce most trials at once
 * @param startEpochMillis when the first trial was handed to the executor
 * @param wallSeconds from then until the executor returned the last outcome
 * @param processCpuSeconds CPU time this JVM (the driver's) used meanwhile, all threads; NaN when unknown. On local
 *     Spark the trials run in this JVM; on a cluster they do not
 * @param timings the trials' timings, in plan order; null where a trial has none
 */
public record Throughput(String where, int trials, int atOnce, long startEpochMillis, double wallSeconds,
    double processCpuSeconds, List<Timings> timings) {

  public Throughput {
    Objects.requireNonNull(where, "where");
    if (trials < 0 || atOnce < 1 || wallSeconds < 0 || !Double.isFinite(wallSeconds)) {
      throw new IllegalArgumentException("invalid throughput: trials=" + trials + " atOnce=" + atOnce
          + " wallSeconds=" + wallSeconds + " (need trials >= 0, atOnce >= 1, a finite wallSeconds >= 0)");
    }
    timings = java.util.Collections.unmodifiableList(new ArrayList<>(Objects.requireNonNull(timings, "timings")));
    if (timings.size() != trials) {
      throw new IllegalArgumentException("timings: " + timings.size() + " entries for " + trials + " trials");
    }
  }

  /** CPU time of the JVM that runs this code, all threads, in nanoseconds; -1 when the JVM cannot say. */
  public static long processCpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
  }

  /** Slots the trials ran in: {@code min(atOnce, trials)}, at least 1. */
  public int slots() {
    return Math.max(1, Math.min(atOnce, trials));
  }

  /** Trials finished per minute of wall time; NaN for no trial or no time. */
  public double trialsPerMinute() {
    return trials == 0 || wallSeconds == 0 ? Double.NaN : trials * 60.0 / wallSeconds;
  }

  /** Slot time per trial, {@code wall * slots / trials}; NaN for no trial. */
  public double slotSecondsPerTrial() {
    return trials == 0 ? Double.NaN : wallSeconds * slots() / trials;
  }

  /** The mean of each phase over the trials that measured it (NaN where none did). */
  public Timings mean() {
    return new Timings(mean(Timings::runStart), mean(Timings::setup), mean(Timings::training),
        mean(Timings::trainingCpu), mean(Timings::stats), mean(Timings::logging), mean(Timings::profile),
        mean(Timings::artifacts), mean(Timings::runEnd), mean(Timings::attempt));
  }

  /** Slot time per trial spent outside the trial's task: {@link #slotSecondsPerTrial()} minus the mean attempt. */
  public double outsideSecondsPerTrial() {
    return slotSecondsPerTrial() - mean().attempt();
  }

  private double mean(ToDoubleFunction<Timings> phase) {
    double sum = 0;
    int n = 0;
    for (Timings t : timings) {
      double v = t == null ? Double.NaN : phase.applyAsDouble(t);
      if (Double.isFinite(v)) {
        sum += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }

  /**
   * E.g. {@code 4 trials in 41.6 s on local[*], 2 at a time: 5.77 trials/min; per trial 20.8 s of a slot = 20.7 s
   * in its task (run start 0.012, setup 0.051, training 20.4 [cpu 19.9, stats 0.211, logging 0.302, profile 0.405],
   * artifacts 0.112, run end 0.001) + 0.052 s outside it (dispatch, idle slots)}.
   */
  public String line() {
    StringBuilder b = new StringBuilder();
    b.append(trials).append(trials == 1 ? " trial in " : " trials in ").append(num(wallSeconds)).append(" s on ")
        .append(where).append(", ").append(atOnce).append(" at a time");
    if (trials == 0) {
      return b.toString();
    }
    Timings m = mean();
    b.append(": ").append(num(trialsPerMinute())).append(" trials/min; per trial ").append(num(slotSecondsPerTrial()))
        .append(" s of a slot");
    if (Double.isFinite(m.attempt())) {
      b.append(" = ").append(num(m.attempt())).append(" s in its task (run start ").append(num(m.runStart()))
          .append(", setup ").append(num(m.setup())).append(", training ").append(num(m.training()))
          .append(" [cpu ").append(num(m.trainingCpu())).append(", stats ").append(num(m.stats())).append(", logging ").append(num(m.logging()))
          .append(", profile ").append(num(m.profile())).append("], artifacts ").append(num(m.artifacts()))
          .append(", run end ").append(num(m.runEnd())).append(") + ").append(num(outsideSecondsPerTrial()))
          .append(" s outside it (dispatch, idle slots)");
    }
    return b.toString();
  }

  /** Three significant digits (at most five decimals), no exponent; {@code ?} for NaN. */
  static String num(double v) {
    if (!Double.isFinite(v)) {
      return "?";
    }
    if (v == 0) {
      return "0";
    }
    double a = Math.abs(v);
    String f = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : a >= 0.1 ? "%.3f" : a >= 0.01 ? "%.4f"
        : "%.5f";
    return String.format(Locale.ROOT, f, v);
  }

  /** Writes this as JSON to {@code file} (NaN as null): the sweep's figures, the mean phases and each trial's. */
  public void writeJson(Path file) throws IOException {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("where", where);
    root.put("trials", trials);
    root.put("at_once", atOnce);
    root.put("slots", slots());
    root.put("start_epoch_ms", startEpochMillis);
    root.put("end_epoch_ms", startEpochMillis + Math.round(wallSeconds * 1000));
    root.put("wall_seconds", wallSeconds);
    root.put("process_cpu_seconds", finite(processCpuSeconds));
    root.put("trials_per_minute", finite(trialsPerMinute()));
    root.put("slot_seconds_per_trial", finite(slotSecondsPerTrial()));
    root.put("outside_seconds_per_trial", finite(outsideSecondsPerTrial()));
    root.put("mean", phases(mean()));
    List<Map<String, Object>> per = new ArrayList<>();
    for (Timings t : timings) {
      per.add(t == null ? null : phases(t));
    }
    root.put("per_trial", per);
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
  }

  private static Map<String, Object> phases(Timings t) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("run_start", finite(t.runStart()));
    m.put("setup", finite(t.setup()));
    m.put("training", finite(t.training()));
    m.put("training_cpu", finite(t.trainingCpu()));
    m.put("stats", finite(t.stats()));
    m.put("logging", finite(t.logging()));
    m.put("profile", finite(t.profile()));
    m.put("artifacts", finite(t.artifacts()));
    m.put("run_end", finite(t.runEnd()));
    m.put("attempt", finite(t.attempt()));
    return m;
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }
}
