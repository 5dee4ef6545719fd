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
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The sweep-level artifacts of the parent run, built on the driver from the trials and their results (same order):
 * {@value #TRIALS_CSV} (one row per trial: every parameter and the outcome, see {@link TrialsTable}), the ablation
 * report under {@code report/} ({@link AblationReport}), {@value #FINAL_PROFILES} and
 * {@value #INIT_PROFILES} (the top layer's ||dL/dh_t|| of every trial at the last profile step and at
 * initialisation, one panel per cell/activation, one line per trial, drawn against t - (T-1) so that profiles of
 * different lengths line up at their loss step; in a large sweep, where a panel would hold more than
 * {@value #MAX_LINES_PER_PANEL} lines, the median and 10-90% band of each group of trials instead, see
 * {@link #profileFigure}).
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
    tryLog(sink, sweep, FINAL_PROFILES, err, () -> profileFigure(trials, results, false).png());
    tryLog(sink, sweep, INIT_PROFILES, err, () -> profileFigure(trials, results, true).png());
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
        out.put(path, profileFigure(trials, results, init).png());
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
   * A profile picture before it is drawn: its title, the note under the title (null when none) and its panels.
   */
  record ProfileFigure(String title, String note, List<GradientCharts.Panel> panels) {
    byte[] png() {
      return GradientCharts.smallMultiples(title, note, panels, COLUMNS, true);
    }
  }

  /**
   * The profile picture at the last profile step ({@code init} false) or at initialisation: one line per trial
   * ({@link #panels}) while no panel would hold more than {@value #MAX_LINES_PER_PANEL} lines; beyond that, bands
   * per group of trials ({@link #bandPanels}), and the note under the title says so.
   */
  static ProfileFigure profileFigure(List<TrialSpec> trials, List<TrialResult> results, boolean init) {
    String what = init ? "Top layer ||dL/dh_t|| at initialisation (step 1)"
        : "Top layer ||dL/dh_t|| at the last profile step";
    List<GradientCharts.Panel> lines = panels(trials, results, init);
    if (lines.stream().allMatch(p -> p.profiles().size() <= MAX_LINES_PER_PANEL)) {
      return new ProfileFigure(init ? what : what + ", per trial", null, lines);
    }
    return bandPanels(what + ", median and " + bandWords() + " band per group of trials", trials, results, init);
  }

  /** Above this many lines in a panel, the profile pictures draw bands per group of trials instead. */
  static final int MAX_LINES_PER_PANEL = 12;
  /** At most this many bands in a panel: beyond it, groups are merged, then (only if needed) left out. */
  static final int MAX_BANDS_PER_PANEL = 6;
  /** The quantiles a band spans. */
  static final double BAND_LOW = 0.1;
  static final double BAND_HIGH = 0.9;

  private static String bandWords() {
    return Math.round(100 * BAND_LOW) + "\u2013" + Math.round(100 * BAND_HIGH) + "%";
  }

  /** A trial with a profile, for the bands: its panel, parameters and profile. */
  private record Profiled(String panel, TrialSpec spec, double[] profile) {}

  /**
   * Bands instead of lines: one panel per cell/activation as before; in each, the trials are grouped by seq_len and
   * the other varying parameters that name lines in {@link #panels} (seeds never: they are the replicates), and
   * each group becomes one band, its median profile over a shaded {@value #BAND_LOW}..{@value #BAND_HIGH} quantile
   * band (aligned at the loss). While a panel would hold more than {@value #MAX_BANDS_PER_PANEL} groups, the last
   * of those parameters is dropped (its levels pooled); with seq_len alone and still too many lengths, evenly
   * spread lengths are kept and the note says how many are shown.
   */
  static ProfileFigure bandPanels(String title, List<TrialSpec> trials, List<TrialResult> results, boolean init) {
    requireSameSize(trials, results);
    List<String> keys = new ArrayList<>(Tables.varyingKeys(trials));
    keys.removeAll(List.of("cell", "activation", "seq_len", "seed"));
    if (init) {
      keys.retainAll(INIT_KEYS);
    }
    List<Profiled> profiled = new ArrayList<>();
    Map<String, Integer> panelTrials = new LinkedHashMap<>();
    for (int i = 0; i < trials.size(); i++) {
      TrialSpec s = trials.get(i);
      double[] profile = init ? results.get(i).initProfile() : results.get(i).finalProfile();
      panelTrials.merge(panelTitle(s), 0, Integer::sum); // every panel, even one without profiles
      if (profile != null && profile.length > 0) {
        profiled.add(new Profiled(panelTitle(s), s, profile));
        panelTrials.merge(panelTitle(s), 1, Integer::sum);
      }
    }
    List<String> groupKeys = new ArrayList<>(keys);
    Map<String, Map<String, List<Profiled>>> groups = group(profiled, groupKeys);
    while (!groupKeys.isEmpty() && mostGroups(groups) > MAX_BANDS_PER_PANEL) {
      groupKeys.remove(groupKeys.size() - 1);
      groups = group(profiled, groupKeys);
    }
    int shownGroups = 0;
    int allGroups = 0;
    List<GradientCharts.Panel> out = new ArrayList<>();
    for (Map.Entry<String, Integer> panel : panelTrials.entrySet()) {
      List<Map.Entry<String, List<Profiled>>> g = new ArrayList<>(groups.getOrDefault(panel.getKey(), Map.of())
          .entrySet());
      allGroups += g.size();
      g = evenlySpread(g, MAX_BANDS_PER_PANEL);
      shownGroups += g.size();
      List<GradientCharts.Band> bands = new ArrayList<>();
      for (Map.Entry<String, List<Profiled>> e : g) {
        bands.add(GradientCharts.Band.of(e.getKey(), e.getValue().stream().map(Profiled::profile).toList(),
            BAND_LOW, BAND_HIGH));
      }
      out.add(new GradientCharts.Panel(panel.getKey() + ":  " + String.format(Locale.ROOT, "%,d", panel.getValue())
          + " trials", Map.of(), bands));
    }
    List<String> pooled = new ArrayList<>(keys.subList(groupKeys.size(), keys.size()));
    long seeds = trials.stream().map(TrialSpec::seed).distinct().count();
    if (seeds > 1) {
      pooled.add(seeds + " seeds");
    }
    List<String> by = new ArrayList<>(List.of("T"));
    by.addAll(groupKeys);
    String note = String.format(Locale.ROOT, "%,d trials, more than %d lines in a panel: one line per group (%s), "
        + "the median of its trials, with the band from their %d%% to %d%% quantile at each step",
        trials.size(), MAX_LINES_PER_PANEL, String.join(", ", by), Math.round(100 * BAND_LOW),
        Math.round(100 * BAND_HIGH));
    if (!pooled.isEmpty()) {
      note += "\npooled over " + String.join(", ", pooled);
    }
    if (shownGroups < allGroups) {
      note += (pooled.isEmpty() ? "\n" : ";  ") + String.format(Locale.ROOT, "showing %d of %d groups (at most %d "
          + "per panel, evenly spread over T)", shownGroups, allGroups, MAX_BANDS_PER_PANEL);
    }
    return new ProfileFigure(title, note, out);
  }

  /** Panel title to band name ("T=60 clip=none") to its trials; bands ordered by T, then by first appearance. */
  private static Map<String, Map<String, List<Profiled>>> group(List<Profiled> profiled, List<String> keys) {
    List<Profiled> byT = new ArrayList<>(profiled);
    byT.sort(java.util.Comparator.comparingInt(p -> p.spec().seqLen())); // stable: plan order within a length
    Map<String, Map<String, List<Profiled>>> out = new LinkedHashMap<>();
    for (Profiled p : byT) {
      out.computeIfAbsent(p.panel(), k -> new LinkedHashMap<>())
          .computeIfAbsent(lineLabel(p.spec(), keys, k -> p.spec().params().get(k)), k -> new ArrayList<>()).add(p);
    }
    return out;
  }

  private static int mostGroups(Map<String, Map<String, List<Profiled>>> groups) {
    return groups.values().stream().mapToInt(Map::size).max().orElse(0);
  }

  /** At most {@code max} of {@code items}, evenly spread, first and last kept; all of them when they fit. */
  static <T> List<T> evenlySpread(List<T> items, int max) {
    if (items.size() <= max) {
      return items;
    }
    List<T> out = new ArrayList<>(max);
    for (int i = 0; i < max; i++) {
      out.add(items.get((int) Math.round(i * (items.size() - 1) / (double) (max - 1))));
    }
    return out;
  }

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
