package io.gradsweep.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gradsweep.spec.TrialSpec;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * PLACEHOLDER (spark worktree only; the tracking engineer owns the real one). Opens a {@link TrackingSink} for a
 * {@link TrackingTarget}: backends {@code mlflow}, {@code memory}, {@code none}.
 */
public final class TrackingSinks {
  private TrackingSinks() {}

  public static TrackingSink open(TrackingTarget target) {
    return switch (target.backend()) {
      case "mlflow" -> new Mlflow(target.uri());
      case "memory", "none" -> new Noop(target.backend());
      default -> throw new IllegalArgumentException(
          "unknown tracking backend '" + target.backend() + "'; known: mlflow, memory, none");
    };
  }

  private static final class Noop implements TrackingSink {
    private final String name;

    Noop(String name) {
      this.name = name;
    }

    @Override public String name() {
      return name;
    }

    @Override public void checkReachable() {}

    @Override public SweepRun startSweep(String experiment, String sweepName, Map<String, String> params,
        Map<String, String> tags, byte[] specYaml) {
      return new SweepRun("0", UUID.randomUUID().toString().replace("-", ""), null);
    }

    @Override public TrialRun startTrial(SweepRun sweep, TrialSpec trial) {
      String id = UUID.randomUUID().toString().replace("-", "");
      return new TrialRun() {
        @Override public String runId() {
          return id;
        }

        @Override public void logMetric(String key, double value, long step) {}

        @Override public void setTag(String key, String value) {}

        @Override public void logArtifact(String path, byte[] content) {}

        @Override public void finish(boolean success) {}
      };
    }

    @Override public void logSweepArtifact(SweepRun sweep, String path, byte[] content) {}

    @Override public void endSweep(SweepRun sweep, boolean success) {}

    @Override public void close() {}
  }

  private static final class Mlflow implements TrackingSink {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String uri;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    Mlflow(String uri) {
      this.uri = uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
    }

    @Override public String name() {
      return "mlflow";
    }

    @Override public void checkReachable() {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(uri + "/health"))
            .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          throw new TrackingException("MLflow server at " + uri + " answered /health with HTTP " + r.statusCode());
        }
      } catch (IOException | InterruptedException | IllegalArgumentException e) {
        throw new TrackingException("MLflow server at " + uri + " is not reachable: " + e, e);
      }
    }

    JsonNode call(String method, String path, ObjectNode body) {
      try {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri + path)).timeout(Duration.ofSeconds(30));
        if (method.equals("GET")) {
          b.GET();
        } else {
          b.header("Content-Type", "application/json")
              .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
          throw new TrackingException("MLflow " + uri + path + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
      } catch (IOException | InterruptedException e) {
        throw new TrackingException("MLflow " + uri + path + " failed: " + e, e);
      }
    }

    private String experimentId(String name) {
      try {
        return call("GET", "/api/2.0/mlflow/experiments/get-by-name?experiment_name="
            + URLEncoder.encode(name, StandardCharsets.UTF_8), null).path("experiment").path("experiment_id").asText();
      } catch (TrackingException e) {
        ObjectNode body = JSON.createObjectNode().put("name", name);
        return call("POST", "/api/2.0/mlflow/experiments/create", body).path("experiment_id").asText();
      }
    }

    private JsonNode createRun(String experimentId, String runName, Map<String, String> tags) {
      ObjectNode body = JSON.createObjectNode().put("experiment_id", experimentId).put("run_name", runName)
          .put("start_time", System.currentTimeMillis());
      ArrayNode t = body.putArray("tags");
      tags.forEach((k, v) -> t.addObject().put("key", k).put("value", v));
      return call("POST", "/api/2.0/mlflow/runs/create", body).path("run");
    }

    void logParams(String runId, Map<String, String> params) {
      ObjectNode body = JSON.createObjectNode().put("run_id", runId);
      ArrayNode p = body.putArray("params");
      params.forEach((k, v) -> p.addObject().put("key", k).put("value", v));
      call("POST", "/api/2.0/mlflow/runs/log-batch", body);
    }

    void putArtifact(String artifactUri, String path, byte[] content) {
      String rel = artifactUri.substring(artifactUri.indexOf(":/") + 2);
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create(uri + "/api/2.0/mlflow-artifacts/artifacts/" + rel + "/" + path))
            .PUT(HttpRequest.BodyPublishers.ofByteArray(content)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
          throw new TrackingException("MLflow artifact upload " + path + ": HTTP " + r.statusCode());
        }
      } catch (IOException | InterruptedException e) {
        throw new TrackingException("MLflow artifact upload failed: " + e, e);
      }
    }

    void end(String runId, boolean success) {
      call("POST", "/api/2.0/mlflow/runs/update", JSON.createObjectNode().put("run_id", runId)
          .put("status", success ? "FINISHED" : "FAILED").put("end_time", System.currentTimeMillis()));
    }

    private final Map<String, String> artifactUris = new java.util.concurrent.ConcurrentHashMap<>();

    @Override public SweepRun startSweep(String experiment, String sweepName, Map<String, String> params,
        Map<String, String> tags, byte[] specYaml) {
      String exp = experimentId(experiment);
      JsonNode run = createRun(exp, sweepName, tags);
      String runId = run.path("info").path("run_id").asText();
      artifactUris.put(runId, run.path("info").path("artifact_uri").asText());
      logParams(runId, params);
      putArtifact(artifactUris.get(runId), "sweep.yaml", specYaml);
      return new SweepRun(exp, runId, uri + "/#/experiments/" + exp + "/runs/" + runId);
    }

    @Override public TrialRun startTrial(SweepRun sweep, TrialSpec trial) {
      JsonNode run = createRun(sweep.experimentId(), trial.displayName(),
          Map.of("mlflow.parentRunId", sweep.runId(), "gradsweep.trial_id", trial.id()));
      String runId = run.path("info").path("run_id").asText();
      String artifactUri = run.path("info").path("artifact_uri").asText();
      logParams(runId, trial.params());
      return new TrialRun() {
        private final List<ObjectNode> buffer = new ArrayList<>();
        private boolean finished;

        @Override public String runId() {
          return runId;
        }

        @Override public synchronized void logMetric(String key, double value, long step) {
          if (!Double.isFinite(value)) {
            return;
          }
          buffer.add(JSON.createObjectNode().put("key", key).put("value", value)
              .put("timestamp", System.currentTimeMillis()).put("step", step));
          if (buffer.size() >= 1000) {
            flush();
          }
        }

        private void flush() {
          if (buffer.isEmpty()) {
            return;
          }
          ObjectNode body = JSON.createObjectNode().put("run_id", runId);
          body.putArray("metrics").addAll(buffer);
          call("POST", "/api/2.0/mlflow/runs/log-batch", body);
          buffer.clear();
        }

        @Override public void setTag(String key, String value) {
          call("POST", "/api/2.0/mlflow/runs/set-tag",
              JSON.createObjectNode().put("run_id", runId).put("key", key).put("value", value));
        }

        @Override public void logArtifact(String path, byte[] content) {
          putArtifact(artifactUri, path, content);
        }

        @Override public synchronized void finish(boolean success) {
          if (finished) {
            return;
          }
          finished = true;
          flush();
          end(runId, success);
        }
      };
    }

    @Override public void logSweepArtifact(SweepRun sweep, String path, byte[] content) {
      putArtifact(artifactUris.get(sweep.runId()), path, content);
    }

    @Override public void endSweep(SweepRun sweep, boolean success) {
      end(sweep.runId(), success);
    }

    @Override public void close() {}
  }
}
