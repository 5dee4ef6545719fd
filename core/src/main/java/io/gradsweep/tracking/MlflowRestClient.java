package io.gradsweep.tracking;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only class that knows MLflow's REST API: experiments, runs, log-batch, run status and artifact upload, with
 * authentication, timeouts, retries ({@link RetryPolicy}) and error messages that name the server.
 *
 * <p>Why not {@code org.mlflow.tracking.MlflowClient}: it works against MLflow 3.17 for experiments, runs and
 * log-batch, but it retries 5xx immediately a fixed number of times, does not retry connection errors at all, has
 * no request timeouts and no way to configure either, and its artifact upload runs the Python CLI. Artifacts need
 * plain HTTP anyway, so all calls go through one small java.net.http client with one retry policy.
 *
 * <p>Thread-safe.
 */
final class MlflowRestClient {
  private static final Logger LOG = LoggerFactory.getLogger(MlflowRestClient.class);
  private static final String API = "/api/2.0/mlflow/";
  private static final String ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts";
  private static final int MAX_SERVER_MESSAGE = 2000;

  /** A run as the server describes it. */
  record RunInfo(String runId, String experimentId, String artifactUri, String status) {}

  /** An experiment as the server describes it. */
  record Experiment(String id, String name, String lifecycleStage, String artifactLocation) {}

  /** The server refused a request (a non-retryable HTTP status). */
  static final class ApiException extends TrackingException {
    final int status;
    final String errorCode;

    ApiException(String message, int status, String errorCode) {
      super(message);
      this.status = status;
      this.errorCode = errorCode;
    }
  }

  /** A retryable HTTP status. */
  private static final class RetryableStatus extends Exception {
    final int status;
    final OptionalLong retryAfterMillis;

    RetryableStatus(int status, String message, OptionalLong retryAfterMillis) {
      super("HTTP " + status + (message.isEmpty() ? "" : ": " + message), null, false, false);
      this.status = status;
      this.retryAfterMillis = retryAfterMillis;
    }
  }

  @FunctionalInterface
  private interface Attempt<T> {
    /** One try; {@code ambiguous} is true when an earlier try may have reached the server and been processed. */
    T run(boolean ambiguous) throws IOException, InterruptedException, RetryableStatus;
  }

  private final String base;
  private final HttpClient http;
  private final RetryPolicy retry;
  private final Duration requestTimeout;
  private final String authorization;
  private final ObjectMapper json = new ObjectMapper();

  MlflowRestClient(String trackingUri, RetryPolicy retry, Duration connectTimeout, Duration requestTimeout,
      Function<String, String> env) {
    this.base = normalizeUri(trackingUri);
    this.retry = retry;
    this.requestTimeout = requestTimeout;
    this.authorization = authorizationHeader(env).orElse(null);
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
  }

  /** The tracking URI without a trailing slash. */
  String uri() {
    return base;
  }

