package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.report.AblationReport;
import io.gradsweep.report.TrialRows;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sweep's artifacts (trials.csv, the report, the profile pictures) for 2,000 trials, in bounded time. */
class LargeSweepReportTest {
  static final int TRIALS = 2_000;
  /** The whole build on the driver, on a 2-vCPU machine; measured well below it (see docs/analysis.md). */
  static final double LIMIT_SECONDS = 60;
  private static final Path PREVIEW = Path.of("target", "report-preview-2000");

  @Test
  void buildsEveryArtifactOf2000TrialsWithinTheLimit() throws Exception {
    LargeSweep sweep = LargeSweep.of(TRIALS);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    Map<String, byte[]> files = SweepArtifacts.build("large", sweep.trials, sweep.results,
        new PrintStream(err, true, StandardCharsets.UTF_8));
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf("[scale] sweep artifacts of %d trials built in %.1f s (%d files)%n", TRIALS, seconds,
        files.size());
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      Path p = PREVIEW.resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, f.getValue());
    }
    assertEquals("", err.toString(StandardCharsets.UTF_8));
    assertTrue(files.keySet().containsAll(java.util.List.of("trials.csv", "report/report.md",
        "final_profiles.png", "init_profiles.png")), files.keySet().toString());
    assertEquals(TRIALS + 1, new String(files.get("trials.csv"), StandardCharsets.UTF_8).lines().count());
    assertTrue(seconds < LIMIT_SECONDS, String.format("building the artifacts of %d trials took %.1f s, limit %.0f s",
        TRIALS, seconds, LIMIT_SECONDS));
  }
}
