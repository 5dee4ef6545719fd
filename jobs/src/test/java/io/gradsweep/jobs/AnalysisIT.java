package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The analysis side of a sweep, against a real MLflow server filled by the real job on local[2]: every notebook of
 * {@code notebooks/} runs headless (papermill, the project venv's Python) on a sweep of three cells with a
 * diverged trial and on a sweep whose single trial diverged, and the MLflow 3 UI, opened in headless Chromium,
 * shows the child runs under the parent run and draws a gradient-norm chart.
 *
 * <p>Executed notebooks and their figures stay in {@code jobs/target/analysis/<sweep>/}, UI screenshots in
 * {@code jobs/target/ui/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AnalysisIT {
  static final Path MAIN_SPEC = Path.of("src/test/resources/analysis-sweep.yaml");
  static final Path ONE_DIVERGED_SPEC = Path.of("src/test/resources/analysis-one-diverged.yaml");
  static final Path STOPPED_SPEC = Path.of("src/test/resources/analysis-stopped.yaml");
  static final String EXPERIMENT = "gradsweep-analysis-it";
  /** Safety net for a hung subprocess; a healthy notebook takes seconds. */
  static final long PROCESS_LIMIT_SECONDS = 600;
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  /** Where the main sweep writes its table as Parquet ({@code --results}). */
  static final Path MAIN_RESULTS = Path.of("target/analysis/analysis-it-results").toAbsolutePath();

  private final ObjectMapper json = new ObjectMapper();
  private MlflowTestServer server;
  private String mainParent;
  private String oneDivergedParent;
  private String stoppedParent;

  @BeforeAll
  void fillServer() throws Exception {
    server = MlflowTestServer.start();
    // the main sweep also writes its table as Parquet (a rerun of this test replaces the directory), which
    // notebook 01 reads when given it
    mainParent = runSweep(MAIN_SPEC, "--results", "file:" + MAIN_RESULTS);
    oneDivergedParent = runSweep(ONE_DIVERGED_SPEC);
    stoppedParent = runSweep(STOPPED_SPEC);
  }

  @AfterAll
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  private String runSweep(Path spec, String... extra) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    List<String> args = new ArrayList<>(List.of("run", spec.toString(), "--tracking-uri", server.uri()));
    args.addAll(List.of(extra));
    System.setProperty("spark.master", "local[2]");
    try {
      status = SweepJob.run(args.toArray(new String[0]),
          Map.of("OMP_NUM_THREADS", "1"), new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
    } finally {
      System.clearProperty("spark.master");
    }
    String stdout = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, spec + ":\n" + stdout + err.toString(StandardCharsets.UTF_8));
    return SweepReadback.parentRunId(stdout);
  }

  // ------------------------------------------------------------------------------------------- notebooks

  @Test
  void everyNotebookRunsOnASweepOfThreeCellsWithADivergedTrial() throws Exception {
    List<RunRecord> children = new MlflowRestReader(server.uri()).children(mainParent);
    assertTrue(children.stream().map(c -> c.tags().get("gradsweep.status")).toList().containsAll(
        List.of("SOLVED", "DIVERGED")), "the sweep has solved and diverged trials: " + statuses(children));
    assertTrue(children.stream().map(c -> c.params().get("cell")).distinct().count() >= 2, "at least two cells");
    Map<String, JsonNode> executed = runAllNotebooks("analysis-it", "file:" + MAIN_RESULTS);

    String overview = text(executed.get("01-sweep-overview.ipynb"));
    assertTrue(overview.contains("Parquet results file:" + MAIN_RESULTS + ": " + children.size() + " rows")
        && overview.contains(children.size() + " of its " + children.size() + " trials are trials of sweep "
        + "'analysis-it' above"), "notebook 01 read the --results table:\n" + overview);
    for (RunRecord c : children) {
      String status = c.tags().get("gradsweep.status");
      assertTrue(overview.lines().anyMatch(l -> l.contains(c.runName()) && l.contains(status)),
          "the overview's trial table lists '" + c.runName() + "' as " + status + ":\n" + overview);
    }
    assertTrue(overview.contains(children.size() + " trials"), overview);
    String convergence = text(executed.get("03-convergence.ipynb"));
    String diverged = children.stream().filter(c -> "DIVERGED".equals(c.tags().get("gradsweep.status")))
        .map(RunRecord::runName).findFirst().orElseThrow();
    assertTrue(convergence.lines().anyMatch(l -> l.contains(diverged)), "the divergence table names " + diverged
        + ":\n" + convergence);
    String gradients = text(executed.get("02-gradients-through-time.ipynb"));
    assertTrue(gradients.contains("gradient profiles of " + children.size() + " trials"), gradients);
  }

  @Test
  void everyNotebookCopesWithASweepWhoseOnlyTrialDiverged() throws Exception {
    List<RunRecord> children = new MlflowRestReader(server.uri()).children(oneDivergedParent);
    assertEquals(List.of("DIVERGED"), statuses(children));
    Map<String, JsonNode> executed = runAllNotebooks("analysis-one-diverged", null);
    assertTrue(text(executed.get("01-sweep-overview.ipynb")).contains("0 of 1 trials solved the task"));
    assertTrue(text(executed.get("01-sweep-overview.ipynb")).contains("no Parquet results: set `results`"));
    assertTrue(text(executed.get("03-convergence.ipynb")).contains("no trial solved the task"));
  }

  @Test
  void everyNotebookShowsTheTrialsStoppedEarlyAndTheStepsSaved() throws Exception {
    List<RunRecord> children = new MlflowRestReader(server.uri()).children(stoppedParent);
    assertEquals(List.of("NOT_SOLVED", "PLATEAU", "VANISHED"), statuses(children));
    for (RunRecord c : children) {
      assertEquals("FINISHED", c.status(), "a stopped trial is a result: " + c.runName());
    }
    Map<String, JsonNode> executed = runAllNotebooks("analysis-stopped", null);
    String overview = text(executed.get("01-sweep-overview.ipynb"));
    // VANISHED at step 20, PLATEAU at step 50 of max_steps 100: 80 + 50 of 300 steps saved
    assertTrue(overview.contains("2 of 3 trials stopped early (") && overview.contains(
        "130 of 300 budgeted steps saved (43%)"), "notebook 01 counts the stopped trials:\n" + overview);
    for (RunRecord c : children) {
      String status = c.tags().get("gradsweep.status");
      assertTrue(overview.lines().anyMatch(l -> l.contains(c.runName()) && l.contains(status)),
          "the overview lists '" + c.runName() + "' as " + status + ":\n" + overview);
    }
    assertTrue(text(executed.get("03-convergence.ipynb")).contains("no trial diverged"));
  }

  @Test
  void anUnknownSweepStopsTheNotebookWithAMessageNamingItAndTheSweepsThatExist() throws Exception {
    Path outDir = Path.of("target/analysis/unknown-sweep").toAbsolutePath();
    Files.createDirectories(outDir);
    Path out = outDir.resolve("01-sweep-overview.ipynb");
    Files.deleteIfExists(out);
    ProcessResult r = run(List.of(venvPython().toString(), "-m", "papermill", "--cwd",
        repoRoot().resolve("notebooks").toString(), "-k", "python3", "--no-progress-bar",
        repoRoot().resolve("notebooks/01-sweep-overview.ipynb").toString(), out.toString(),
        "-p", "tracking_uri", server.uri(), "-p", "sweep", "analysis-typo"), outDir.resolve("papermill.log"));
    assertTrue(r.exitCode != 0, "papermill succeeded on an unknown sweep:\n" + r.output);
    String error = firstError(json.readTree(out.toFile()));
    assertTrue(error.contains("ValueError: sweep='analysis-typo': no sweep of that name on " + server.uri())
        && error.contains("sweeps there: analysis-it, analysis-one-diverged, analysis-stopped"), error);
  }

  private static List<String> statuses(List<RunRecord> runs) {
    return runs.stream().map(c -> c.tags().get("gradsweep.status")).sorted().toList();
  }

  /**
   * Runs every notebook of notebooks/ on the sweep (01 with {@code results}, the sweep's Parquet table, unless
   * null); returns the executed notebooks by file name. Fails with the failing cell's error when one raises;
   * checks each drew at least one figure and kept no error output.
   */
  private Map<String, JsonNode> runAllNotebooks(String sweep, String results) throws Exception {
    Path repo = repoRoot();
    List<Path> notebooks;
    try (Stream<Path> s = Files.list(repo.resolve("notebooks"))) {
      notebooks = s.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
    }
    assertEquals(List.of("01-sweep-overview.ipynb", "02-gradients-through-time.ipynb", "03-convergence.ipynb"),
        notebooks.stream().map(p -> p.getFileName().toString()).toList());
    Path outDir = Path.of("target/analysis", sweep).toAbsolutePath();
    Files.createDirectories(outDir);
    // all notebooks of a sweep at once: each is mostly a Python kernel starting and waiting on the server
    Map<Path, Running> running = new java.util.LinkedHashMap<>();
    long t0 = System.nanoTime();
    try {
      for (Path nb : notebooks) {
        Path out = outDir.resolve(nb.getFileName());
        Files.deleteIfExists(out);
        List<String> cmd = new ArrayList<>(List.of(venvPython().toString(), "-m", "papermill", "--cwd",
            repo.resolve("notebooks").toString(), "-k", "python3", "--no-progress-bar", nb.toString(),
            out.toString(), "-p", "tracking_uri", server.uri(), "-p", "sweep", sweep, "-p", "experiment",
            EXPERIMENT));
        if (results != null && nb.getFileName().toString().startsWith("01-")) {
          cmd.addAll(List.of("-p", "results", results));
        }
        running.put(nb, start(cmd, outDir.resolve(nb.getFileName() + ".log")));
      }
      Map<String, JsonNode> executed = new java.util.LinkedHashMap<>();
      for (Path nb : notebooks) {
        Path out = outDir.resolve(nb.getFileName());
        ProcessResult r = running.get(nb).await();
        System.out.printf("notebook %s on %s: done after %.1f s%n", nb.getFileName(), sweep,
            (System.nanoTime() - t0) / 1e9);
        JsonNode doc = Files.exists(out) ? json.readTree(out.toFile()) : null;
        if (r.exitCode != 0) {
          fail("notebook " + nb.getFileName() + " failed on sweep '" + sweep + "': " + (doc == null
              ? "no output notebook" : firstError(doc)) + "\n(executed notebook: " + out + ")\n"
              + tail(r.output, 40));
        }
        assertTrue(doc != null, "papermill wrote no " + out);
        String error = firstError(doc);
        assertTrue(error.isEmpty(), nb.getFileName() + ": " + error);
        int figures = saveFigures(doc, outDir.resolve("figures"), nb.getFileName().toString().replace(".ipynb", ""));
        assertTrue(figures >= 1, nb.getFileName() + " on " + sweep + " drew no figure");
        executed.put(nb.getFileName().toString(), doc);
      }
      return executed;
    } finally {
      running.values().forEach(Running::destroy);
    }
  }

  /** "cell N (`first line`): EName: message" of the first cell with an error output, or "" if none. */
  static String firstError(JsonNode nb) {
    int i = 0;
    for (JsonNode cell : nb.path("cells")) {
      for (JsonNode o : cell.path("outputs")) {
        if ("error".equals(o.path("output_type").asText())) {
          String first = joined(cell.path("source")).lines().findFirst().orElse("");
          String trace = stripAnsi(joinLines(o.path("traceback")));
          return "cell " + i + " (`" + first + "`): " + o.path("ename").asText() + ": " + o.path("evalue").asText()
              + "\n" + tail(trace, 25);
        }
      }
      i++;
    }
    return "";
  }

  /** All text the notebook printed or displayed (stream output and text/plain results). */
  static String text(JsonNode nb) {
    StringBuilder sb = new StringBuilder();
    for (JsonNode cell : nb.path("cells")) {
      for (JsonNode o : cell.path("outputs")) {
        sb.append(joined(o.path("text")));
        sb.append(joined(o.path("data").path("text/plain"))).append('\n');
      }
    }
    return sb.toString();
  }

  /** Writes every image/png output as {@code <prefix>-<n>.png}; returns how many. */
  static int saveFigures(JsonNode nb, Path dir, String prefix) throws IOException {
    Files.createDirectories(dir);
    int n = 0;
    for (JsonNode cell : nb.path("cells")) {
      for (JsonNode o : cell.path("outputs")) {
        JsonNode png = o.path("data").path("image/png");
        if (!png.isMissingNode()) {
          byte[] bytes = Base64.getMimeDecoder().decode(joined(png));
          Files.write(dir.resolve(prefix + "-" + (++n) + ".png"), bytes);
        }
      }
    }
    return n;
  }

  private static String joined(JsonNode node) {
    if (node.isArray()) {
      StringBuilder sb = new StringBuilder();
      node.forEach(x -> sb.append(x.asText()));
      return sb.toString();
    }
    return node.isMissingNode() || node.isNull() ? "" : node.asText();
  }

  private static String joinLines(JsonNode node) {
    List<String> lines = new ArrayList<>();
    node.forEach(x -> lines.add(x.asText()));
    return String.join("\n", lines);
  }

  static String stripAnsi(String s) {
    return s.replaceAll("\u001B\\[[;\\d]*[A-Za-z]", "");
  }

  // ------------------------------------------------------------------------------------------- MLflow UI

  @Test
  void mlflowUiListsTheChildRunsUnderTheParentAndChartsTheGradientNorm() throws Exception {
    assertTrue(Files.isExecutable(CHROMIUM), CHROMIUM + " is missing: jobs/bin/test-all installs it (as root: "
        + "apt-get install -y chromium)");
    MlflowRestReader reader = new MlflowRestReader(server.uri());
    RunRecord parent = reader.run(mainParent);
    List<RunRecord> children = reader.children(mainParent);
    // the child with the longest history makes the most telling chart
    RunRecord longest = children.stream()
        .max(Comparator.comparingInt(c -> reader.metricHistory(c.runId(), "grad/global_norm").size())).orElseThrow();
    int points = reader.metricHistory(longest.runId(), "grad/global_norm").size();
    Path shots = Path.of("target/ui").toAbsolutePath();
    Files.createDirectories(shots);
    List<String> cmd = new ArrayList<>(List.of(venvPython().toString(),
        repoRoot().resolve("jobs/src/test/python/mlflow_ui_check.py").toString(),
        "--url", server.uri(), "--experiment-id", parent.experimentId(), "--parent-run-id", mainParent,
        "--metric", "grad/global_norm", "--metric-run-id", longest.runId(), "--metric-points",
        Integer.toString(points), "--out", shots.toString(), "--chromium", CHROMIUM.toString()));
    for (RunRecord c : children) {
      cmd.add("--child");
      cmd.add(c.runId() + "=" + c.runName());
    }
    long t0 = System.nanoTime();
    ProcessResult r = run(cmd, shots.resolve("ui-check.log"));
    System.out.printf("MLflow UI check: %.1f s%n%s", (System.nanoTime() - t0) / 1e9, r.output);
    assertEquals(0, r.exitCode, "MLflow UI check failed (screenshots in " + shots + "):\n" + r.output);
    for (String png : List.of("runs-table-parent-expanded.png", "parent-run.png", "child-run-metric-chart.png")) {
      byte[] b = Files.readAllBytes(shots.resolve(png));
      assertTrue(b.length > 10_000 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G', png + ": " + b.length + " bytes");
    }
  }

  // ------------------------------------------------------------------------------------------- processes

  record ProcessResult(int exitCode, String output) {}

  /** A started subprocess whose output goes to a log file. */
  record Running(Process process, List<String> cmd, Path log) {
    /** Waits for the end (at most {@link #PROCESS_LIMIT_SECONDS}); fails the test if it hangs. */
    ProcessResult await() throws IOException, InterruptedException {
      try {
        if (!process.waitFor(PROCESS_LIMIT_SECONDS, TimeUnit.SECONDS)) {
          fail("still running after " + PROCESS_LIMIT_SECONDS + " s: " + String.join(" ", cmd) + "\n"
              + tail(Files.readString(log), 40));
        }
        return new ProcessResult(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
      } finally {
        destroy();
      }
    }

    /** Ends the process and everything it started (a papermill kernel, Chromium), if still running. */
    void destroy() {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      if (process.isAlive()) {
        process.destroyForcibly();
        try {
          process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  static Running start(List<String> cmd, Path log) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().remove("MLFLOW_TRACKING_URI");
    pb.environment().remove("GRADSWEEP_RESULTS"); // notebook 01 reads it as the default of `results`
    return new Running(pb.start(), cmd, log);
  }

  /** Runs a command to completion (output to {@code log} and returned); ends its whole tree if it hangs. */
  static ProcessResult run(List<String> cmd, Path log) throws IOException, InterruptedException {
    return start(cmd, log).await();
  }

  static String tail(String s, int lines) {
    List<String> all = s.lines().toList();
    return all.subList(Math.max(0, all.size() - lines), all.size()).stream().collect(Collectors.joining("\n"));
  }

  static Path repoRoot() {
    String prop = System.getProperty("gradsweep.repo.root");
    Path root = (prop != null ? Path.of(prop) : Path.of("..")).toAbsolutePath().normalize();
    assertTrue(Files.isDirectory(root.resolve("notebooks")), "no notebooks/ under " + root);
    return root;
  }

  /** The project venv's Python (next to the mlflow the test server runs). */
  static Path projectPython() {
    String bin = System.getenv(MlflowTestServer.BIN_ENV);
    Path python = bin != null && !bin.isBlank() ? Path.of(bin).resolveSibling("python")
        : repoRoot().resolve(".gradsweep/venv/bin/python");
    assertTrue(Files.isExecutable(python), "no Python at " + python + ": run jobs/bin/mlflow-local install");
    return python;
  }

  /** The project venv's Python, with papermill installed. */
  static Path venvPython() {
    Path python = projectPython();
    assertTrue(Files.isRegularFile(python.resolveSibling("papermill")), "papermill is not installed in "
        + python.getParent().getParent() + ": run jobs/bin/mlflow-local install (jobs/bin/requirements-analysis.txt)");
    return python;
  }
}
