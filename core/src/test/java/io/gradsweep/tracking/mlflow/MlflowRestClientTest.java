package io.gradsweep.tracking.mlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingException;
import org.junit.jupiter.api.Test;

/** The pure parts of the HTTP layer; the rest is exercised against a real server in MlflowTrackingSinkIT. */
class MlflowRestClientTest {

  @Test
  void artifactUrlFromTheRunsArtifactUri() {
    String base = "http://127.0.0.1:5000";
    assertEquals(base + "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/sweep.yaml",
        MlflowRestClient.artifactUrl(base, "mlflow-artifacts:/1/abc/artifacts", "sweep.yaml"));
    assertEquals(base + "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/plots/a%20b%2B%C3%A9.png",
        MlflowRestClient.artifactUrl(base, "mlflow-artifacts:/1/abc/artifacts/", "plots/a b+\u00e9.png"));
    assertEquals("http://other:9000/api/2.0/mlflow-artifacts/artifacts/7/r/artifacts/x",
        MlflowRestClient.artifactUrl(base, "mlflow-artifacts://other:9000/7/r/artifacts", "x"));
    assertEquals("https://proxy/mlflow/api/2.0/mlflow-artifacts/artifacts/7/r/artifacts/x",
        MlflowRestClient.artifactUrl("https://proxy/mlflow", "mlflow-artifacts:/7/r/artifacts", "x"));
    assertEquals("http://h/api/2.0/mlflow-artifacts/artifacts/7/r/artifacts/x",
        MlflowRestClient.artifactUrl(base, "http://h/api/2.0/mlflow-artifacts/artifacts/7/r/artifacts/", "x"));
    TrackingException e = assertThrows(TrackingException.class,
        () -> MlflowRestClient.artifactUrl(base, "file:///tmp/mlruns/1/r/artifacts", "x"));
    assertTrue(e.getMessage().contains("file:///tmp/mlruns/1/r/artifacts"), e.getMessage());
  }

  @Test
  void artifactPathsMustBeRelativeAndClean() {
    for (String bad : new String[] {"", "/abs", "a/../b", "./a", "a//b", "a/", "a\\b"}) {
      assertThrows(IllegalArgumentException.class,
          () -> MlflowRestClient.artifactUrl("http://h", "mlflow-artifacts:/1/r/artifacts", bad), bad);
    }
  }

  @Test
  void trackingUris() {
    assertEquals("http://127.0.0.1:5000", MlflowRestClient.normalizeUri("http://127.0.0.1:5000/"));
    assertEquals("https://h/mlflow", MlflowRestClient.normalizeUri(" https://h/mlflow// "));
    for (String bad : new String[] {"127.0.0.1:5000", "file:///x", "databricks", "http://", "http://h/?q=1"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> MlflowRestClient.normalizeUri(bad), bad);
      assertTrue(e.getMessage().contains(bad), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> MlflowRestClient.normalizeUri(null));
  }

  @Test
  void credentialsInTheUriAreRefusedWithoutEchoingThem() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> MlflowRestClient.normalizeUri("https://alice:S3cret-pw@mlflow.example:8443/x"));
    assertFalse(e.getMessage().contains("S3cret-pw") || e.getMessage().contains("alice"), e.getMessage());
    assertTrue(e.getMessage().contains("https://***@mlflow.example:8443") && e.getMessage().contains(
        "MLFLOW_TRACKING_USERNAME"), e.getMessage());
  }

  @Test
  void uiUrl() {
    MlflowRestClient c = new MlflowRestClient("http://127.0.0.1:5000/", RetryPolicy.NONE,
        java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(1), TrackingCredentials.none());
    assertEquals("http://127.0.0.1:5000/#/experiments/3/runs/abc?workflowType=machine_learning", c.uiUrl("3", "abc"));
    assertEquals("http://127.0.0.1:5000/#/experiments/3/runs?workflowType=machine_learning", c.experimentUiUrl("3"));
  }
}
