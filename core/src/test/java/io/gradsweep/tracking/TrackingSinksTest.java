package io.gradsweep.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.mlflow.MlflowTrackingSink;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrackingSinksTest {

  @Test
  void opensEachKnownBackend() {
    assertInstanceOf(MlflowTrackingSink.class, TrackingSinks.open(new TrackingTarget("mlflow", "http://127.0.0.1:5000")));
    assertInstanceOf(MemoryTrackingSink.class, TrackingSinks.open(new TrackingTarget("memory", null)));
    assertInstanceOf(NoneTrackingSink.class, TrackingSinks.open(TrackingTarget.none()));
    assertInstanceOf(MlflowTrackingSink.class, TrackingSinks.open(new TrackingTarget(" MLflow ", "http://h:1/")));
  }

  @Test
  void unknownBackendListsTheKnownOnes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> TrackingSinks.open(new TrackingTarget("wandb", null)));
    assertTrue(e.getMessage().contains("'wandb'"), e.getMessage());
    assertTrue(e.getMessage().contains("known backends: " + String.join(", ", TrackingSinks.NAMES)), e.getMessage());
    for (String name : List.of("mlflow", "memory", "none")) {
      assertTrue(e.getMessage().contains(name), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> TrackingSinks.open(new TrackingTarget(null, null)));
  }

  @Test
  void theRegistryFindsTheBackendsThroughServiceLoaderInFileOrder() {
    // core's main services file lists mlflow then none; core's test jar adds memory
    assertTrue(TrackingSinks.NAMES.containsAll(List.of("mlflow", "memory", "none")), TrackingSinks.NAMES.toString());
    assertTrue(TrackingSinks.NAMES.indexOf("mlflow") < TrackingSinks.NAMES.indexOf("none"),
        TrackingSinks.NAMES.toString());
    assertEquals(TrackingSinks.NAMES, TrackingSinks.backends().stream().map(TrackingBackend::name).toList());
    assertTrue(TrackingSinks.isKnown(" MLflow "));
    assertFalse(TrackingSinks.isKnown("wandb"));
    assertFalse(TrackingSinks.isKnown(null));
  }

  @Test
  void mlflowNeedsAUsableUri() {
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> TrackingSinks.open(new TrackingTarget("mlflow", null)));
    assertTrue(missing.getMessage().contains("tracking URI"), missing.getMessage());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> TrackingSinks.open(new TrackingTarget("mlflow", "file:///tmp/mlruns")));
    assertTrue(bad.getMessage().contains("file:///tmp/mlruns"), bad.getMessage());
  }

  @Test
  void noneDiscardsEverything() {
    try (TrackingSink sink = TrackingSinks.open(TrackingTarget.none())) {
      sink.checkReachable();
      SweepRun s = sink.startSweep("e", "s", Map.of("a", "b"), Map.of(), new byte[] {1});
      TrialSpec t = new TrialSpec("e", "s", "adding", 8, 1, 10, "lstm", null, ClipSpec.NONE, 0, "sgd", 0.1, 4, 1,
          "default", 1, 2, 3, 1, 0.1);
      TrialRun r = sink.startTrial(s, t);
      assertNull(r.runId());
      assertFalse(r.keepsArtifacts(), "the trainer may skip drawing what none discards");
      r.logMetric("x", Double.NaN, 0);
      r.finish(true);
      r.logMetric("x", 1, 1);
      sink.endSweep(s, true);
      assertEquals("none", sink.name());
    }
  }
}
