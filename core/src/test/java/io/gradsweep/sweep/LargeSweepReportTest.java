package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.chart.GradientCharts;
import io.gradsweep.report.AblationReport;
import io.gradsweep.report.TrialRows;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.sweep.SweepArtifacts.ProfileFigure;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sweep's artifacts (trials.csv, the report, the profile pictures) at 2,000 trials: built in bounded time, and
 * the pictures that would draw a line per trial draw bounded bands per group instead, and say so. Small sweeps keep
 * one line per trial. The artifacts are written to target/report-preview-2000/ and target/report-preview-12/ to be
 * looked at.
 */
class LargeSweepReportTest {
  static final int TRIALS = 2_000;
  /** The whole build on the driver, on a 2-vCPU machine; measured well below it (see docs/analysis.md). */
  static final double LIMIT_SECONDS = 60;

  @Test
  void buildsEveryArtifactOf2000TrialsWithinTheLimit() throws Exception {
    LargeSweep sweep = LargeSweep.of(TRIALS);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    Map<String, byte[]> files = SweepArtifacts.build("large", sweep.trials, sweep.results,
        new PrintStream(err, true, StandardCharsets.UTF_8));
    double seconds = (System.nanoTime() - t0) / 1e9;
    long t1 = System.nanoTime();
    AblationReport.of("large", TrialRows.of(sweep.trials, sweep.results)).files();
    double reportAgain = (System.nanoTime() - t1) / 1e9;
    System.out.printf("[scale] sweep artifacts of %,d trials built in %.1f s (%d files; the report alone, "
        + "built again in the warm JVM: %.1f s)%n", TRIALS, seconds, files.size(), reportAgain);
    write(Path.of("target", "report-preview-2000"), files);
    assertEquals("", err.toString(StandardCharsets.UTF_8));
    assertTrue(files.keySet().containsAll(List.of("trials.csv", "report/report.md", "final_profiles.png",
        "init_profiles.png")), files.keySet().toString());
    assertEquals(TRIALS + 1, new String(files.get("trials.csv"), StandardCharsets.UTF_8).lines().count());
    assertTrue(new String(files.get("report/report.md"), StandardCharsets.UTF_8).contains("**2000 trials**"));
    assertTrue(seconds < LIMIT_SECONDS, String.format("building the artifacts of %d trials took %.1f s, limit %.0f s",
        TRIALS, seconds, LIMIT_SECONDS));
  }

  @Test
  void profilePicturesOf2000TrialsDrawBoundedBandsPerGroupAndSaySo() {
    LargeSweep sweep = LargeSweep.of(TRIALS);
    for (boolean init : new boolean[] {false, true}) {
      ProfileFigure f = SweepArtifacts.profileFigure(sweep.trials, sweep.results, init);
      assertEquals(LargeSweep.NETWORKS.length, f.panels().size(), "one panel per network");
      int series = 0;
      int summarised = 0;
      for (GradientCharts.Panel p : f.panels()) {
        assertTrue(p.profiles().isEmpty(), "no line per trial: " + p.title());
        assertFalse(p.bands().isEmpty(), p.title());
        assertTrue(p.series() <= SweepArtifacts.MAX_BANDS_PER_PANEL, p.title() + ": " + p.series() + " series");
        assertEquals(List.of("T=10", "T=25", "T=50", "T=100", "T=200"),
            p.bands().stream().map(GradientCharts.Band::name).toList(), "grouped by T; clip, lr and seeds pooled");
        series += p.series();
        summarised += p.bands().stream().mapToInt(GradientCharts.Band::profiles).sum();
        assertTrue(p.title().endsWith(" trials"), p.title());
      }
      assertTrue(series <= LargeSweep.NETWORKS.length * SweepArtifacts.MAX_BANDS_PER_PANEL, "bounded: " + series);
      long withProfile = sweep.results.stream().filter(r -> (init ? r.initProfile() : r.finalProfile()) != null)
          .count();
      assertEquals(withProfile, summarised, "every trial with a profile is in one band");
      assertTrue(f.title().contains("median and 10\u201390% band per group of trials"), f.title());
      assertTrue(f.note().startsWith("2,000 trials, more than 12 lines in a panel: one line per group (T)"),
          f.note());
      assertTrue(f.note().contains("pooled over " + (init ? "" : "clip, lr, ") + "10 seeds"), f.note());
    }
  }

