package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradsweep.jobs.AnalysisIT.ProcessResult;
import io.gradsweep.testkit.MlflowTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The notebooks and {@code notebooks/sweepreader.py} on a sweep larger than their caps: a real MLflow server filled
 * with a synthetic sweep ({@code jobs/src/test/python/fill_large_sweep.py}) of {@value #DEFAULT_TRIALS} trials, or
 * as many as {@code -Dgradsweep.scale.trials} says (docs/analysis.md names the 2,000-trial run). The reader reads
 * every trial, also over several pages, and fetches histories and profiles of a bounded representative sample with
 * a note; every notebook runs, plots representative trials and says so. Executed notebooks and figures stay in
 * {@code jobs/target/analysis/scale-<trials>/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NotebooksScaleIT {
  /** More than sweepreader.MAX_FETCH (200) and MAX_MARKERS (200), small enough to fill in about a minute. */
  static final int DEFAULT_TRIALS = 300;
  static final String SWEEP = "scale";

  private final ObjectMapper json = new ObjectMapper();
  private final int trials = Integer.getInteger("gradsweep.scale.trials", DEFAULT_TRIALS);
  private MlflowTestServer server;
  private Path outDir;

  @BeforeAll
  void fillServer() throws Exception {
    server = MlflowTestServer.start();
    outDir = Path.of("target/analysis", "scale-" + trials).toAbsolutePath();
    Files.createDirectories(outDir);
    long t0 = System.nanoTime();
    ProcessResult r = AnalysisIT.run(List.of(AnalysisIT.venvPython().toString(),
        script("fill_large_sweep.py").toString(), "--url", server.uri(), "--trials", Integer.toString(trials),
        "--sweep", SWEEP), outDir.resolve("fill.log"));
    assertEquals(0, r.exitCode(), "filling the server failed:\n" + AnalysisIT.tail(r.output(), 30));
    System.out.printf("[scale] %d synthetic trials logged in %.1f s%n", trials, (System.nanoTime() - t0) / 1e9);
  }

  @AfterAll
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  private static Path script(String name) {
    return AnalysisIT.repoRoot().resolve("jobs/src/test/python").resolve(name);
  }

  @Test
  void theReaderReadsEveryTrialAndFetchesABoundedRepresentativeSample() throws Exception {
    ProcessResult r = AnalysisIT.run(List.of(AnalysisIT.venvPython().toString(),
        script("check_sweepreader_scale.py").toString(), "--url", server.uri(), "--sweep", SWEEP),
        outDir.resolve("check.log"));
    assertEquals(0, r.exitCode(), AnalysisIT.tail(r.output(), 30));
    String last = r.output().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow(
        () -> new AssertionError("no facts printed:\n" + r.output()));
    System.out.println("[scale] sweepreader: " + last);
    JsonNode f = json.readTree(last);
    assertEquals(trials, f.path("trials").asInt(), "load_trials reads every child run");
    assertEquals(trials, f.path("trials_paged").asInt(), "also in pages of " + f.path("page_size"));
    assertEquals(trials, f.path("distinct_run_ids").asInt());
    assertEquals(12, f.path("representative_rows").asInt());
    assertEquals(f.path("all_networks"), f.path("representative_networks"), "12 trials show every network");
    assertEquals(f.path("all_seq_lens"), f.path("representative_seq_lens"), "and every length");
    assertTrue(f.path("representative_statuses").size() >= 2, "and more than one outcome: " + f);
    assertTrue(f.path("representative_in_table_order").asBoolean());
    assertTrue(f.path("small_table_unchanged").asBoolean(), "a table of at most 12 trials is shown whole");
    int bound = f.path("max_fetch").asInt();
    assertEquals(Math.min(bound, trials), f.path("histories_trials").asInt(), "histories are bounded");
    assertTrue(f.path("histories_note").asText().startsWith("histories: " + bound + " representative trials of "
        + trials), f.toString());
    assertTrue(f.path("profiles").asInt() <= bound, f.toString());
    assertTrue(f.path("profiles_note").asText().startsWith("gradient profiles: " + bound), f.toString());
  }

  @Test
  void everyNotebookRunsAndSaysWhatItSampled() throws Exception {
    Path repo = AnalysisIT.repoRoot();
    long t0 = System.nanoTime();
    StringBuilder texts = new StringBuilder();
    for (String nb : List.of("01-sweep-overview.ipynb", "02-gradients-through-time.ipynb", "03-convergence.ipynb")) {
      Path out = outDir.resolve(nb);
      Files.deleteIfExists(out);
      long t = System.nanoTime();
      ProcessResult r = AnalysisIT.run(List.of(AnalysisIT.venvPython().toString(), "-m", "papermill", "--cwd",
          repo.resolve("notebooks").toString(), "-k", "python3", "--no-progress-bar",
          repo.resolve("notebooks").resolve(nb).toString(), out.toString(), "-p", "tracking_uri", server.uri(),
          "-p", "sweep", SWEEP), outDir.resolve(nb + ".log"));
      JsonNode doc = Files.exists(out) ? json.readTree(out.toFile()) : null;
      if (r.exitCode() != 0) {
        fail(nb + " failed on " + trials + " trials: " + (doc == null ? "no output notebook"
            : AnalysisIT.firstError(doc)) + "\n" + AnalysisIT.tail(r.output(), 30));
      }
      assertTrue(doc != null && AnalysisIT.firstError(doc).isEmpty(), nb);
      assertTrue(AnalysisIT.saveFigures(doc, outDir.resolve("figures"), nb.replace(".ipynb", "")) >= 1, nb);
      System.out.printf("[scale] notebook %s on %d trials: %.1f s%n", nb, trials, (System.nanoTime() - t) / 1e9);
      texts.append(AnalysisIT.text(doc));
    }
    System.out.printf("[scale] three notebooks on %d trials: %.1f s%n", trials, (System.nanoTime() - t0) / 1e9);
    String text = texts.toString();
    assertTrue(text.contains(trials + " trials"), "the overview counts every trial");
    assertTrue(text.contains("per-trial plots: 12 representative trials of " + trials), "02 says it sampled");
    assertTrue(text.contains("curves: 12 representative trials of " + trials), "03 says it sampled");
    assertTrue(text.contains("gradient profiles of "), text);
    assertTrue(text.contains("outcomes per network and length"), "03 summarises steps to solve per group");
  }
}
