package io.gradsweep.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradsweep.tracking.MetricPoint;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads back what an MLflow server stored, through its REST API only (java.net.http + Jackson), for integration
 * tests: experiments, runs, children of a parent run, params, tags, complete metric histories (all pages) and
 * artifacts (listing and download through the server's artifact proxy). Not a tracking client: it never writes.
 */
public final class MlflowRestReader {
  /** A run with its params and tags. */
  public record RunRecord(String runId, String experimentId, String runName, String status, String artifactUri,
      long startTime, long endTime, Map<String, String> params, Map<String, String> tags) {
    public Optional<String> parentRunId() {
      return Optional.ofNullable(tags.get("mlflow.parentRunId"));
    }
  }

  /** One entry of an artifact listing; {@code path} is relative to the run's artifact root. */
  public record ArtifactEntry(String path, boolean isDir, long size) {}

  private final String base;
  private final int historyPageSize;
  private final String authorization;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();

  public MlflowRestReader(String uri) {
    this(uri, 1000);
  }

  /** A reader that authenticates with HTTP Basic (a server started with {@link MlflowTestServer#startWithAuth}). */
  public MlflowRestReader(String uri, String user, String password) {
    this(uri, 1000, MlflowTestServer.basicAuthorization(user, password));
  }

  /** @param historyPageSize page size of metric-history requests (small values exercise pagination) */
  public MlflowRestReader(String uri, int historyPageSize) {
    this(uri, historyPageSize, null);
  }

  private MlflowRestReader(String uri, int historyPageSize, String authorization) {
    this.authorization = authorization;
    String u = uri;
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    this.base = u;
    this.historyPageSize = historyPageSize;
  }

  /** Id of the experiment called {@code name}, if it exists. */
  public Optional<String> experimentId(String name) {
    Response r = get("/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + enc(name));
    if (r.status == 404) {
      return Optional.empty();
    }
    return Optional.of(r.ok().path("experiment").path("experiment_id").asText());
  }

  /** Names of all active experiments (MLflow's own {@code Default} included). */
  public List<String> experimentNames() {
    List<String> out = new ArrayList<>();
    get("/api/2.0/mlflow/experiments/search?max_results=1000").ok().path("experiments")
        .forEach(e -> out.add(e.path("name").asText()));
    return out;
  }

  /** Tags of the experiment called {@code name} (empty if it does not exist). */
  public Map<String, String> experimentTags(String name) {
    Response r = get("/api/2.0/mlflow/experiments/get-by-name?experiment_name=" + enc(name));
    Map<String, String> out = new java.util.LinkedHashMap<>();
    if (r.status != 404) {
      r.ok().path("experiment").path("tags").forEach(t -> out.put(t.path("key").asText(), t.path("value").asText()));
    }
    return out;
  }

  public RunRecord run(String runId) {
    return toRun(get("/api/2.0/mlflow/runs/get?run_id=" + enc(runId)).ok().path("run"));
  }

  public String status(String runId) {
    return run(runId).status();
  }

  public Map<String, String> params(String runId) {
    return run(runId).params();
  }

  public Map<String, String> tags(String runId) {
    return run(runId).tags();
  }

  /** All runs (active and deleted) of an experiment, all pages. */
  public List<RunRecord> runsOfExperiment(String experimentId) {
    return searchRuns(experimentId, "");
  }

  /** The runs whose tag {@code mlflow.parentRunId} is {@code parentRunId}, in the parent's experiment. */
  public List<RunRecord> children(String parentRunId) {
    RunRecord parent = run(parentRunId);
    return searchRuns(parent.experimentId(), "tags.mlflow.parentRunId = '" + parentRunId + "'");
  }

  /** Runs of an experiment matching an MLflow search filter ("" for all), all pages. */
  public List<RunRecord> searchRuns(String experimentId, String filter) {
    List<RunRecord> out = new ArrayList<>();
    String token = null;
    do {
      ObjectNode body = json.createObjectNode();
      body.putArray("experiment_ids").add(experimentId);
      body.put("filter", filter);
      body.put("max_results", 500);
      body.put("run_view_type", "ALL");
      if (token != null) {
        body.put("page_token", token);
      }
      JsonNode r = post("/api/2.0/mlflow/runs/search", body.toString()).ok();
      r.path("runs").forEach(n -> out.add(toRun(n)));
      token = r.path("next_page_token").asText("");
    } while (!token.isEmpty());
    return out;
  }

  /** The keys of every metric the run has (from its latest values). */
  public List<String> metricKeys(String runId) {
    List<String> out = new ArrayList<>();
    get("/api/2.0/mlflow/runs/get?run_id=" + enc(runId)).ok().path("run").path("data").path("metrics")
        .forEach(m -> out.add(m.path("key").asText()));
    return out;
  }

  /** Every stored point of {@code key}, in the server's order (timestamp, step), reading all pages. */
  public List<MetricPoint> metricHistory(String runId, String key) {
    List<MetricPoint> out = new ArrayList<>();
    String token = null;
    do {
      String path = "/api/2.0/mlflow/metrics/get-history?run_id=" + enc(runId) + "&metric_key=" + enc(key)
          + "&max_results=" + historyPageSize + (token == null ? "" : "&page_token=" + enc(token));
      JsonNode r = get(path).ok();
      for (JsonNode m : r.path("metrics")) {
        JsonNode v = m.path("value");
        double value = v.isTextual() ? Double.parseDouble(v.asText()) : v.asDouble();
        out.add(new MetricPoint(m.path("key").asText(), value, m.path("timestamp").asLong(), m.path("step").asLong()));
      }
      token = r.path("next_page_token").asText("");
    } while (!token.isEmpty());
    return out;
  }

  /** One level of the run's artifacts under {@code path} ("" for the root). */
  public List<ArtifactEntry> listArtifacts(String runId, String path) {
    String root = artifactRoot(runId);
    String full = path.isEmpty() ? root : root + "/" + path;
    JsonNode r = get("/api/2.0/mlflow-artifacts/artifacts?path=" + enc(full)).ok();
    List<ArtifactEntry> out = new ArrayList<>();
    for (JsonNode f : r.path("files")) {
      String name = f.path("path").asText();
      out.add(new ArtifactEntry(path.isEmpty() ? name : path + "/" + name, f.path("is_dir").asBoolean(),
          f.path("file_size").asLong(-1)));
    }
    return out;
  }

  /** Paths of all artifact files of the run, recursively. */
  public List<String> allArtifactPaths(String runId) {
    List<String> out = new ArrayList<>();
    collect(runId, "", out);
    return out;
  }

  private void collect(String runId, String path, List<String> out) {
    for (ArtifactEntry e : listArtifacts(runId, path)) {
      if (e.isDir()) {
        collect(runId, e.path(), out);
      } else {
        out.add(e.path());
      }
    }
  }

  /** The bytes of one artifact file. */
  public byte[] downloadArtifact(String runId, String path) {
    String url = base + "/api/2.0/mlflow-artifacts/artifacts/" + encPath(artifactRoot(runId) + "/" + path);
    HttpResponse<byte[]> r = send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET " + url + " -> HTTP " + r.statusCode() + ": "
          + new String(r.body(), StandardCharsets.UTF_8));
    }
    return r.body();
  }

  /** The run's artifact root as a path for the artifact proxy, from {@code mlflow-artifacts:/<root>}. */
  private String artifactRoot(String runId) {
    String uri = run(runId).artifactUri();
    String prefix = "mlflow-artifacts:";
    if (!uri.startsWith(prefix)) {
      throw new IllegalStateException("run " + runId + " has artifact_uri " + uri + ", not served by the server");
    }
    String rest = uri.substring(prefix.length());
    if (rest.startsWith("//")) {
      int slash = rest.indexOf('/', 2);
      rest = slash < 0 ? "" : rest.substring(slash);
    }
    while (rest.startsWith("/")) {
      rest = rest.substring(1);
    }
    return rest;
  }

  private RunRecord toRun(JsonNode run) {
    JsonNode info = run.path("info");
    Map<String, String> params = new LinkedHashMap<>();
    run.path("data").path("params").forEach(p -> params.put(p.path("key").asText(), p.path("value").asText()));
    Map<String, String> tags = new LinkedHashMap<>();
    run.path("data").path("tags").forEach(t -> tags.put(t.path("key").asText(), t.path("value").asText()));
    return new RunRecord(info.path("run_id").asText(), info.path("experiment_id").asText(),
        info.path("run_name").asText(), info.path("status").asText(), info.path("artifact_uri").asText(),
        info.path("start_time").asLong(-1), info.path("end_time").asLong(-1), params, tags);
  }

  // ---------------------------------------------------------------- HTTP

  private final class Response {
    final int status;
    final String body;
    final String what;

    Response(String what, int status, String body) {
      this.what = what;
      this.status = status;
      this.body = body;
    }

    JsonNode ok() {
      if (status != 200) {
        throw new IllegalStateException(what + " -> HTTP " + status + ": " + body);
      }
      try {
        return json.readTree(body);
      } catch (IOException e) {
        throw new IllegalStateException(what + ": not JSON: " + body, e);
      }
    }
  }

  private Response get(String pathAndQuery) {
    HttpRequest req = HttpRequest.newBuilder(URI.create(base + pathAndQuery)).timeout(Duration.ofSeconds(60))
        .GET().build();
    HttpResponse<String> r = send(req, HttpResponse.BodyHandlers.ofString());
    return new Response("GET " + pathAndQuery, r.statusCode(), r.body());
  }

  private Response post(String path, String body) {
    HttpRequest req = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    HttpResponse<String> r = send(req, HttpResponse.BodyHandlers.ofString());
    return new Response("POST " + path + " " + body, r.statusCode(), r.body());
  }

  private <T> HttpResponse<T> send(HttpRequest req, HttpResponse.BodyHandler<T> handler) {
    if (authorization != null) {
      req = HttpRequest.newBuilder(req, (name, value) -> true).header("Authorization", authorization).build();
    }
    try {
      return http.send(req, handler);
    } catch (IOException e) {
      throw new IllegalStateException(req.method() + " " + req.uri() + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String encPath(String path) {
    StringBuilder sb = new StringBuilder();
    for (byte b : path.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~/".indexOf(c) >= 0) {
        sb.append((char) c);
      } else {
        sb.append(String.format("%%%02X", c));
      }
    }
    return sb.toString();
  }
}
