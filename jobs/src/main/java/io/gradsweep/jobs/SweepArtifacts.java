package io.gradsweep.jobs;

import io.gradsweep.report.GradientCharts;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.train.TrialResult;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingSink;
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
 * {@value #TRIALS_CSV} (one row per trial: every parameter and the outcome), {@value #FINAL_PROFILES} and
 * {@value #INIT_PROFILES} (the top layer's ||dL/dh_t|| of every trial at the last profile step and at
 * initialisation, one panel per cell/activation, one line per trial, drawn against t - (T-1) so that profiles of
 * different lengths line up at their loss step).
 */
final class SweepArtifacts {
  static final String TRIALS_CSV = "trials.csv";
  static final String FINAL_PROFILES = "final_profiles.png";
  static final String INIT_PROFILES = "init_profiles.png";
  /** Panels per row of the profile pictures. */
  static final int COLUMNS = 3;

  /** Columns of {@value #TRIALS_CSV} after the trial number, id and parameters. */
  static final List<String> OUTCOME_COLUMNS = List.of("status", "steps", "steps_to_solve", "diverged_at_step",
      "final_eval_loss", "baseline_loss", "max_grad_norm", "clip_rate", "decay_rate", "horizon", "wall_seconds",
      "run_id");

  private SweepArtifacts() {}

  /**
   * Uploads the artifacts to the parent run. A CSV that cannot be uploaded, or a picture that cannot be drawn or
   * uploaded, is reported on {@code err} and skipped: it never fails the sweep.
   */
  static void upload(TrackingSink sink, SweepRun sweep, List<TrialSpec> trials, List<TrialResult> results,
      PrintStream err) {
    tryLog(sink, sweep, TRIALS_CSV, err, () -> trialsCsv(trials, results));
    tryLog(sink, sweep, FINAL_PROFILES, err, () -> GradientCharts.smallMultiples(
        "Top layer ||dL/dh_t|| at the last profile step, per trial", panels(trials, results, false), COLUMNS, true));
    tryLog(sink, sweep, INIT_PROFILES, err, () -> GradientCharts.smallMultiples(
        "Top layer ||dL/dh_t|| at initialisation (step 1)", panels(trials, results, true), COLUMNS, true));
  }

  /**
   * The same artifacts as {@link #upload}, as path to content (in upload order), for when they cannot be uploaded
   * now; a picture that cannot be drawn is reported on {@code err} and left out.
   */
  static Map<String, byte[]> build(List<TrialSpec> trials, List<TrialResult> results, PrintStream err) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    out.put(TRIALS_CSV, trialsCsv(trials, results));
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

  /** {@value #TRIALS_CSV}: header, then one row per trial in plan order (RFC 4180 quoting). */
  static byte[] trialsCsv(List<TrialSpec> trials, List<TrialResult> results) {
    requireSameSize(trials, results);
    List<String> paramKeys = new ArrayList<>();
    for (TrialSpec t : trials) {
      for (String k : t.params().keySet()) {
        if (!paramKeys.contains(k)) {
          paramKeys.add(k);
        }
      }
    }
    StringBuilder sb = new StringBuilder();
    List<String> header = new ArrayList<>(List.of("trial", "trial_id", "name"));
    header.addAll(paramKeys);
    header.addAll(OUTCOME_COLUMNS);
    row(sb, header);
    for (int i = 0; i < trials.size(); i++) {
      TrialSpec s = trials.get(i);
      TrialResult r = results.get(i);
      Map<String, String> p = s.params();
      List<String> cells = new ArrayList<>(List.of(Integer.toString(i + 1), s.id(), s.displayName()));
      paramKeys.forEach(k -> cells.add(p.getOrDefault(k, "")));
      cells.add(r.status().name());
      cells.add(Integer.toString(r.steps()));
      cells.add(Integer.toString(r.stepsToSolve()));
      cells.add(Integer.toString(r.divergedAtStep()));
      cells.add(num(r.finalEvalLoss()));
      cells.add(num(r.baselineLoss()));
      cells.add(num(r.maxGradNorm()));
      cells.add(num(r.clipRate()));
      cells.add(num(r.decayRate()));
      cells.add(Integer.toString(r.horizon()));
      cells.add(num(r.wallSeconds()));
      cells.add(r.runId() == null ? "" : r.runId());
      row(sb, cells);
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void row(StringBuilder sb, List<String> cells) {
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(csv(cells.get(i)));
    }
    sb.append('\n');
  }

  /** A CSV field: quoted when it holds a comma, quote, CR or LF, with quotes doubled. */
  static String csv(String v) {
    if (v == null) {
      return "";
    }
    if (v.indexOf(',') < 0 && v.indexOf('"') < 0 && v.indexOf('\n') < 0 && v.indexOf('\r') < 0) {
      return v;
    }
    return '"' + v.replace("\"", "\"\"") + '"';
  }

  /** A number as Java prints it, empty for NaN (a missing value to spreadsheets and pandas). */
  private static String num(double v) {
    return Double.isNaN(v) ? "" : Double.toString(v);
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
