package io.gradsweep.tracking.mlflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.TrackingAuthException;
import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingException;
import io.gradsweep.tracking.spool.SpoolClock;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only class that knows MLflow's REST API: experiments, runs, log-batch, run status and artifact upload. The
 * HTTP transport under it ({@link MlflowHttp}) does authentication, timeouts, TLS, retries ({@link RetryPolicy})
 * and error messages that name the server.
 *
 * <p>Why not {@code org.mlflow.tracking.MlflowClient}: it works against MLflow 3.17 for experiments, runs and
 * log-batch, but it retries 5xx immediately a fixed number of times, does not retry connection errors at all, has
 * no request timeouts and no way to configure either, and its artifact upload runs the Python CLI. Artifacts need
 * plain HTTP anyway, so all calls go through one small java.net.http transport with one retry policy.
 *
 * <p>Thread-safe.
 */
final class MlflowRestClient {
  private static final Logger LOG = LoggerFactory.getLogger(MlflowRestClient.class);
  private final MlflowHttp http;
  private final ObjectMapper json;

  MlflowRestClient(String trackingUri, RetryPolicy retry, Duration connectTimeout, Duration requestTimeout,
      TrackingCredentials credentials) {
    this(trackingUri, retry, connectTimeout, requestTimeout, credentials, SpoolClock.system());
  }

  /** With {@code clock} for the waits between retries. */
  MlflowRestClient(String trackingUri, RetryPolicy retry, Duration connectTimeout, Duration requestTimeout,
      TrackingCredentials credentials, SpoolClock clock) {
    this.http = new MlflowHttp(trackingUri, retry, connectTimeout, requestTimeout, credentials, clock);
    this.json = http.json();
  }

  /** The tracking URI without a trailing slash. */
  String uri() {
    return http.uri();
  }

  /** {@link MlflowHttp#normalizeUri}. */
  static String normalizeUri(String uri) {
    return MlflowHttp.normalizeUri(uri);
  }

  /** {@link MlflowHttp#describe}. */
  String describe(IOException e) {
    return http.describe(e);
  }

  private static final String API = "/api/2.0/mlflow/";
  private static final String ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts";

  /** A run as the server describes it. */
  record RunInfo(String runId, String experimentId, String artifactUri, String status) {}

  /** An experiment as the server describes it. */
  record Experiment(String id, String name, String lifecycleStage, String artifactLocation) {}

  /**
   * Address of a run in the MLflow UI, opened in its model-training view (MLflow 3 opens in its GenAI view
   * otherwise, where runs and metric charts are not shown).
   */
  String uiUrl(String experimentId, String runId) {
    return http.uri() + "/#/experiments/" + experimentId + "/runs/" + runId + UI_VIEW;
  }

  /** Address of an experiment's runs table in the MLflow UI (model-training view). */
  String experimentUiUrl(String experimentId) {
    return http.uri() + "/#/experiments/" + experimentId + "/runs" + UI_VIEW;
  }

  /** Query that opens MLflow 3's UI in its model-training view. */
  static final String UI_VIEW = "?workflowType=machine_learning";

  // ---------------------------------------------------------------- reachability

