package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradsweep.testkit.MlflowTestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code run --live} on local Spark against a real MLflow server, watched in headless Chromium
 * ({@code src/test/python/live_view_check.py}, Playwright, the project venv): a running trial's heatmap grows to at
 * least 3 rows and beyond, a finished trial shows in the strip; the screenshot goes to
 * {@code jobs/target/ui/live.png}. Then {@code watch} serves the same sweep from MLflow alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LiveViewIT {
  static final Path SPEC = Path.of("src/test/resources/live-sweep.yaml");
  static final Path SHOTS = Path.of("target/ui").toAbsolutePath();
  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private MlflowTestServer server;

  @BeforeAll
  void startServer() {
    server = MlflowTestServer.start();
  }

  @AfterAll
  void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  private record Outcome(int status, String out, String err) {}

  private CompletableFuture<Outcome> inBackground(String... args) {
    return CompletableFuture.supplyAsync(() -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int status = SweepJob.run(args, Map.of("OMP_NUM_THREADS", "1"), new PrintStream(out, true,
          StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
      return new Outcome(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    });
  }

  private String get(String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  /** Waits until {@code url} answers (the view is up); false when {@code sweep} ended first or after 120 s. */
  private boolean awaitUp(String url, CompletableFuture<Outcome> sweep) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline && !sweep.isDone()) {
      try {
        get(url);
        return true;
      } catch (IOException e) {
        Thread.sleep(200);
      }
    }
    return false;
  }

  @Test
  void aRunningTrialsHeatmapGrowsInTheBrowserAndFinishedTrialsJoinTheStripThenWatchShowsTheSweep()
      throws Exception {
    assertTrue(Files.isExecutable(AnalysisIT.CHROMIUM), AnalysisIT.CHROMIUM + " is missing: jobs/bin/test-all "
        + "installs it (as root: apt-get install -y chromium)");
    Files.createDirectories(SHOTS);
    int port = freePort();
    String url = "http://127.0.0.1:" + port + "/";
    System.setProperty("spark.master", "local[2]");
    CompletableFuture<Outcome> sweep;
    try {
      sweep = inBackground("run", SPEC.toString(), "--tracking-uri", server.uri(), "--parallelism", "1", "--live",
          "--live-port", Integer.toString(port));
      assertTrue(awaitUp(url, sweep), "the live view did not come up at " + url
          + (sweep.isDone() ? ":\n" + sweep.join() : ""));
      long t0 = System.nanoTime();
      AnalysisIT.ProcessResult check = AnalysisIT.run(List.of(AnalysisIT.projectPython().toString(),
          AnalysisIT.repoRoot().resolve("jobs/src/test/python/live_view_check.py").toString(), "--url", url,
          "--out", SHOTS.resolve("live.png").toString(), "--chromium", AnalysisIT.CHROMIUM.toString()),
          SHOTS.resolve("live-check.log"));
      System.out.printf("live view check: %.1f s%n%s", (System.nanoTime() - t0) / 1e9, check.output());
      Outcome done = sweep.get(5, TimeUnit.MINUTES);
      assertEquals(0, check.exitCode(), "the browser check failed (screenshot in " + SHOTS + "):\n" + check.output()
          + "\nsweep:\n" + done.err());
      assertEquals(0, done.status(), done.out() + done.err());
      assertTrue(done.err().contains("gradsweep: live view of sweep 'live-it': " + url + " (read-only, this "
          + "machine only)"), done.err());
      assertTrue(done.err().lines().anyMatch(l -> l.startsWith("gradsweep: live view " + url + " (parent run http")),
          "printed with the parent run's link:\n" + done.err());
    } finally {
      System.clearProperty("spark.master");
    }
    byte[] png = Files.readAllBytes(SHOTS.resolve("live.png"));
    assertTrue(png.length > 20_000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', png.length + " bytes");

    // watch: the same view of the finished sweep, from MLflow alone
    int watchPort = freePort();
    String watchUrl = "http://127.0.0.1:" + watchPort + "/";
    CompletableFuture<Outcome> watch = inBackground("watch", "--experiment", "gradsweep-live-it", "--sweep",
        "live-it", "--tracking-uri", server.uri(), "--live-port", Integer.toString(watchPort));
    assertTrue(awaitUp(watchUrl, watch), "watch did not serve" + (watch.isDone() ? ":\n" + watch.join() : ""));
    JsonNode state = json.readTree(get(watchUrl + "api/state?since=0"));
    for (int i = 0; i < 100 && !allDrawn(state, 3); i++) {
      Thread.sleep(200);
      state = json.readTree(get(watchUrl + "api/state?since=0"));
    }
    assertEquals(3, state.path("trials").size(), state.toString());
    assertTrue(state.path("factors").toString().contains("\"cell\""), "rnn, lstm, gru: " + state.path("factors"));
    for (JsonNode t : state.path("trials")) {
      assertEquals("FINISHED", t.path("status").asText());
      assertTrue(t.path("rows").size() >= 10, t.path("name") + ": " + t.path("rows").size() + " rows");
    }
    assertEquals("FINISHED", state.path("sweep").path("status").asText());
  }

  /** Whether the state holds {@code n} trials, each with heatmap rows (a round reads the runs, then their points). */
  private static boolean allDrawn(JsonNode state, int n) {
    int drawn = 0;
    for (JsonNode t : state.path("trials")) {
      drawn += t.path("rows").size() > 0 ? 1 : 0;
    }
    return drawn >= n;
  }

  /**
   * 200 running trials (a model filled here, a new profile row for each every second, no MLflow): the page shows
   * them, keeps updating, and its event loop stays responsive; it draws only the panels on screen.
   */
  @Test
  void twoHundredRunningTrialsKeepThePageResponsive() throws Exception {
    int trials = 200;
    io.gradsweep.live.LiveModel model = new io.gradsweep.live.LiveModel();
    model.sweep("load", null, "RUNNING");
    java.util.List<io.gradsweep.tracking.RunSnapshot> runs = new java.util.ArrayList<>();
    for (int i = 0; i < trials; i++) {
      runs.add(new io.gradsweep.tracking.RunSnapshot("r" + i, "1", "trial " + i, "RUNNING", i,
          Map.of("lr", Integer.toString(i % 10), "seed", Integer.toString(i / 10)), Map.of(),
          Map.of("profile/layer0/dh_b00", 1.0, "eval/baseline_loss", 0.167)));
    }
    model.runs(runs);
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread feeder = new Thread(() -> {
      for (long step = 1; !stop.get(); step++) {
        for (int i = 0; i < trials; i++) {
          Map<Integer, List<io.gradsweep.tracking.MetricPoint>> buckets = new java.util.HashMap<>();
          for (int b = 0; b < io.gradsweep.live.LiveModel.BUCKETS; b++) {
            buckets.put(b, List.of(new io.gradsweep.tracking.MetricPoint("k",
                Math.pow(10, (b - 15) * 0.3 * (1 + step * 0.05)), 0, step * 10)));
          }
          model.addProfile("r" + i, buckets, false);
          model.addLoss("r" + i, List.of(new io.gradsweep.tracking.MetricPoint("eval/loss", 1.0 / step, 0,
              step * 10)));
        }
        try {
          Thread.sleep(step < 20 ? 50 : 1000); // 20 rows at once, then one a second
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    feeder.setDaemon(true);
    feeder.start();
    Files.createDirectories(SHOTS);
    try (io.gradsweep.live.LiveServer s = io.gradsweep.live.LiveServer.start(model, "127.0.0.1", 0)) {
      Thread.sleep(1500);
      AnalysisIT.ProcessResult r = AnalysisIT.run(List.of(AnalysisIT.projectPython().toString(),
          AnalysisIT.repoRoot().resolve("jobs/src/test/python/live_view_check.py").toString(), "--url", s.url(),
          "--load", Integer.toString(trials), "--seconds", "10", "--out", SHOTS.resolve("live-200.png").toString(),
          "--chromium", AnalysisIT.CHROMIUM.toString()), SHOTS.resolve("live-200.log"));
      System.out.println("200 running trials: " + r.output());
      assertEquals(0, r.exitCode(), r.output());
      JsonNode seen = json.readTree(r.output().lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b)
          .orElseThrow());
      assertTrue(seen.path("max_lag_ms").asDouble() < 1000, "the page's event loop was late by "
          + seen.path("max_lag_ms") + " ms");
      assertTrue(seen.path("panels_drawn").asInt() < trials, "only the panels on screen are drawn: " + seen);
    } finally {
      stop.set(true);
    }
  }
}
