package io.gradsweep.tracking.mlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.spool.SegmentLog;
import io.gradsweep.tracking.spool.SpoolBudget;
import io.gradsweep.tracking.spool.SpoolMeta;
import io.gradsweep.tracking.spool.SpoolRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trial run's end that waited in a spool (its executor was lost during an MLflow outage) and is sent later by
 * {@code gradsweep replay}, against a stand-in MLflow server (the four REST calls involved, runs kept in memory):
 * when a retry of the trial has FINISHED its own run meanwhile, the late run ends KILLED as its duplicate, never as a
 * second FINISHED run.
 */
class LateEndReplayTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PARENT = "parent0";
  private static final String TRIAL = "trial-a";

  @TempDir
  Path root;

  /** A run of the stand-in server. */
  private static final class Run {
    final String id;
    final long start;
    volatile String status;
    final Map<String, String> tags = new ConcurrentHashMap<>();

    Run(String id, long start, String status, String trial) {
      this.id = id;
      this.start = start;
      this.status = status;
      tags.put(Names.Tag.PARENT_RUN_ID, PARENT);
      tags.put(Names.Tag.TRIAL_ID, trial);
    }
  }

  private final Map<String, Run> runs = new ConcurrentHashMap<>();
  /** Called when a run's status is updated (to set up a race). */
  private volatile java.util.function.Consumer<String> onUpdate = id -> { };
  private HttpServer server;
  private String uri;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/api/2.0/mlflow/runs/get", ex -> {
      String id = URLDecoder.decode(ex.getRequestURI().getRawQuery().replaceFirst("^run_id=", ""),
          StandardCharsets.UTF_8);
      ObjectNode answer = JSON.createObjectNode();
      answer.set("run", json(runs.get(id)));
      reply(ex, answer);
    });
    server.createContext("/api/2.0/mlflow/runs/search", ex -> {
      String filter = body(ex).path("filter").asText();
      ObjectNode answer = JSON.createObjectNode();
      ArrayNode list = answer.putArray("runs");
      runs.values().stream().filter(r -> matches(filter, r))
          .sorted(java.util.Comparator.comparingLong((Run r) -> r.start)).forEach(r -> list.add(json(r)));
      reply(ex, answer);
    });
    server.createContext("/api/2.0/mlflow/runs/update", ex -> {
      JsonNode b = body(ex);
      String id = b.path("run_id").asText();
      runs.get(id).status = b.path("status").asText();
      onUpdate.accept(id);
      reply(ex, JSON.createObjectNode());
    });
    server.createContext("/api/2.0/mlflow/runs/log-batch", ex -> {
      JsonNode b = body(ex);
      Run r = runs.get(b.path("run_id").asText());
      b.path("tags").forEach(t -> r.tags.put(t.path("key").asText(), t.path("value").asText()));
      reply(ex, JSON.createObjectNode());
    });
    server.start();
    uri = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private static JsonNode body(HttpExchange ex) throws IOException {
    return JSON.readTree(ex.getRequestBody().readAllBytes());
  }

  private static void reply(HttpExchange ex, JsonNode answer) throws IOException {
    byte[] b = JSON.writeValueAsBytes(answer);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(200, b.length);
    ex.getResponseBody().write(b);
    ex.close();
  }

  /** Every {@code tags.`key` = 'value'} term of the filter holds for the run (all the client sends here). */
  private static boolean matches(String filter, Run r) {
    Matcher m = Pattern.compile("tags\\.`([^`]+)` = '([^']*)'").matcher(filter);
    boolean any = false;
    while (m.find()) {
      any = true;
      if (!m.group(2).equals(r.tags.get(m.group(1)))) {
        return false;
      }
    }
    return any;
  }

  private static ObjectNode json(Run r) {
    ObjectNode run = JSON.createObjectNode();
    ObjectNode info = run.putObject("info");
    info.put("run_id", r.id).put("experiment_id", "1").put("status", r.status).put("start_time", r.start)
        .put("artifact_uri", "mlflow-artifacts:/1/" + r.id + "/artifacts");
    ArrayNode tags = run.putObject("data").putArray("tags");
    new LinkedHashMap<>(r.tags).forEach((k, v) -> tags.addObject().put("key", k).put("value", v));
    return run;
  }

  /** The spool a lost executor left: the run's end, FINISHED. */
  private void spooledEnd(String runId) {
    SegmentLog spool = SegmentLog.create(root, new SpoolMeta(runId, "1", "mlflow-artifacts:/1/" + runId + "/artifacts",
        uri, "host", 1L), SpoolBudget.unbounded(), 1 << 16);
    spool.appendUnbudgeted(new SpoolRecord.End("FINISHED", 5L));
    spool.close();
  }

  private String replay() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SpoolReplay.Result r = SpoolReplay.replay(root, null, RetryPolicy.NONE, TrackingCredentials.none(),
        new PrintStream(out, true, StandardCharsets.UTF_8));
    assertEquals(1, r.delivered(), out.toString(StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aLateEndOfARunWhoseTrialARetryFinishedEndsItKilledAsADuplicate() {
    // attempt 0's run: ended FAILED, superseded, by the retry; the retry's run FINISHED
    runs.put("r1", new Run("r1", 1, "FAILED", TRIAL));
    runs.get("r1").tags.put(Names.Tag.SUPERSEDED, "true");
    runs.put("r2", new Run("r2", 2, "FINISHED", TRIAL));
    runs.put("other", new Run("other", 0, "FINISHED", "trial-b"));
    spooledEnd("r1");

    String said = replay();

    assertEquals("KILLED", runs.get("r1").status, said);
    assertEquals("r2", runs.get("r1").tags.get(Names.Tag.DUPLICATE_OF));
    assertEquals("FINISHED", runs.get("r2").status, "the retry's run stays the trial's run");
    assertTrue(said.contains("ended KILLED"), said);
  }

  @Test
  void aLateEndOfTheTrialsOnlyRunEndsItFinished() {
    runs.put("r1", new Run("r1", 1, "RUNNING", TRIAL));
    runs.put("r2", new Run("r2", 2, "FAILED", TRIAL));
    spooledEnd("r1");

    replay();

    assertEquals("FINISHED", runs.get("r1").status);
    assertNull(runs.get("r1").tags.get(Names.Tag.DUPLICATE_OF));
  }

  @Test
  void endsThatRacedLeaveTheFirstStartedRunFinishedAndTheOtherKilled() {
    runs.put("r0", new Run("r0", 1, "RUNNING", TRIAL));
    runs.put("r1", new Run("r1", 2, "RUNNING", TRIAL));
    // while r1's end is sent, another process ends r0 FINISHED: both passed the check before their end
    onUpdate = id -> {
      if (id.equals("r1") && runs.get("r1").status.equals("FINISHED")) {
        runs.get("r0").status = "FINISHED";
      }
    };
    spooledEnd("r1");

    replay();

    assertEquals("FINISHED", runs.get("r0").status);
    assertEquals("KILLED", runs.get("r1").status, "the later started run loses");
    assertEquals("r0", runs.get("r1").tags.get(Names.Tag.DUPLICATE_OF));
  }
}