  /**
   * Validates a tracking URI ({@code http} or {@code https} with a host) and removes trailing slashes.
   *
   * @throws IllegalArgumentException naming the URI when it is not usable
   */
  static String normalizeUri(String uri) {
    if (uri == null || uri.isBlank()) {
      throw new IllegalArgumentException("the mlflow backend needs a tracking URI, e.g. http://127.0.0.1:5000");
    }
    String u = uri.strip();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    URI parsed;
    try {
      parsed = URI.create(u);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid MLflow tracking URI '" + uri + "': " + e.getMessage(), e);
    }
    String scheme = parsed.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || parsed.getHost() == null) {
      throw new IllegalArgumentException("invalid MLflow tracking URI '" + uri
          + "': expected http://host:port or https://host[:port][/path]");
    }
    if (parsed.getQuery() != null || parsed.getFragment() != null) {
      throw new IllegalArgumentException("invalid MLflow tracking URI '" + uri + "': no query or fragment allowed");
    }
    return u;
  }

  /**
   * The Authorization header from the environment: {@code Bearer $MLFLOW_TRACKING_TOKEN} if set, else Basic with
   * {@code MLFLOW_TRACKING_USERNAME}/{@code MLFLOW_TRACKING_PASSWORD} if both are set. Never logged.
   */
  static Optional<String> authorizationHeader(Function<String, String> env) {
    String token = env.apply("MLFLOW_TRACKING_TOKEN");
    if (token != null && !token.isEmpty()) {
      return Optional.of("Bearer " + token);
    }
    String user = env.apply("MLFLOW_TRACKING_USERNAME");
    String password = env.apply("MLFLOW_TRACKING_PASSWORD");
    if (user != null && !user.isEmpty() && password != null) {
      String pair = user + ":" + password;
      return Optional.of("Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
    }
    return Optional.empty();
  }

  /**
   * Address of a run in the MLflow UI, opened in its model-training view (MLflow 3 opens in its GenAI view
   * otherwise, where runs and metric charts are not shown).
   */
  String uiUrl(String experimentId, String runId) {
    return base + "/#/experiments/" + experimentId + "/runs/" + runId + UI_VIEW;
  }

  /** Address of an experiment's runs table in the MLflow UI (model-training view). */
  String experimentUiUrl(String experimentId) {
    return base + "/#/experiments/" + experimentId + "/runs" + UI_VIEW;
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
    HttpRequest req = request(API + "experiments/get-by-name?experiment_name=Default").GET().build();
    HttpResponse<byte[]> r;
    try {
      r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new TrackingException("cannot reach MLflow at " + base + ": " + describe(e)
          + (isRefused(e) ? " (is the server running? jobs/bin/mlflow-local start runs one)" : ""), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrackingException("interrupted while checking MLflow at " + base, e);
    }
    int s = r.statusCode();
    String body = new String(r.body(), StandardCharsets.UTF_8);
    if (s == 401 || s == 403) {
      if (body.contains("Invalid Host header")) {
        throw new TrackingException("MLflow at " + base + " rejected the Host header (HTTP " + s
            + "): start the server with --allowed-hosts including this host name");
      }
      throw new TrackingException("MLflow at " + base + " refused access (HTTP " + s + "): set "
          + "MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"
          + (authorization == null ? "" : " (credentials were sent but not accepted)"));
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
      throw new TrackingException(base + " answered HTTP " + s + " ("
          + r.headers().firstValue("content-type").orElse("no content type")
          + ") but is not an MLflow tracking server: " + snippet(body));
    }
  }

  // ---------------------------------------------------------------- experiments

  Optional<Experiment> getExperimentByName(String name) {
    String path = API + "experiments/get-by-name?experiment_name=" + encodeQuery(name);
    return withRetries("get experiment '" + name + "'", ambiguous -> {
      try {
        return Optional.of(parseExperiment(exchange("get experiment '" + name + "'", request(path).GET().build())
            .path("experiment")));
      } catch (ApiException e) {
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
          throw new TrackingException("MLflow at " + base + ": experiment '" + name + "' (id " + e.id() + ") is "
              + e.lifecycleStage() + "; restore it in the MLflow UI or choose another experiment name");
        }
        return e.id();
      }
      ObjectNode body = json.createObjectNode().put("name", name);
      // MLflow 3's UI opens an experiment without this tag in its GenAI view; these are model-training runs
      body.putArray("tags").addObject().put("key", "mlflow.experimentKind").put("value", "custom_model_development");
      try {
        JsonNode r = withRetries("create experiment '" + name + "'",
            ambiguous -> exchange("create experiment '" + name + "'", postJson(API + "experiments/create",
                body.toString())));
        String id = r.path("experiment_id").asText("");
        if (id.isEmpty()) {
          throw new TrackingException("MLflow at " + base + ": create experiment '" + name
              + "' answered without an experiment_id: " + snippet(r.toString()));
        }
        return id;
      } catch (ApiException e) {
        if (!"RESOURCE_ALREADY_EXISTS".equals(e.errorCode)) {
          throw e;
        }
        // Someone else created it meanwhile (or our earlier attempt did): read it on the next round.
      }
    }
    throw new TrackingException("MLflow at " + base + ": could not get or create experiment '" + name + "'");
  }

  // ---------------------------------------------------------------- runs

  /**
   * Creates a run. Tags go with the creation (so a child is nested from its first moment). A retry after a
   * failure that may have reached the server first looks for a run carrying this call's
   * {@link TrackingTags#CREATE_TOKEN}, so a lost answer does not leave a duplicate run behind.
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
    all.put(TrackingTags.CREATE_TOKEN, token);
    all.forEach((k, v) -> tagArray.addObject().put("key", k).put("value", v));
    String what = "create run '" + runName + "' in experiment " + experimentId;
    return withRetries(what, ambiguous -> {
      if (ambiguous) {
        Optional<RunInfo> existing = findRunByTagOnce(experimentId, TrackingTags.CREATE_TOKEN, token);
        if (existing.isPresent()) {
          LOG.info("MLflow at {}: run {} had been created by an earlier attempt", base, existing.get().runId());
          return existing.get();
        }
      }
      return parseRun(exchange(what, postJson(API + "runs/create", body.toString())).path("run"));
    });
  }

  private Optional<RunInfo> findRunByTagOnce(String experimentId, String key, String value)
      throws IOException, InterruptedException, RetryableStatus {
    ObjectNode body = json.createObjectNode();
    body.putArray("experiment_ids").add(experimentId);
    body.put("filter", "tags.`" + key + "` = '" + value.replace("'", "\\'") + "'");
    body.put("max_results", 2);
    body.put("run_view_type", "ALL");
    JsonNode runs = exchange("search runs", postJson(API + "runs/search", body.toString())).path("runs");
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
      body.put("filter", "tags.`" + TrackingTags.PARENT_RUN_ID + "` = '" + parentRunId.replace("'", "\\'")
          + "' and attributes.status = 'RUNNING'");
      body.put("max_results", 1000);
      if (token != null) {
        body.put("page_token", token);
      }
      String what = "search the running child runs of run " + parentRunId;
      JsonNode r = withRetries(what, ambiguous -> exchange(what, postJson(API + "runs/search", body.toString())));
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
      JsonNode r = withRetries(what, ambiguous -> exchange(what, postJson(API + "runs/search", body.toString())));
      r.path("runs").forEach(run -> out.add(parseSnapshot(run)));
      token = r.path("next_page_token").asText("");
    } while (!token.isEmpty());
    return out;
  }

  /** A run with its data. */
  RunSnapshot getRunSnapshot(String runId) {
    String what = "get run " + runId;
    String path = API + "runs/get?run_id=" + encodeQuery(runId);
    return withRetries(what, ambiguous -> parseSnapshot(exchange(what, request(path).GET().build()).path("run")));
  }

  /** Sets a run's status to RUNNING again (to resume the sweep it is the parent of). */
  void reopenRun(String runId) {
    ObjectNode body = json.createObjectNode();
    body.put("run_id", runId);
    body.put("status", "RUNNING");
    String what = "set status RUNNING of run " + runId;
    withRetries(what, ambiguous -> exchange(what, postJson(API + "runs/update", body.toString())));
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
    data.path("metrics").forEach(m -> metrics.put(m.path("key").asText(), parseMetricValue(m.path("value"))));
    JsonNode i = run.path("info");
    String name = i.path("run_name").asText(tags.getOrDefault(TrackingTags.RUN_NAME, ""));
    return new RunSnapshot(info.runId(), info.experimentId(), name, info.status(), i.path("start_time").asLong(0),
        params, tags, metrics);
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
    return withRetries(what, ambiguous -> parseRun(exchange(what, request(path).GET().build()).path("run")));
  }

  /** Sends one batch; it must be within {@link BatchLimits#MLFLOW} (see {@link LogBatchChunker}). */
  void logBatch(String runId, LogBatch batch) {
    if (batch.isEmpty()) {
      return;
    }
    String body = batch.toJson(runId);
    String what = "log-batch to run " + runId + " (" + batch.metrics().size() + " metrics, "
        + batch.params().size() + " params, " + batch.tags().size() + " tags)";
    withRetries(what, ambiguous -> exchange(what, postJson(API + "runs/log-batch", body)));
  }

  /** Ends a run with status FINISHED, FAILED or KILLED. */
  void updateRun(String runId, String status, long endTime) {
    ObjectNode body = json.createObjectNode();
    body.put("run_id", runId);
    body.put("status", status);
    body.put("end_time", endTime);
    String what = "set status " + status + " of run " + runId;
    withRetries(what, ambiguous -> exchange(what, postJson(API + "runs/update", body.toString())));
  }

  /** Uploads {@code content} to {@code path} under the run's artifact root {@code artifactUri}. */
  void putArtifact(String artifactUri, String path, byte[] content) {
    String url = artifactUrl(base, artifactUri, path);
    String what = "upload artifact '" + path + "' (" + content.length + " bytes)";
    withRetries(what, ambiguous -> exchange(what, authorize(HttpRequest.newBuilder(URI.create(url)))
        .timeout(requestTimeout)
        .header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(content))
        .build()));
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
    String rel = encodePath(checkArtifactPath(path));
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

  static String checkArtifactPath(String path) {
    if (path == null || path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("\\")) {
      throw new IllegalArgumentException("invalid artifact path '" + path
          + "': expected a relative '/'-separated path such as plots/loss.png");
    }
    for (String seg : path.split("/", -1)) {
      if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
        throw new IllegalArgumentException("invalid artifact path '" + path
            + "': empty, '.' and '..' segments are not allowed");
      }
    }
    return path;
  }

  // ---------------------------------------------------------------- plumbing

  private <T> T withRetries(String what, Attempt<T> attempt) {
    long start = System.nanoTime();
    boolean ambiguous = false;
    for (int n = 1; ; n++) {
      String error;
      OptionalLong retryAfter = OptionalLong.empty();
      try {
        return attempt.run(ambiguous);
      } catch (RetryableStatus e) {
        error = e.getMessage();
        retryAfter = e.retryAfterMillis;
        ambiguous |= e.status != 429;
      } catch (IOException e) {
        if (!RetryPolicy.isRetryable(e)) {
          throw new TrackingException("MLflow at " + base + ": " + what + " failed: " + describe(e), e);
        }
        error = describe(e);
        ambiguous |= !RetryPolicy.neverSent(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TrackingException("MLflow at " + base + ": " + what + " interrupted", e);
      }
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      Duration delay = retry.delay(n, retryAfter, ThreadLocalRandom.current());
      if (!retry.withinBudget(elapsed, delay)) {
        throw new TrackingException(String.format("MLflow at %s: %s failed after %d attempt%s in %.1f s: %s", base,
            what, n, n == 1 ? "" : "s", elapsed.toMillis() / 1000.0, error));
      }
      LOG.warn("MLflow at {}: {} failed ({}); retry {} in {} ms ({} of {} s used)", base, what, error, n,
          delay.toMillis(), elapsed.toSeconds(), retry.budget().toSeconds());
      try {
        Thread.sleep(delay.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TrackingException("MLflow at " + base + ": " + what + " interrupted while waiting to retry", e);
      }
    }
  }

  /** Sends one request; returns the JSON answer of a 2xx, throws {@link RetryableStatus} or {@link ApiException}. */
  private JsonNode exchange(String what, HttpRequest req) throws IOException, InterruptedException, RetryableStatus {
    HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    int s = r.statusCode();
    String body = new String(r.body(), StandardCharsets.UTF_8);
    switch (RetryPolicy.classify(s)) {
      case SUCCESS:
        if (body.isBlank()) {
          return json.createObjectNode();
        }
        try {
          return json.readTree(body);
        } catch (JsonProcessingException e) {
          throw new TrackingException("MLflow at " + base + ": " + what + ": the answer is not JSON ("
              + r.headers().firstValue("content-type").orElse("no content type") + "); is " + base
              + " an MLflow tracking server? " + snippet(body));
        }
      case RETRY:
        throw new RetryableStatus(s, serverMessage(body), retryAfter(r));
      default:
        String code = errorCode(body);
        String location = r.headers().firstValue("location").map(l -> " (redirected to " + l + ")").orElse("");
        throw new ApiException("MLflow at " + base + ": " + what + " failed: HTTP " + s
            + (code.isEmpty() ? "" : " " + code) + location + ": " + serverMessage(body), s, code);
    }
  }

  private HttpRequest.Builder request(String pathAndQuery) {
    return authorize(HttpRequest.newBuilder(URI.create(base + pathAndQuery)))
        .timeout(requestTimeout)
        .header("Accept", "application/json");
  }

  private HttpRequest postJson(String path, String body) {
    return request(path)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
        .build();
  }

  private HttpRequest.Builder authorize(HttpRequest.Builder b) {
    b.header("User-Agent", "gradsweep");
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return b;
  }

  private RunInfo parseRun(JsonNode run) {
    JsonNode info = run.path("info");
    String id = info.path("run_id").asText(info.path("run_uuid").asText(""));
    if (id.isEmpty()) {
      throw new TrackingException("MLflow at " + base + ": answer has no run id: " + snippet(run.toString()));
    }
    return new RunInfo(id, info.path("experiment_id").asText(), info.path("artifact_uri").asText(""),
        info.path("status").asText(""));
  }

  private static Experiment parseExperiment(JsonNode e) {
    return new Experiment(e.path("experiment_id").asText(), e.path("name").asText(),
        e.path("lifecycle_stage").asText("active"), e.path("artifact_location").asText(""));
  }

  private String errorCode(String body) {
    try {
      return json.readTree(body).path("error_code").asText("");
    } catch (JsonProcessingException e) {
      return "";
    }
  }

  private String serverMessage(String body) {
    try {
      JsonNode n = json.readTree(body);
      if (n != null && n.hasNonNull("message")) {
        return snippet(n.get("message").asText());
      }
    } catch (JsonProcessingException e) {
      // not JSON: show the text
    }
    return snippet(body);
  }

  private static OptionalLong retryAfter(HttpResponse<?> r) {
    Optional<String> v = r.headers().firstValue("retry-after");
    if (v.isPresent()) {
      try {
        return OptionalLong.of(Math.round(Double.parseDouble(v.get().strip()) * 1000));
      } catch (NumberFormatException e) {
        // an HTTP date: ignore, use the backoff
      }
    }
    return OptionalLong.empty();
  }

  private static String snippet(String s) {
    String t = s.strip();
    return t.length() <= MAX_SERVER_MESSAGE ? t : t.substring(0, MAX_SERVER_MESSAGE) + "...";
  }

  private static boolean isRefused(IOException e) {
    return e instanceof ConnectException && !(rootCause(e) instanceof UnresolvedAddressException);
  }

  /** A short human description of an I/O error. */
  String describe(IOException e) {
    Throwable root = rootCause(e);
    if (root instanceof UnresolvedAddressException || root instanceof UnknownHostException) {
      return "unknown host '" + URI.create(base).getHost() + "'";
    }
    if (e instanceof HttpConnectTimeoutException) {
      return "timed out connecting";
    }
    if (e instanceof HttpTimeoutException) {
      return "no answer within " + requestTimeout.toSeconds() + " s";
    }
    if (e instanceof ConnectException) {
      return "connection refused";
    }
    String msg = root.getMessage();
    return root.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
  }

  private static Throwable rootCause(Throwable t) {
    Throwable r = t;
    while (r.getCause() != null && r.getCause() != r) {
      r = r.getCause();
    }
    return r;
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