  @Test
  void aSmallSweepKeepsOneLinePerTrialAsBefore() throws Exception {
    LargeSweep sweep = LargeSweep.of(12);
    ProfileFigure f = SweepArtifacts.profileFigure(sweep.trials, sweep.results, false);
    assertNull(f.note());
    assertEquals("Top layer ||dL/dh_t|| at the last profile step, per trial", f.title());
    List<GradientCharts.Panel> lines = SweepArtifacts.panels(sweep.trials, sweep.results, false);
    assertEquals(lines, f.panels(), "exactly the per-trial panels");
    assertEquals(sweep.results.stream().filter(r -> r.finalProfile() != null).count(),
        f.panels().stream().mapToInt(p -> p.profiles().size()).sum(), "one line per trial with a profile");
    assertTrue(f.panels().stream().allMatch(p -> p.bands().isEmpty()));
    write(Path.of("target", "report-preview-12"), SweepArtifacts.build("small", sweep.trials, sweep.results,
        System.err));
  }

  @Test
  void bandsStartAboveTwelveLinesInAPanel() {
    int firstBands = 0;
    for (int n = 40; n <= 60; n++) {
      LargeSweep s = LargeSweep.of(n);
      int most = SweepArtifacts.panels(s.trials, s.results, false).stream().mapToInt(p -> p.profiles().size()).max()
          .orElseThrow();
      ProfileFigure f = SweepArtifacts.profileFigure(s.trials, s.results, false);
      assertEquals(most > SweepArtifacts.MAX_LINES_PER_PANEL, f.note() != null, n + " trials, " + most
          + " lines in the fullest panel: " + f.note());
      if (f.note() != null && firstBands == 0) {
        firstBands = n;
        assertTrue(f.note().startsWith(n + " trials, more than 12 lines in a panel"), f.note());
        // clip and lr vary too, but T x clip makes more than 6 groups: both are pooled
        assertTrue(f.note().contains("one line per group (T)") && f.note().contains("pooled over clip, lr"),
            f.note());
        assertTrue(f.panels().stream().allMatch(p -> p.series() <= SweepArtifacts.MAX_BANDS_PER_PANEL));
      }
    }
    assertTrue(firstBands > 40, "lines at 40 trials, bands from " + firstBands);
  }

  @Test
  void moreLengthsThanBandsShowsEvenlySpreadLengthsAndSaysHowMany() {
    List<TrialSpec> trials = new ArrayList<>();
    List<TrialResult> results = new ArrayList<>();
    int[] lengths = {10, 20, 30, 40, 50, 60, 70, 80};
    for (int t : lengths) {
      for (long seed = 1; seed <= 2; seed++) {
        TrialSpec s = new TrialSpec("exp", "many-T", "adding", 64, 7, t, "lstm", null, ClipSpec.NONE, 0, "adam",
            0.01, 8, 1, "default", seed, 16, 30, 10, 0.05);
        double[] p = new double[t];
        java.util.Arrays.fill(p, 0.1 * seed);
        trials.add(s);
        results.add(new TrialResult(s.id(), s.displayName(), "r" + trials.size(), TrialStatus.SOLVED, 30, 20, -1,
            0.004, 1.0 / 6, 2, 0, 0.9, t, 1, null, p, p));
      }
    }
    ProfileFigure f = SweepArtifacts.profileFigure(trials, results, false);
    GradientCharts.Panel p = f.panels().get(0);
    assertEquals(List.of("T=10", "T=20", "T=40", "T=50", "T=70", "T=80"),
        p.bands().stream().map(GradientCharts.Band::name).toList(), "first and last kept, evenly spread");
    assertTrue(f.note().contains("showing 6 of 8 groups (at most 6 per panel, evenly spread over T)"), f.note());
    assertEquals(2, p.bands().get(0).profiles());
  }

  private static void write(Path dir, Map<String, byte[]> files) throws java.io.IOException {
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      Path p = dir.resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, f.getValue());
    }
  }
}
