package io.gradsweep.tracking.mlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gradsweep.spec.ClipMode;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowTestServer;
import io.gradsweep.tracking.DuplicateRuns;
import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.spool.SegmentLog;
import io.gradsweep.tracking.spool.SpoolBudget;
import io.gradsweep.tracking.spool.SpoolMeta;
import io.gradsweep.tracking.spool.SpoolRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trial run's end that waited in a spool (its executor was lost during an MLflow outage) and is sent later, as
 * {@code gradsweep replay} does ({@link SpoolReplay}), against a real MLflow server ({@link MlflowTestServer}): the
 * runs are made by {@link MlflowTrackingSink}, the lost executor's spool by {@link SegmentLog}, and every status and
 * tag is read back from the server. When a retry of the trial has FINISHED its own run meanwhile, the late run ends
 * KILLED as its duplicate, never as a second FINISHED run; two ends that raced leave the first started run FINISHED.
 */
class LateEndReplayIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static MlflowTestServer server;
  private static MlflowRestReader reader;

  @TempDir
  Path dir;

  @BeforeAll
  static void startServer() {
    long t0 = System.nanoTime();
    server = MlflowTestServer.start();
    System.out.printf("mlflow server %s up in %.1f s%n", server.uri(), (System.nanoTime() - t0) / 1e9);
    reader = new MlflowRestReader(server.uri());
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  /** A sink whose trial runs spool under {@code dir/sink} (never under the lost executor's spool root). */
  private MlflowTrackingSink sink() {
    MlflowTrackingSink.Settings s = MlflowTrackingSink.Settings.defaults();
    return new MlflowTrackingSink(server.uri(), s.withSpool(s.spool().withRoot(dir.resolve("sink"))));
  }

  /** Where the lost executor's spool is left, what {@code gradsweep replay} is pointed at. */
  private Path lostSpools() {
    return dir.resolve("lost");
  }

  private static TrialSpec trial(String experiment, double lr) {
    return new TrialSpec(experiment, "s", "adding", 64, 7L, 50, "rnn", "tanh",
        new ClipSpec(ClipMode.GLOBAL_NORM, 1.0), 0, "adam", lr, 32, 1, "default", 1L, 16, 100, 10, 0.05);
  }

  private static String uniqueExperiment(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * A run of {@code trial} whose executor is lost: it logged a point and then nothing more reached the server (the
   * run stays RUNNING there).
   */
  private static String lostRun(MlflowTrackingSink sink, SweepRun sweep, TrialSpec trial) {
    MlflowTrialRun run = sink.startTrial(sweep, trial);
    run.logMetric("loss", 0.9, 1);
    run.suspend(); // delivers what was logged, sends no end
    assertEquals(RunSnapshot.RUNNING, reader.status(run.runId()));
    return run.runId();
  }

  /** The spool the lost executor left for {@code runId}: a point of step 7 and the run's end, FINISHED. */
  private void spooledEnd(String runId) {
    MlflowRestReader.RunRecord r = reader.run(runId);
    SegmentLog spool = SegmentLog.create(lostSpools(), new SpoolMeta(runId, r.experimentId(), r.artifactUri(),
        server.uri(), "lost-host", System.currentTimeMillis()), SpoolBudget.unbounded(), 1 << 16);
    spool.appendUnbudgeted(new SpoolRecord.Metric("loss", 0.5, System.currentTimeMillis(), 7));
    spool.appendUnbudgeted(new SpoolRecord.End("FINISHED", System.currentTimeMillis()));
    spool.close();
  }

  /**
   * {@code gradsweep replay} of the lost spools (only {@code runId}'s), to their own server or to
   * {@code uriOverride}; what it said.
   */
  private String replay(String runId, String uriOverride) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SpoolReplay.Result r = SpoolReplay.replay(lostSpools(), uriOverride, RetryPolicy.NONE, TrackingCredentials.none(),
        new PrintStream(out, true, StandardCharsets.UTF_8));
    String said = out.toString(StandardCharsets.UTF_8);
    assertEquals(1, r.delivered(), said);
    assertEquals(2, r.records(), said);
    assertTrue(said.contains("run " + runId + ": sent 2 records"), said);
    assertFalse(Files.exists(lostSpools().resolve(runId)), "a delivered spool is deleted: " + said);
    return said;
  }

  private static List<String> finishedRuns(MlflowTrackingSink sink, SweepRun sweep, TrialSpec trial) {
    return sink.trialRuns(sweep, trial.id()).stream().filter(RunSnapshot::finished).map(RunSnapshot::runId).toList();
  }

  @Test
  void aLateEndOfARunWhoseTrialARetryFinishedEndsItKilledAsADuplicate() {
    String experiment = uniqueExperiment("late-end");
    TrialSpec a = trial(experiment, 0.1);
    TrialSpec b = trial(experiment, 0.01);
    try (MlflowTrackingSink sink = sink()) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null);
      String late = lostRun(sink, sweep, a);
      // the retry of trial a (TrialAttempt) ends attempt 0's run FAILED, superseded, and FINISHES its own run
      sink.endTrialRun(sweep, late, RunSnapshot.FAILED, Map.of(Names.Tag.SUPERSEDED, "true"));
      MlflowTrialRun retry = sink.startTrial(sweep, a);
      retry.logMetric("loss", 0.25, 7);
      retry.finish(true);
      MlflowTrialRun other = sink.startTrial(sweep, b);
      other.finish(true);
      assertEquals(RunSnapshot.FAILED, reader.status(late));
      spooledEnd(late);

      String said = replay(late, null);

      assertEquals(DuplicateRuns.KILLED, reader.status(late), said);
      assertEquals(retry.runId(), reader.tags(late).get(Names.Tag.DUPLICATE_OF), said);
      assertTrue(said.contains("ended KILLED"), said);
      assertEquals(List.of(0.9, 0.5), reader.metricHistory(late, "loss").stream().map(MetricPoint::value).toList(),
          "the late run's points are stored all the same");
      assertEquals(RunSnapshot.FINISHED, reader.status(retry.runId()), "the retry's run stays the trial's run");
      assertNull(reader.tags(retry.runId()).get(Names.Tag.DUPLICATE_OF));
      assertEquals(List.of(retry.runId()), finishedRuns(sink, sweep, a), "one FINISHED run of the trial");
      assertEquals(RunSnapshot.FINISHED, reader.status(other.runId()), "another trial's run is not touched");
      assertNull(reader.tags(other.runId()).get(Names.Tag.DUPLICATE_OF));
      sink.endSweep(sweep, true);
    }
  }

  @Test
  void aLateEndOfTheTrialsOnlyRunEndsItFinished() {
    String experiment = uniqueExperiment("late-end-only");
    TrialSpec a = trial(experiment, 0.1);
    try (MlflowTrackingSink sink = sink()) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null);
      String late = lostRun(sink, sweep, a);
      MlflowTrialRun failedRetry = sink.startTrial(sweep, a);
      failedRetry.finish(false);
      assertEquals(RunSnapshot.FAILED, reader.status(failedRetry.runId()));
      spooledEnd(late);

      String said = replay(late, null);

      assertEquals(RunSnapshot.FINISHED, reader.status(late), said);
      assertNull(reader.tags(late).get(Names.Tag.DUPLICATE_OF), said);
      assertTrue(said.contains("ended FINISHED"), said);
      assertEquals(RunSnapshot.FAILED, reader.status(failedRetry.runId()));
      assertEquals(List.of(late), finishedRuns(sink, sweep, a));
      sink.endSweep(sweep, true);
    }
  }

  /**
   * Two ends that raced: while the replay sends run {@code r1}'s end, another process ends {@code r0} (same trial,
   * started first) FINISHED, its own check having passed before r1's end was stored. The replay's requests go
   * through {@link #raceProxy}, which forwards each one to the real server unchanged and returns the server's answer;
   * right after the server stored r1's FINISHED it ends r0 FINISHED on the server, so both checks before the ends saw
   * no FINISHED run. The look after the end must leave the first started run FINISHED and end the other KILLED.
   */
  @Test
  void endsThatRacedLeaveTheFirstStartedRunFinishedAndTheOtherKilled() throws Exception {
    String experiment = uniqueExperiment("late-end-race");
    TrialSpec a = trial(experiment, 0.1);
    try (MlflowTrackingSink sink = sink()) {
      SweepRun sweep = sink.startSweep(experiment, "s", Map.of(), Map.of(), null);
      String r0 = lostRun(sink, sweep, a);
      Thread.sleep(20); // MLflow's start times are in ms: r0 starts strictly first
      String r1 = lostRun(sink, sweep, a);
      assertTrue(reader.run(r0).startTime() < reader.run(r1).startTime(), "r0 started first");
      spooledEnd(r1);
      MlflowRestClient otherProcess = new MlflowRestClient(server.uri(), RetryPolicy.NONE, Duration.ofSeconds(10),
          Duration.ofSeconds(60), TrackingCredentials.none());
      AtomicInteger raced = new AtomicInteger();
      AtomicReference<Throwable> proxyFailure = new AtomicReference<>();
      HttpServer proxy = raceProxy(r1, () -> {
        assertEquals(RunSnapshot.RUNNING, reader.status(r0), "r0 has not ended before r1's end");
        otherProcess.updateRun(r0, RunSnapshot.FINISHED, System.currentTimeMillis());
        raced.incrementAndGet();
      }, proxyFailure);
      String said;
      try {
        said = replay(r1, "http://127.0.0.1:" + proxy.getAddress().getPort());
      } finally {
        proxy.stop(0);
      }

      assertNull(proxyFailure.get(), () -> "the proxy failed: " + proxyFailure.get());
      assertEquals(1, raced.get(), "r0 was ended FINISHED while r1's end was being sent: " + said);
      assertEquals(RunSnapshot.FINISHED, reader.status(r0), said);
      assertNull(reader.tags(r0).get(Names.Tag.DUPLICATE_OF), said);
      assertEquals(DuplicateRuns.KILLED, reader.status(r1), "the later started run loses: " + said);
      assertEquals(r0, reader.tags(r1).get(Names.Tag.DUPLICATE_OF), said);
      assertTrue(said.contains("ended KILLED"), said);
      assertEquals(List.of(r0), finishedRuns(sink, sweep, a));
      sink.endSweep(sweep, true);
    }
  }

  /**
   * A pass-through proxy to the real server: every request is forwarded unchanged and answered with the server's
   * answer; after forwarding {@code runs/update} setting run {@code runId} FINISHED, it runs {@code afterEnd} (another
   * process's end) before it answers. A failure is kept in {@code failure} and answered with status 500.
   */
  private static HttpServer raceProxy(String runId, Runnable afterEnd, AtomicReference<Throwable> failure)
      throws IOException {
    HttpClient forward = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpServer proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    proxy.createContext("/", ex -> {
      try {
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
        HttpResponse<byte[]> r = forward.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        if (path.endsWith("/runs/update") && r.statusCode() == 200) {
          JsonNode sent = JSON.readTree(body);
          if (runId.equals(sent.path("run_id").asText()) && "FINISHED".equals(sent.path("status").asText())) {
            afterEnd.run();
          }
        }
        ex.getResponseHeaders().add("Content-Type", r.headers().firstValue("content-type").orElse("text/plain"));
        ex.sendResponseHeaders(r.statusCode(), r.body().length == 0 ? -1 : r.body().length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(r.body());
        }
      } catch (Throwable e) {
        failure.compareAndSet(null, e);
        try {
          respond(ex, 500, "proxy failure: " + e);
        } catch (IOException ignored) {
          // the answer had begun: the client sees a broken answer instead
        }
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
      }
    });
    proxy.start();
    return proxy;
  }

  private static void respond(HttpExchange ex, int status, String text) throws IOException {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().add("Content-Type", "text/plain");
    ex.sendResponseHeaders(status, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }
}
