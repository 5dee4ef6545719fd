package io.gradsweep.tracking.mlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.SpoolBacklog;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingException;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingSinkContract;
import io.gradsweep.tracking.spool.SegmentLog;
import io.gradsweep.tracking.spool.SpoolBudget;
import io.gradsweep.tracking.spool.SpoolMeta;
import io.gradsweep.tracking.spool.SpoolRecord;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowTestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tracking contract and the failure behaviour against a real MLflow server ({@link MlflowTestServer}). */
class MlflowTrackingSinkIT extends TrackingSinkContract {
  private static MlflowTestServer server;
  private static MlflowRestReader reader;

  @BeforeAll
  static void startServer() {
    long t0 = System.nanoTime();
    server = MlflowTestServer.start();
    System.out.printf("mlflow server %s up in %.1f s%n", server.uri(), (System.nanoTime() - t0) / 1e9);
    reader = new MlflowRestReader(server.uri(), 1000);
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Override
  protected TrackingSink openSink() {
    return new MlflowTrackingSink(server.uri());
  }

  @Override
  protected StoredRun readRun(String runId) {
    MlflowRestReader.RunRecord r = reader.run(runId);
    return new StoredRun(r.runName(), r.status(), r.params(), r.tags());
  }

  @Override
  protected List<String> childRunIds(String parentRunId) {
    return reader.children(parentRunId).stream().map(MlflowRestReader.RunRecord::runId).toList();
  }

  @Override
  protected List<MetricPoint> metricHistory(String runId, String key) {
    return reader.metricHistory(runId, key);
  }

  @Override
  protected byte[] readArtifact(String runId, String path) {
    return reader.downloadArtifact(runId, path);
  }

  @Override
  protected List<String> artifactPaths(String runId) {
    return reader.allArtifactPaths(runId);
  }

  // ---------------------------------------------------------------- MLflow-specific

  @Test
  void sweepRunHasUiUrlAndExperimentIsReused() {
    String experiment = uniqueExperiment("it-ui");
    try (MlflowTrackingSink sink = new MlflowTrackingSink(server.uri() + "/")) {
      SweepRun a = sink.startSweep(experiment, "a", Map.of(), Map.of(), null);
      SweepRun b = sink.startSweep(experiment, "b", Map.of(), Map.of(), null);
      assertEquals(a.experimentId(), b.experimentId());
      assertEquals(reader.experimentId(experiment).orElseThrow(), a.experimentId());
      // MLflow 3's UI shows the experiment as model training, not in its GenAI view
      assertEquals("custom_model_development", reader.experimentTags(experiment).get("mlflow.experimentKind"));
      assertEquals(server.uri() + "/#/experiments/" + a.experimentId() + "/runs/" + a.runId() + "?workflowType=machine_learning",
          a.uiUrl());
      MlflowTrialRun t = sink.startTrial(a, trial(experiment, "a", 0.1, 1));
      assertEquals(server.uri() + "/#/experiments/" + a.experimentId() + "/runs/" + t.runId() + "?workflowType=machine_learning",
          t.uiUrl());
      t.finish(true);
      sink.endSweep(a, true);
      sink.endSweep(b, true);
    }
  }

  @Test
  void flushMakesPointsVisibleBeforeFinish() {
    String experiment = uniqueExperiment("it-flush");
    MlflowTrackingSink.Settings slow = MlflowTrackingSink.Settings.defaults()
        .withFlush(Duration.ofMinutes(10), 100_000);
    try (MlflowTrackingSink sink = new MlflowTrackingSink(server.uri(), slow)) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null);
      MlflowTrialRun run = sink.startTrial(sweep, trial(experiment, "s", 0.1, 1));
      for (int i = 0; i < 50; i++) {
        run.logMetric("loss", i, i);
      }
      assertEquals(0, reader.metricHistory(run.runId(), "loss").size(), "buffered, not yet sent");
      run.flush();
      assertEquals(50, reader.metricHistory(run.runId(), "loss").size());
      run.finish(true);
    }
  }

  @Test
  void aSmallSpoolMakesTheCallerWaitInsteadOfGrowing(@TempDir Path spoolRoot) {
    String experiment = uniqueExperiment("it-queue");
    MlflowTrackingSink.Settings tiny = MlflowTrackingSink.Settings.defaults()
        .withFlush(Duration.ofMillis(200), 10);
    tiny = tiny.withSpool(tiny.spool().withRoot(spoolRoot).withMaxBytes(2048));
    try (MlflowTrackingSink sink = new MlflowTrackingSink(server.uri(), tiny)) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null);
      MlflowTrialRun run = sink.startTrial(sweep, trial(experiment, "s", 0.1, 1));
      for (int i = 0; i < 500; i++) {
        run.logMetric("loss", i, i);
      }
      run.finish(true);
      List<MetricPoint> h = reader.metricHistory(run.runId(), "loss");
      assertEquals(500, h.size());
      for (int i = 0; i < 500; i++) {
        assertEquals(i, h.get(i).step());
      }
      assertFalse(Files.exists(run.spoolDirectory()), "a delivered run's spool is deleted");
    }
  }

  @Test
  void badRequestsFailAtOnceWithTheServersMessage() {
    try (MlflowTrackingSink sink = new MlflowTrackingSink(server.uri())) {
      long t0 = System.nanoTime();
      SweepRun bogus = new SweepRun("987654321", "0123456789abcdef0123456789abcdef", null);
      TrackingException e = assertThrows(TrackingException.class,
          () -> sink.startTrial(bogus, trial("e", "s", 0.1, 1)));
      double seconds = (System.nanoTime() - t0) / 1e9;
      assertTrue(seconds < 5, "not retried: " + seconds + " s");
      assertTrue(e.getMessage().contains("MLflow at " + server.uri()), e.getMessage());
      assertTrue(e.getMessage().contains("HTTP 4"), e.getMessage());
      assertTrue(e.getMessage().contains("987654321"), e.getMessage());
    }
  }

  @Test
  void checkReachableExplainsWhatIsWrong() throws Exception {
    new MlflowTrackingSink(server.uri()).checkReachable();

    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      closedPort = s.getLocalPort();
    }
    String refusedUri = "http://127.0.0.1:" + closedPort;
    TrackingException refused = assertThrows(TrackingException.class,
        () -> new MlflowTrackingSink(refusedUri).checkReachable());
    assertTrue(refused.getMessage().contains(refusedUri) && refused.getMessage().contains("connection refused"),
        refused.getMessage());

    HttpServer other = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    other.createContext("/", ex -> respond(ex, 404, "text/html", "<html>nothing here</html>"));
    other.start();
    try {
      String otherUri = "http://127.0.0.1:" + other.getAddress().getPort();
      TrackingException notMlflow = assertThrows(TrackingException.class,
          () -> new MlflowTrackingSink(otherUri).checkReachable());
      assertTrue(notMlflow.getMessage().contains(otherUri) && notMlflow.getMessage().contains("not an MLflow"),
          notMlflow.getMessage());
    } finally {
      other.stop(0);
    }
  }

  /**
   * The server goes away in the middle of a trial and comes back: buffered points are retried (connection
   * refused), the caller is not blocked, and everything ends up stored once.
   */
  @Test
  void survivesAServerRestartMidTrial() throws Exception {
    String experiment = uniqueExperiment("it-restart");
    MlflowTrackingSink.Settings settings = MlflowTrackingSink.Settings.defaults()
        .withFlush(Duration.ofMillis(200), 100)
        .withRetry(new RetryPolicy(Duration.ofSeconds(90), Duration.ofMillis(250), Duration.ofSeconds(2)));
    try (MlflowTrackingSink sink = new MlflowTrackingSink(server.uri(), settings)) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null);
      MlflowTrialRun run = sink.startTrial(sweep, trial(experiment, "s", 0.1, 1));
      for (int i = 0; i < 300; i++) {
        run.logMetric("loss", i, i);
      }
      run.flush();
      server.stop();
      long t0 = System.nanoTime();
      for (int i = 300; i < 1300; i++) {
        run.logMetric("loss", i, i);
      }
      double loggingSeconds = (System.nanoTime() - t0) / 1e9;
      assertTrue(loggingSeconds < 2, "logMetric must not wait for the server: " + loggingSeconds + " s");
      Thread.sleep(1500); // let the sender hit connection refused a few times
      CompletableFuture<Void> back = CompletableFuture.runAsync(server::restart);
      run.finish(true); // waits for the server to come back
      back.get();
      List<MetricPoint> h = reader.metricHistory(run.runId(), "loss");
      assertEquals(1300, h.size());
      for (int i = 0; i < 1300; i++) {
        assertEquals(i, h.get(i).step());
      }
      assertEquals("FINISHED", reader.status(run.runId()));
      sink.endSweep(sweep, true);
    } finally {
      if (!server.isRunning()) {
        server.restart();
      }
    }
  }

  /**
   * When the server stays away longer than the give-up deadline, the sender stops but nothing is lost: logging
   * goes on into the spool, finish returns and says what is left where, and a replay once the server is back sends
   * it exactly once and ends the run as logged.
   */
  @Test
  void senderGivesUpKeepsTheSpoolAndReplaySendsItExactlyOnce(@TempDir Path spoolRoot) {
    String experiment = uniqueExperiment("it-give-up");
    MlflowTrackingSink.Settings settings = MlflowTrackingSink.Settings.defaults()
        .withFlush(Duration.ofMillis(100), 10);
    settings = settings.withSpool(settings.spool().withRoot(spoolRoot)
        .withGiveUp(Duration.ofSeconds(1), Duration.ofMillis(200)));
    try (MlflowTrackingSink sink = new MlflowTrackingSink(server.uri(), settings)) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null);
      MlflowTrialRun run = sink.startTrial(sweep, trial(experiment, "s", 0.1, 1));
      run.logMetric("loss", 1.0, 0);
      run.flush();
      server.stop();
      run.logMetric("loss", 2.0, 1);
      TrackingException flushFailure = assertThrows(TrackingException.class, run::flush);
      assertTrue(flushFailure.getMessage().contains("gave up sending to MLflow at " + server.uri()),
          flushFailure.getMessage());
      assertTrue(flushFailure.getMessage().contains("connection refused"), flushFailure.getMessage());
      run.logMetric("loss", 3.0, 2); // still recorded, in the spool
      run.logArtifact("notes.txt", "kept".getBytes(StandardCharsets.UTF_8));
      run.finish(true);
      SpoolBacklog left = run.undelivered();
      assertNotNull(left);
      assertEquals(4, left.records(), "2 points, the artifact and the run's end: " + left);
      assertEquals(spoolRoot.toString(), left.root());
      assertTrue(Files.isDirectory(run.spoolDirectory()));

      server.restart();
      assertEquals("RUNNING", reader.status(run.runId()));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      SpoolReplay.Result r = SpoolReplay.replay(spoolRoot, null, RetryPolicy.DEFAULT, TrackingCredentials.none(),
          new PrintStream(out, true, StandardCharsets.UTF_8));
      assertEquals(new SpoolReplay.Result(1, 1, 0, 0, 4), r, out.toString(StandardCharsets.UTF_8));
      assertEquals(List.of(1.0, 2.0, 3.0),
          reader.metricHistory(run.runId(), "loss").stream().map(MetricPoint::value).toList());
      assertEquals("FINISHED", reader.status(run.runId()));
      assertEquals("kept", new String(reader.downloadArtifact(run.runId(), "notes.txt"), StandardCharsets.UTF_8));
      assertFalse(Files.exists(run.spoolDirectory()), "a replayed spool is deleted");
      // a second replay finds nothing, and sends nothing twice
      SpoolReplay.Result again = SpoolReplay.replay(spoolRoot, null, RetryPolicy.DEFAULT, TrackingCredentials.none(),
          new PrintStream(out, true, StandardCharsets.UTF_8));
      assertEquals(0, again.runs());
      assertEquals(3, reader.metricHistory(run.runId(), "loss").size());
      sink.endSweep(sweep, true);
    } finally {
      if (!server.isRunning()) {
        server.restart();
      }
    }
  }

  /**
   * A request the server refuses for good (log-batch to a run deleted meanwhile: HTTP 400) is reported, not retried
   * until the give-up deadline: logging then fails, and finish ends the run FAILED and throws.
   */
  @Test
  void aRefusedBatchIsReportedNotRetried(@TempDir Path spoolRoot) throws Exception {
    String experiment = uniqueExperiment("it-refused");
    MlflowTrackingSink.Settings settings = MlflowTrackingSink.Settings.defaults().withFlush(Duration.ofMillis(100), 10);
    settings = settings.withSpool(settings.spool().withRoot(spoolRoot)); // gives up only after 15 minutes
    try (MlflowTrackingSink sink = new MlflowTrackingSink(server.uri(), settings)) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null);
      MlflowTrialRun run = sink.startTrial(sweep, trial(experiment, "s", 0.1, 1));
      HttpResponse<String> deleted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create(server.uri() + "/api/2.0/mlflow/runs/delete"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"run_id\":\"" + run.runId() + "\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, deleted.statusCode(), deleted.body());
      run.logMetric("loss", 1.0, 1);
      TrackingException e = assertThrows(TrackingException.class, run::flush);
      assertTrue(e.getMessage().contains("HTTP 400"), e.getMessage());
      assertTrue(e.getMessage().contains("must be in the 'active' state"), e.getMessage());
      assertThrows(TrackingException.class, () -> run.logMetric("loss", 2.0, 2));
      TrackingException end = assertThrows(TrackingException.class, () -> run.finish(true));
      assertTrue(end.getMessage().contains("ended FAILED") && end.getMessage().contains(spoolRoot.toString()),
          end.getMessage());
      sink.endSweep(sweep, true);
    }
  }

  /**
   * An executor that died left a spool on this host (no end record, lock released with the process): with
   * adoption on ({@link io.gradsweep.conf.ConfKeys#SPOOL_ADOPT}), the next trial started from that spool root sends it,
   * once, and deletes it.
   */
  @Test
  void aSpoolLeftByADeadExecutorIsSentWhenTheNextTrialStarts(@TempDir Path first, @TempDir Path second)
      throws Exception {
    String experiment = uniqueExperiment("it-adopt");
    MlflowTrackingSink.Settings settings = MlflowTrackingSink.Settings.defaults();
    try (MlflowTrackingSink sink = new MlflowTrackingSink(server.uri(), settings.withSpool(
        settings.spool().withRoot(first)))) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null);
      MlflowTrialRun dead = sink.startTrial(sweep, trial(experiment, "s", 0.1, 1));
      dead.logMetric("loss", 1.0, 1);
      dead.flush();
      // what the dead executor had logged but not sent
      SegmentLog left = SegmentLog.create(second, new SpoolMeta(dead.runId(), dead.experimentId(), "", server.uri(),
          "h", 1), new SpoolBudget(Long.MAX_VALUE), 1 << 20);
      for (int i = 2; i <= 50; i++) {
        left.append(new SpoolRecord.Metric("loss", i, 1000L + i, i), () -> true);
      }
      left.close();
      try (MlflowTrackingSink next = new MlflowTrackingSink(server.uri(), settings.withSpool(
          settings.spool().withRoot(second).withAdopt(true)))) {
        MlflowTrialRun run = next.startTrial(sweep, trial(experiment, "s", 0.2, 1));
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (Files.exists(left.directory()) && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertFalse(Files.exists(left.directory()), "the left spool was sent and deleted");
        assertEquals(50, reader.metricHistory(dead.runId(), "loss").size());
        run.finish(true);
      }
      dead.finish(true);
      sink.endSweep(sweep, true);
    }
  }

  /**
   * A proxy that passes the first runs/create to the server but answers 502 to the client (the answer is "lost"):
   * the retried create finds the run by its create token instead of creating a second child.
   */
  @Test
  void lostCreateAnswerDoesNotDuplicateTheRun() throws Exception {
    AtomicInteger creates = new AtomicInteger();
    HttpClient forward = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpServer proxy = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    proxy.createContext("/", ex -> {
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readAllBytes();
      }
      String path = ex.getRequestURI().toString();
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.uri() + path))
          .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(body));
      String ct = ex.getRequestHeaders().getFirst("Content-Type");
      if (ct != null) {
        b.header("Content-Type", ct);
      }
      try {
        HttpResponse<byte[]> r = forward.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (path.endsWith("/runs/create") && creates.incrementAndGet() == 1) {
          respond(ex, 502, "text/plain", "bad gateway (injected)");
          return;
        }
        ex.getResponseHeaders().add("Content-Type", r.headers().firstValue("content-type").orElse("text/plain"));
        ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(r.body());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        respond(ex, 500, "text/plain", "interrupted");
      }
    });
    proxy.start();
    String experiment = uniqueExperiment("it-lost-create");
    try (MlflowTrackingSink sink = new MlflowTrackingSink("http://127.0.0.1:" + proxy.getAddress().getPort())) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null); // 1st create: answer lost
      MlflowTrialRun run = sink.startTrial(sweep, trial(experiment, "s", 0.1, 1));
      run.finish(true);
      sink.endSweep(sweep, true);
      List<MlflowRestReader.RunRecord> runs = reader.runsOfExperiment(sweep.experimentId());
      assertEquals(2, runs.size(), "parent once, child once: " + runs);
      assertEquals(List.of(run.runId()), childRunIds(sweep.runId()));
      assertTrue(creates.get() >= 2);
    } finally {
      proxy.stop(0);
    }
  }

  private static void respond(HttpExchange ex, int status, String contentType, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", contentType);
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }
}
