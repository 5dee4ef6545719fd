package io.gradsweep.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** PLACEHOLDER (spark worktree only; the tracking engineer owns the real one). Reads runs back over REST. */
public final class MlflowRestReader {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String uri;
  private final HttpClient http = HttpClient.newHttpClient();

  public MlflowRestReader(String uri) {
    this.uri = uri;
  }

  /** A run as read back: id, status, tags and params. */
  public record RunInfo(String runId, String status, Map<String, String> tags, Map<String, String> params) {}

  public String experimentId(String name) {
    return get("/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + enc(name)).path("experiment")
        .path("experiment_id").asText();
  }

  public RunInfo run(String runId) {
    return info(get("/api/2.0/mlflow/runs/get?run_id=" + enc(runId)).path("run"));
  }

  /** Runs whose tag {@code mlflow.parentRunId} is {@code parentRunId}. */
  public List<RunInfo> children(String experimentId, String parentRunId) {
    String body = "{\"experiment_ids\":[\"" + experimentId + "\"],\"max_results\":1000,"
        + "\"filter\":\"tags.mlflow.parentRunId = '" + parentRunId + "'\"}";
    JsonNode r = post("/api/2.0/mlflow/runs/search", body);
    List<RunInfo> out = new ArrayList<>();
    r.path("runs").forEach(n -> out.add(info(n)));
    return out;
  }

  /** Steps at which {@code key} was logged, in order. */
  public List<Long> metricSteps(String runId, String key) {
    List<Long> steps = new ArrayList<>();
    get("/api/2.0/mlflow/metrics/get-history?max_results=25000&run_id=" + enc(runId) + "&metric_key=" + enc(key))
        .path("metrics").forEach(m -> steps.add(m.path("step").asLong()));
    steps.sort(null);
    return steps;
  }

  public byte[] artifact(String runId, String path) {
    String artifactUri = get("/api/2.0/mlflow/runs/get?run_id=" + enc(runId)).path("run").path("info")
        .path("artifact_uri").asText();
    String rel = artifactUri.substring(artifactUri.indexOf(":/") + 2);
    try {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(
          URI.create(uri + "/api/2.0/mlflow-artifacts/artifacts/" + rel + "/" + path)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("artifact " + path + ": HTTP " + r.statusCode());
      }
      return r.body();
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  private static RunInfo info(JsonNode run) {
    Map<String, String> tags = new LinkedHashMap<>();
    run.path("data").path("tags").forEach(t -> tags.put(t.path("key").asText(), t.path("value").asText()));
    Map<String, String> params = new LinkedHashMap<>();
    run.path("data").path("params").forEach(t -> params.put(t.path("key").asText(), t.path("value").asText()));
    return new RunInfo(run.path("info").path("run_id").asText(), run.path("info").path("status").asText(), tags,
        params);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private JsonNode get(String path) {
    return send(HttpRequest.newBuilder(URI.create(uri + path)).GET().build());
  }

  private JsonNode post(String path, String body) {
    return send(HttpRequest.newBuilder(URI.create(uri + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  private JsonNode send(HttpRequest req) {
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(req.uri() + ": HTTP " + r.statusCode() + " " + r.body());
      }
      return JSON.readTree(r.body());
    } catch (IOException | InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
