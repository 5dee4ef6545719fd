package io.gradsweep.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.mlflow.MlflowTrackingSink;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The harness itself: stop/restart keep port and data, close ends the whole process tree and the directory. */
class MlflowTestServerIT {

  @Test
  void stopRestartAndClose() {
    MlflowTestServer server = MlflowTestServer.start();
    List<ProcessHandle> tree = new ArrayList<>();
    Path dir = server.directory();
    try {
      long pid = server.pid();
      assertTrue(pid > 0);
      ProcessHandle root = ProcessHandle.of(pid).orElseThrow();
      String uri = server.uri();
      SweepRun sweep;
      try (MlflowTrackingSink sink = new MlflowTrackingSink(uri)) {
        sink.checkReachable();
        sweep = sink.startSweep("harness", "s", Map.of("a", "1"), Map.of(), "x: 1\n".getBytes());
      }

      server.stop();
      assertFalse(root.isAlive());
      assertEquals(-1, server.pid());
      TrackingException down = assertThrows(TrackingException.class,
          () -> new MlflowTrackingSink(uri).checkReachable());
      assertTrue(down.getMessage().contains("connection refused"), down.getMessage());

      server.restart();
      assertEquals(uri, server.uri());
      assertTrue(server.pid() > 0 && server.pid() != pid);
      MlflowRestReader reader = new MlflowRestReader(uri);
      assertEquals("1", reader.params(sweep.runId()).get("a"), "data survives a restart");
      assertEquals("x: 1\n", new String(reader.downloadArtifact(sweep.runId(), "sweep.yaml")));

      ProcessHandle newRoot = ProcessHandle.of(server.pid()).orElseThrow();
      tree.add(newRoot);
      newRoot.descendants().forEach(tree::add);
      assertTrue(tree.size() >= 2, "mlflow server and its uvicorn process: " + tree);
    } finally {
      server.close();
      server.close(); // idempotent
    }
    for (ProcessHandle h : tree) {
      assertFalse(h.isAlive(), "still running: " + h.pid() + " " + h.info().commandLine().orElse(""));
    }
    assertFalse(Files.exists(dir), "directory deleted");
    assertThrows(IllegalStateException.class, server::restart);
  }
}
