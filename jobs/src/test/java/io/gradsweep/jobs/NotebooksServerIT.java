package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The notebooks find the server {@code jobs/bin/mlflow-local} runs, which listens on a free port: without a
 * {@code tracking_uri} parameter and without {@code $MLFLOW_TRACKING_URI}, {@code sweepreader.connect} asks
 * {@code jobs/bin/mlflow-local url}; a parameter and the environment come first; with none of the three the
 * notebook stops with a message saying how to name one. The server here has a state directory of its own
 * ({@code GRADSWEEP_MLFLOW_STATE_DIR}), so the checkout's own server is left alone.
 */
class NotebooksServerIT {
  record Result(int status, String out) {}

  private static Result run(Map<String, String> env, int seconds, List<String> cmd) throws Exception {
    File log = File.createTempFile("notebooks-server", ".log");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(AnalysisIT.repoRoot().resolve("notebooks").toFile())
          .redirectErrorStream(true).redirectOutput(log).redirectInput(ProcessBuilder.Redirect.from(
              new File("/dev/null")));
      pb.environment().remove("MLFLOW_TRACKING_URI");
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        throw new AssertionError(String.join(" ", cmd) + " did not finish in " + seconds + " s");
      }
      return new Result(p.exitValue(), Files.readString(log.toPath(), StandardCharsets.UTF_8));
    } finally {
      log.delete();
    }
  }

  /** What {@code sweepreader.resolve_tracking_uri(given)} returns, as "URI | source", or the error. */
  private static Result resolve(Map<String, String> env, String given) throws Exception {
    return run(env, 120, List.of(AnalysisIT.projectPython().toString(), "-c", "import sweepreader as sr\n"
        + "try:\n    print('%s | %s' % sr.resolve_tracking_uri('" + given + "'))\n"
        + "except ConnectionError as e:\n    print('ConnectionError:', e)\n"));
  }

  @Test
  void theNotebooksReadTheServerThatMlflowLocalRuns(@TempDir Path state) throws Exception {
    Map<String, String> env = Map.of("GRADSWEEP_MLFLOW_STATE_DIR", state.toString());
    Path script = AnalysisIT.repoRoot().resolve("jobs/bin/mlflow-local");

    Result none = resolve(env, "");
    assertTrue(none.out().contains("ConnectionError: no MLflow server to read: none given as tracking_uri (papermill: "
        + "-p tracking_uri URL), MLFLOW_TRACKING_URI is not set, and jobs/bin/mlflow-local runs no server"),
        none.out());

    Result start = run(env, 300, List.of(script.toString(), "start"));
    assertEquals(0, start.status(), start.out());
    try {
      String url = run(env, 60, List.of(script.toString(), "url")).out().strip();
      assertTrue(url.matches("http://127\\.0\\.0\\.1:\\d+"), url);
      assertEquals(url + " | jobs/bin/mlflow-local url", resolve(env, "").out().strip());
      Map<String, String> withEnv = new java.util.HashMap<>(env);
      withEnv.put("MLFLOW_TRACKING_URI", "http://mlflow.example.org:5000");
      assertEquals("http://mlflow.example.org:5000 | $MLFLOW_TRACKING_URI", resolve(withEnv, "").out().strip());
      assertEquals("http://given:1 | tracking_uri", resolve(withEnv, "http://given:1").out().strip());

      // a notebook without parameters reads that server (which has no sweep: its message names the server)
      Path out = state.resolve("01-sweep-overview.ipynb");
      List<String> papermill = new ArrayList<>(List.of(AnalysisIT.venvPython().toString(), "-m", "papermill", "-k",
          "python3", "--no-progress-bar", AnalysisIT.repoRoot().resolve("notebooks/01-sweep-overview.ipynb")
              .toString(), out.toString()));
      Result nb = run(env, 600, papermill);
      assertTrue(nb.status() != 0, "no sweep on a fresh server:\n" + nb.out());
      String error = AnalysisIT.firstError(new ObjectMapper().readTree(out.toFile()));
      assertTrue(error.contains("on " + url), error);
      String text = Files.readString(out, StandardCharsets.UTF_8);
      assertTrue(text.contains("MLflow server: " + url + " (from jobs/bin/mlflow-local url)"), "the notebook says "
          + "which server it read");
    } finally {
      Result stop = run(env, 120, List.of(script.toString(), "stop"));
      assertEquals(0, stop.status(), stop.out());
    }
  }
}