  /**
   * One quick request (no retries) that only an MLflow tracking server answers the expected way.
   *
   * @throws TrackingException naming the URI and what is wrong: connection refused, unknown host, timeout,
   *     authentication, host header rejected, or not an MLflow server
   */
  void checkReachable() {
    HttpRequest req = http.request(API + "experiments/get-by-name?experiment_name=Default").GET().build();
    HttpResponse<byte[]> r;
    try {
      r = http.sendOnce(req);
    } catch (IOException e) {
      throw new TrackingException("cannot reach MLflow at " + http.uri() + ": " + http.describe(e)
          + (MlflowHttp.isRefused(e) ? " (is the server running? jobs/bin/mlflow-local start runs one)" : ""), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrackingException("interrupted while checking MLflow at " + http.uri(), e);
    }
    int s = r.statusCode();
    String body = new String(r.body(), StandardCharsets.UTF_8);
    if (s == 401 || s == 403) {
      if (body.contains("Invalid Host header")) {
        throw new TrackingException("MLflow at " + http.uri() + " rejected the Host header (HTTP " + s
            + "): start the server with --allowed-hosts including this host name");
      }
      if (s == 403 && http.authenticates()) {
        return; // authenticated; whether this user may write is answered by the requests that write
      }
      throw new TrackingAuthException(http.accessDenied(s, r));
    }
    JsonNode node = null;
    try {
      node = json.readTree(body);
    } catch (JsonProcessingException e) {
      // handled below
    }
    boolean looksLikeMlflow = node != null && node.isObject()
        && ((s == 200 && node.has("experiment")) || (s == 404 && node.has("error_code")));
    if (!looksLikeMlflow) {
      throw new TrackingException(http.uri() + " answered HTTP " + s + " ("
          + r.headers().firstValue("content-type").orElse("no content type")
          + ") but is not an MLflow tracking server: " + MlflowHttp.snippet(body));
    }
  }

  // ---------------------------------------------------------------- experiments

  Optional<Experiment> getExperimentByName(String name) {
    String path = API + "experiments/get-by-name?experiment_name=" + encodeQuery(name);
    return http.withRetries("get experiment '" + name + "'", ambiguous -> {
      try {
        return Optional.of(parseExperiment(http.exchange("get experiment '" + name + "'",
            http.request(path).GET().build())
            .path("experiment")));
      } catch (MlflowHttp.ApiException e) {
        if (e.status == 404 || "RESOURCE_DOES_NOT_EXIST".equals(e.errorCode)) {
          return Optional.empty();
        }
        throw e;
      }
    });
  }

  /**
   * The id of the experiment called {@code name}, created if missing. Safe when several processes do this at once:
   * the loser of a create race gets "already exists" and reads the winner's experiment.
   *
   * @throws TrackingException if the experiment exists but is deleted (restore it, or use another name)
   */
  String getOrCreateExperiment(String name) {
    for (int round = 0; round < 5; round++) {
      Optional<Experiment> found = getExperimentByName(name);
      if (found.isPresent()) {
        Experiment e = found.get();
        if (!"active".equals(e.lifecycleStage())) {
          throw new TrackingException("MLflow at " + http.uri() + ": experiment '" + name + "' (id " + e.id() + ") is "
              + e.lifecycleStage() + "; restore it in the MLflow UI or choose another experiment name");
        }
        return e.id();
      }
      ObjectNode body = json.createObjectNode().put("name", name);
      // MLflow 3's UI opens an experiment without this tag in its GenAI view; these are model-training runs
      body.putArray("tags").addObject().put("key", "mlflow.experimentKind").put("value", "custom_model_development");
      try {
        JsonNode r = http.withRetries("create experiment '" + name + "'",
            ambiguous -> http.exchange("create experiment '" + name + "'", http.postJson(API + "experiments/create",
                body.toString())));
        String id = r.path("experiment_id").asText("");
        if (id.isEmpty()) {
          throw new TrackingException("MLflow at " + http.uri() + ": create experiment '" + name
              + "' answered without an experiment_id: " + MlflowHttp.snippet(r.toString()));
        }
        return id;
      } catch (MlflowHttp.ApiException e) {
        if (!"RESOURCE_ALREADY_EXISTS".equals(e.errorCode)) {
          throw e;
        }
        // Someone else created it meanwhile (or our earlier attempt did): read it on the next round.
      }
    }
    throw new TrackingException("MLflow at " + http.uri() + ": could not get or create experiment '" + name + "'");
  }

  // ---------------------------------------------------------------- runs

  /**
   * Creates a run. Tags go with the creation (so a child is nested from its first moment). A retry after a
   * failure that may have reached the server first looks for a run carrying this call's
   * {@link Names.Tag#CREATE_TOKEN}, so a lost answer does not leave a duplicate run behind.
   */
  RunInfo createRun(String experimentId, String runName, long startTime, Map<String, String> tags) {
    String token = UUID.randomUUID().toString();
    ObjectNode body = json.createObjectNode();
    body.put("experiment_id", experimentId);
    body.put("run_name", runName);
    body.put("start_time", startTime);
    String user = System.getProperty("user.name");
    if (user != null) {
      body.put("user_id", user);
    }
    ArrayNode tagArray = body.putArray("tags");
    Map<String, String> all = new LinkedHashMap<>(tags);
    all.put(Names.Tag.CREATE_TOKEN, token);
    all.forEach((k, v) -> tagArray.addObject().put("key", k).put("value", v));
    String what = "create run '" + runName + "' in experiment " + experimentId;
    return http.withRetries(what, ambiguous -> {
      if (ambiguous) {
        Optional<RunInfo> existing = findRunByTagOnce(experimentId, Names.Tag.CREATE_TOKEN, token);
        if (existing.isPresent()) {
          LOG.info("MLflow at {}: run {} had been created by an earlier attempt", http.uri(), existing.get().runId());
          return existing.get();
        }
      }
      return parseRun(http.exchange(what, http.postJson(API + "runs/create", body.toString())).path("run"));
    });
  }

  private Optional<RunInfo> findRunByTagOnce(String experimentId, String key, String value)
      throws IOException, InterruptedException, MlflowHttp.RetryableStatus {
    ObjectNode body = json.createObjectNode();
    body.putArray("experiment_ids").add(experimentId);
    body.put("filter", "tags.`" + key + "` = '" + value.replace("'", "\\'") + "'");
    body.put("max_results", 2);
    body.put("run_view_type", "ALL");
    JsonNode runs = http.exchange("search runs", http.postJson(API + "runs/search", body.toString())).path("runs");
    if (runs.isArray() && runs.size() > 0) {
      return Optional.of(parseRun(runs.get(0)));
    }
    return Optional.empty();
  }

  /** Ids of the child runs of {@code parentRunId} whose status is RUNNING (all pages). */
  List<String> runningChildren(String experimentId, String parentRunId) {
    List<String> out = new ArrayList<>();
    String token = null;
    do {
      ObjectNode body = json.createObjectNode();
      body.putArray("experiment_ids").add(experimentId);
      body.put("filter", "tags.`" + Names.Tag.PARENT_RUN_ID + "` = '" + parentRunId.replace("'", "\\'")
          + "' and attributes.status = 'RUNNING'");
      body.put("max_results", 1000);
      if (token != null) {
        body.put("page_token", token);
      }
      String what = "search the running child runs of run " + parentRunId;
      JsonNode r = http.call(what, http.postJson(API + "runs/search", body.toString()));
      r.path("runs").forEach(run -> out.add(run.path("info").path("run_id").asText()));
      token = r.path("next_page_token").asText("");
    } while (!token.isEmpty());
    return out;
  }

  /**
   * Runs of an experiment matching an MLflow search {@code filter} (all pages, active runs only), with their data,
   * ordered by {@code orderBy} (e.g. {@code attributes.start_time DESC}).
   */
  List<RunSnapshot> searchRuns(String experimentId, String filter, String orderBy) {
    List<RunSnapshot> out = new ArrayList<>();
    String token = null;
    do {
      ObjectNode body = json.createObjectNode();
      body.putArray("experiment_ids").add(experimentId);
      body.put("filter", filter);
      body.put("max_results", 1000);
      body.putArray("order_by").add(orderBy);
      if (token != null) {
        body.put("page_token", token);
      }
      String what = "search runs (" + filter + ") in experiment " + experimentId;
      JsonNode r = http.call(what, http.postJson(API + "runs/search", body.toString()));
      r.path("runs").forEach(run -> out.add(parseSnapshot(run)));
      token = r.path("next_page_token").asText("");
    } while (!token.isEmpty());
    return out;
  }

  /** A run with its data. */
  RunSnapshot getRunSnapshot(String runId) {
    String what = "get run " + runId;
    String path = API + "runs/get?run_id=" + encodeQuery(runId);
    return parseSnapshot(http.call(what, http.request(path).GET().build()).path("run"));
  }

  /** Most run ids one {@code metrics/get-history-bulk-interval} request may name (MLflow's limit). */
  static final int HISTORY_RUNS_PER_REQUEST = 100;
  /** Most points per run one such request returns; beyond it MLflow samples the interval. */
  static final int HISTORY_POINTS_PER_RUN = 2500;

  /**
   * The points of metric {@code key} of each of {@code runIds} with a step in {@code [fromStep, toStep]} (MLflow's
   * {@code metrics/get-history-bulk-interval}, at most {@link #HISTORY_RUNS_PER_REQUEST} runs a request), by run id.
   * A non-finite value comes back as NaN or an infinity.
   */
  Map<String, List<MetricPoint>> metricHistory(List<String> runIds, String key, long fromStep, long toStep) {
    Map<String, List<MetricPoint>> out = new LinkedHashMap<>();
    for (int from = 0; from < runIds.size(); from += HISTORY_RUNS_PER_REQUEST) {
      List<String> chunk = runIds.subList(from, Math.min(runIds.size(), from + HISTORY_RUNS_PER_REQUEST));
      StringBuilder path = new StringBuilder(API + "metrics/get-history-bulk-interval?metric_key=")
          .append(encodeQuery(key)).append("&start_step=").append(fromStep).append("&end_step=").append(toStep)
          .append("&max_results=").append(HISTORY_POINTS_PER_RUN);
      chunk.forEach(id -> path.append("&run_ids=").append(encodeQuery(id)));
      String what = "read the history of metric '" + key + "' of " + chunk.size() + " runs";
      JsonNode r = http.call(what, http.request(path.toString()).GET().build());
      r.path("metrics").forEach(m -> out.computeIfAbsent(m.path("run_id").asText(), k -> new ArrayList<>())
          .add(new MetricPoint(key, parseMetricValue(m.path("value")), m.path("timestamp").asLong(0),
              m.path("step").asLong(0))));
    }
    out.values().forEach(points -> points.sort(java.util.Comparator.comparingLong(MetricPoint::step)));
    return out;
  }

  /** Sets a run's status to RUNNING again (to resume the sweep it is the parent of). */
  void reopenRun(String runId) {
    ObjectNode body = json.createObjectNode();
    body.put("run_id", runId);
    body.put("status", "RUNNING");
    String what = "set status RUNNING of run " + runId;
    http.withRetries(what, ambiguous -> http.exchange(what, http.postJson(API + "runs/update", body.toString())));
  }

  /** A search filter term {@code tags.`key` = 'value'}, quoted. */
  static String tagEquals(String key, String value) {
    return "tags.`" + key + "` = '" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  private RunSnapshot parseSnapshot(JsonNode run) {
    RunInfo info = parseRun(run);
    JsonNode data = run.path("data");
    Map<String, String> params = new LinkedHashMap<>();
    data.path("params").forEach(p -> params.put(p.path("key").asText(), p.path("value").asText("")));
    Map<String, String> tags = new LinkedHashMap<>();
    data.path("tags").forEach(t -> tags.put(t.path("key").asText(), t.path("value").asText("")));
    Map<String, Double> metrics = new LinkedHashMap<>();
    Map<String, Long> steps = new LinkedHashMap<>();
    data.path("metrics").forEach(m -> {
      metrics.put(m.path("key").asText(), parseMetricValue(m.path("value")));
      if (m.path("step").canConvertToLong()) {
        steps.put(m.path("key").asText(), m.path("step").asLong());
      }
    });
    JsonNode i = run.path("info");
    String name = i.path("run_name").asText(tags.getOrDefault(Names.Tag.RUN_NAME, ""));
    return new RunSnapshot(info.runId(), info.experimentId(), name, info.status(), i.path("start_time").asLong(0),
        params, tags, metrics, steps);
  }

  private static double parseMetricValue(JsonNode v) {
    if (v.isNumber()) {
      return v.asDouble();
    }
    return switch (v.asText("")) {
      case "NaN" -> Double.NaN;
      case "Infinity" -> Double.POSITIVE_INFINITY;
      case "-Infinity" -> Double.NEGATIVE_INFINITY;
      default -> Double.NaN;
    };
  }

  RunInfo getRun(String runId) {
    String what = "get run " + runId;
    String path = API + "runs/get?run_id=" + encodeQuery(runId);
    return parseRun(http.call(what, http.request(path).GET().build()).path("run"));
  }

  /** Sends one batch; it must be within {@link BatchLimits#MLFLOW} (see {@link LogBatchChunker}). */
  void logBatch(String runId, LogBatch batch) {
    if (batch.isEmpty()) {
      return;
    }
    String body = batch.toJson(runId);
    String what = "log-batch to run " + runId + " (" + batch.metrics().size() + " metrics, "
        + batch.params().size() + " params, " + batch.tags().size() + " tags)";
    http.withRetries(what, ambiguous -> http.exchange(what, http.postJson(API + "runs/log-batch", body)));
  }

  /** Ends a run with status FINISHED, FAILED or KILLED. */
  void updateRun(String runId, String status, long endTime) {
    ObjectNode body = json.createObjectNode();
    body.put("run_id", runId);
    body.put("status", status);
    body.put("end_time", endTime);
    String what = "set status " + status + " of run " + runId;
    http.withRetries(what, ambiguous -> http.exchange(what, http.postJson(API + "runs/update", body.toString())));
  }

  /** Uploads {@code content} to {@code path} under the run's artifact root {@code artifactUri}. */
  void putArtifact(String artifactUri, String path, byte[] content) {
    String url = artifactUrl(http.uri(), artifactUri, path);
    String what = "upload artifact '" + path + "' (" + content.length + " bytes)";
    http.withRetries(what, ambiguous -> http.exchange(what, http.authorize(HttpRequest.newBuilder(URI.create(url)))
        .timeout(http.requestTimeout())
        .header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(content))
        .build()));
  }

  /** Downloads the artifact at {@code path} under the run's artifact root; empty when there is none (HTTP 404). */
  Optional<byte[]> getArtifact(String artifactUri, String path) {
    String url = artifactUrl(http.uri(), artifactUri, path);
    String what = "download artifact '" + path + "'";
    return http.withRetries(what, ambiguous -> {
      HttpResponse<byte[]> r = http.sendOnce(http.authorize(HttpRequest.newBuilder(URI.create(url)))
          .timeout(http.requestTimeout()).GET().build());
      int s = r.statusCode();
      if (s == 404) {
        return Optional.empty();
      }
      String body = s / 100 == 2 ? "" : new String(r.body(), StandardCharsets.UTF_8);
      switch (RetryPolicy.classify(s)) {
        case SUCCESS:
          return Optional.of(r.body());
        case RETRY:
          throw new MlflowHttp.RetryableStatus(s, http.serverMessage(body), MlflowHttp.retryAfter(r));
        default:
          throw new MlflowHttp.ApiException("MLflow at " + http.uri() + ": " + what + " failed: HTTP " + s + ": "
              + http.serverMessage(body), s, http.errorCode(body));
      }
    });
  }

  /**
   * The URL to PUT an artifact at, from the run's artifact root as the server reported it:
   * {@code mlflow-artifacts:/<p>} maps to {@code <tracking uri>/api/2.0/mlflow-artifacts/artifacts/<p>/<path>},
   * {@code mlflow-artifacts://host:port/<p>} to the same on that host, and an {@code http(s)://} root is used as is.
   *
   * @throws TrackingException for a root the tracking server does not serve (e.g. {@code file:} or {@code s3:})
   * @throws IllegalArgumentException for a path that is empty, absolute, or has empty, "." or ".." segments
   */
  static String artifactUrl(String trackingBase, String artifactUri, String path) {
    String rel = encodePath(MlflowKeys.checkArtifactPath(path));
    String prefix = "mlflow-artifacts:";
    if (artifactUri.startsWith(prefix)) {
      String rest = artifactUri.substring(prefix.length());
      String host = trackingBase;
      if (rest.startsWith("//")) {
        int slash = rest.indexOf('/', 2);
        String authority = slash < 0 ? rest.substring(2) : rest.substring(2, slash);
        rest = slash < 0 ? "" : rest.substring(slash);
        if (!authority.isEmpty()) {
          host = URI.create(trackingBase).getScheme() + "://" + authority;
        }
      }
      String root = stripSlashes(rest);
      return host + ARTIFACTS_API + "/" + (root.isEmpty() ? "" : encodePath(root) + "/") + rel;
    }
    if (artifactUri.startsWith("http://") || artifactUri.startsWith("https://")) {
      return stripTrailingSlashes(artifactUri) + "/" + rel;
    }
    throw new TrackingException("MLflow at " + trackingBase + ": the run's artifact location '" + artifactUri
        + "' is not served by the tracking server; start it with artifact serving (the default, "
        + "--serve-artifacts) and use an experiment created by such a server");
  }

  private RunInfo parseRun(JsonNode run) {
    JsonNode info = run.path("info");
    String id = info.path("run_id").asText(info.path("run_uuid").asText(""));
    if (id.isEmpty()) {
      throw new TrackingException("MLflow at " + http.uri() + ": answer has no run id: "
          + MlflowHttp.snippet(run.toString()));
    }
    return new RunInfo(id, info.path("experiment_id").asText(), info.path("artifact_uri").asText(""),
        info.path("status").asText(""));
  }

  private static Experiment parseExperiment(JsonNode e) {
    return new Experiment(e.path("experiment_id").asText(), e.path("name").asText(),
        e.path("lifecycle_stage").asText("active"), e.path("artifact_location").asText(""));
  }


  private static String encodeQuery(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Percent-encodes each segment of a '/'-separated path (RFC 3986 unreserved characters stay). */
  static String encodePath(String path) {
    StringBuilder sb = new StringBuilder(path.length() + 16);
    byte[] bytes = path.getBytes(StandardCharsets.UTF_8);
    for (byte b : bytes) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
          || c == '_' || c == '~' || c == '/') {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  private static String stripSlashes(String s) {
    int a = 0;
    int b = s.length();
    while (a < b && s.charAt(a) == '/') {
      a++;
    }
    while (b > a && s.charAt(b - 1) == '/') {
      b--;
    }
    return s.substring(a, b);
  }

  private static String stripTrailingSlashes(String s) {
    int b = s.length();
    while (b > 0 && s.charAt(b - 1) == '/') {
      b--;
    }
    return s.substring(0, b);
  }
}
