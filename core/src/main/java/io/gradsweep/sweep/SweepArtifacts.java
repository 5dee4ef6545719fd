package io.gradsweep.sweep;

import io.gradsweep.chart.GradientCharts;
import io.gradsweep.report.AblationReport;
import io.gradsweep.report.Csv;
import io.gradsweep.report.TrialRow;
import io.gradsweep.report.TrialRows;
import io.gradsweep.report.TrialsTable;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.train.TrialResult;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The sweep-level artifacts of the parent run, built on the driver from the trials and their results (same order):
 * {@value #TRIALS_CSV} (one row per trial: every parameter and the outcome, see {@link TrialsTable}), the ablation
 * report under {@code report/} ({@link AblationReport}), {@value #FINAL_PROFILES} and
 * {@value #INIT_PROFILES} (the top layer's ||dL/dh_t|| of every trial at the last profile step and at
 * initialisation, one panel per cell/activation, one line per trial, drawn against t - (T-1) so that profiles of
 * different lengths line up at their loss step).
 */
public final class SweepArtifacts {
  public static final String TRIALS_CSV = "trials.csv";
  static final String FINAL_PROFILES = "final_profiles.png";
  static final String INIT_PROFILES = "init_profiles.png";
  /** Panels per row of the profile pictures. */
  static final int COLUMNS = 3;

  private SweepArtifacts() {}

  /**
   * Uploads the artifacts to the parent run. A CSV that cannot be uploaded, or a picture that cannot be drawn or
   * uploaded, is reported on {@code err} and skipped: it never fails the sweep.
   */
  public static void upload(TrackingSink sink, SweepRun sweep, String sweepName, List<TrialSpec> trials,
      List<TrialResult> results, PrintStream err) {
    List<TrialRow> rows;
    try {
      rows = TrialRows.of(trials, results);
    } catch (RuntimeException e) {
      err.println(ProgressReporter.PREFIX + "warning: could not log " + TRIALS_CSV + " and the report to the parent "
          + "run: " + e);
      rows = null;
    }
    if (rows != null) {
      List<TrialRow> r = rows;
      tryLog(sink, sweep, TRIALS_CSV, err, () -> TrialsTable.csv(r));
      uploadReport(sink, sweep, sweepName, rows, err);
    }
    tryLog(sink, sweep, FINAL_PROFILES, err, () -> GradientCharts.smallMultiples(
        "Top layer ||dL/dh_t|| at the last profile step, per trial", panels(trials, results, false), COLUMNS, true));
    tryLog(sink, sweep, INIT_PROFILES, err, () -> GradientCharts.smallMultiples(
        "Top layer ||dL/dh_t|| at initialisation (step 1)", panels(trials, results, true), COLUMNS, true));
  }

  /**
   * Builds the ablation report of {@code rows} and attaches its files to the parent run (under
   * {@value AblationReport#DIR}/); returns them, empty when the report could not be built. A report that cannot be
   * built, or a file that cannot be uploaded, is a warning on {@code err}: it never fails the sweep.
   */
  public static Map<String, byte[]> uploadReport(TrackingSink sink, SweepRun sweep, String sweepName,
      List<TrialRow> rows, PrintStream err) {
    Map<String, byte[]> files;
    try {
      files = AblationReport.of(sweepName, rows).files();
    } catch (RuntimeException | LinkageError e) {
      err.println(ProgressReporter.PREFIX + "warning: could not build the ablation report: " + e);
      return Map.of();
    }
    files.forEach((path, content) -> tryLog(sink, sweep, path, err, () -> content));
    return files;
  }

  /**
   * The same artifacts as {@link #upload}, as path to content (in upload order), for when they cannot be uploaded
   * now; a picture that cannot be drawn is reported on {@code err} and left out.
   */
  public static Map<String, byte[]> build(String sweepName, List<TrialSpec> trials, List<TrialResult> results,
      PrintStream err) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    out.put(TRIALS_CSV, trialsCsv(trials, results));
    try {
      out.putAll(AblationReport.of(sweepName, TrialRows.of(trials, results)).files());
    } catch (RuntimeException | LinkageError e) {
      err.println(ProgressReporter.PREFIX + "warning: could not build the ablation report: " + e);
    }
    for (boolean init : new boolean[] {false, true}) {
      String path = init ? INIT_PROFILES : FINAL_PROFILES;
      try {
        out.put(path, GradientCharts.smallMultiples(init ? "Top layer ||dL/dh_t|| at initialisation (step 1)"
            : "Top layer ||dL/dh_t|| at the last profile step, per trial", panels(trials, results, init), COLUMNS,
            true));
      } catch (RuntimeException | LinkageError e) {
        err.println(ProgressReporter.PREFIX + "warning: could not draw " + path + ": " + e);
      }
    }
    return out;
  }

  private interface Content {
    byte[] get();
  }

  private static void tryLog(TrackingSink sink, SweepRun sweep, String path, PrintStream err, Content content) {
    try {
      sink.logSweepArtifact(sweep, path, content.get());
    } catch (RuntimeException | LinkageError e) { // LinkageError: e.g. no AWT in a stripped-down JRE
      err.println(ProgressReporter.PREFIX + "warning: could not log " + path + " to the parent run: " + e);
    }
  }

  /** {@value #TRIALS_CSV}: header, then one row per trial in plan order ({@link TrialsTable}). */
  static byte[] trialsCsv(List<TrialSpec> trials, List<TrialResult> results) {
    return TrialsTable.csv(TrialRows.of(trials, results));
  }

  /** A CSV field: quoted when it holds a comma, quote, CR or LF, with quotes doubled. */
  static String csv(String v) {
    return Csv.field(v);
  }

  /**
   * The parameters the gradient at initialisation depends on (network, first minibatch, truncation); training
   * settings such as clipping, optimizer and learning rate act only from the first update on.
   */
  static final Set<String> INIT_KEYS = Set.of("task", "seq_len", "tbptt", "hidden", "layers", "init", "seed",
      "batch_size", "cell", "activation");

  /**
   * The panels of a profile picture: one per cell/activation (in plan order), one line per trial that has a
   * profile, named by its seq_len and the other parameters that vary across the sweep (cell and activation
   * excluded: the panel says them), e.g. {@code T=60 clip=none}. At initialisation only the parameters in
   * {@link #INIT_KEYS} name a line, and trials whose profile is the same under the same name share one line
   * (otherwise their lines would lie exactly on top of each other, and the legend would name lines one cannot
   * see).
   */
  static List<GradientCharts.Panel> panels(List<TrialSpec> trials, List<TrialResult> results, boolean init) {
    requireSameSize(trials, results);
    List<String> keys = new ArrayList<>(Tables.varyingKeys(trials));
    keys.remove("cell");
    keys.remove("activation");
    keys.remove("seq_len");
    if (init) {
      keys.retainAll(INIT_KEYS);
    }
    Map<String, Map<String, double[]>> byPanel = new LinkedHashMap<>();
    for (int i = 0; i < trials.size(); i++) {
      TrialSpec s = trials.get(i);
      double[] profile = init ? results.get(i).initProfile() : results.get(i).finalProfile();
      Map<String, double[]> lines = byPanel.computeIfAbsent(panelTitle(s), k -> new LinkedHashMap<>());
      if (profile == null || profile.length == 0) {
        continue;
      }
      String label = lineLabel(s, keys, p -> s.params().get(p));
      if (init && lines.containsKey(label) && Arrays.equals(lines.get(label), profile)) {
        continue;
      }
      String unique = label;
      for (int n = 2; lines.containsKey(unique); n++) {
        unique = label + " #" + n;
      }
      lines.put(unique, profile);
    }
    List<GradientCharts.Panel> out = new ArrayList<>();
    byPanel.forEach((title, lines) -> out.add(new GradientCharts.Panel(title, lines)));
    return out;
  }

  static String panelTitle(TrialSpec s) {
    return s.activation() == null ? s.cell() : s.cell() + " / " + s.activation();
  }

  private static String lineLabel(TrialSpec s, List<String> keys, Function<String, String> value) {
    StringBuilder sb = new StringBuilder("T=").append(s.seqLen());
    for (String k : keys) {
      sb.append(' ').append(k).append('=').append(value.apply(k));
    }
    return sb.toString();
  }

  private static void requireSameSize(List<TrialSpec> trials, List<TrialResult> results) {
    if (trials.size() != results.size()) {
      throw new IllegalArgumentException(trials.size() + " trials but " + results.size() + " results");
    }
  }
}
