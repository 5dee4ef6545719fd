package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CI-sized scale test: {@code jobs/bin/scale-test} runs 300 trials on a local standalone cluster (two workers
 * of one core) against MLflow on PostgreSQL, SIGKILLs an executor at 30% and restarts the MLflow server at 60%,
 * and checks MLflow. Asserted here from its {@code scale.json}: every trial has exactly one FINISHED child run,
 * no duplicates, both chaos events happened, the report was rebuilt and the UI showed the parent run; and no
 * process of the cluster or the servers outlives the command.
 */
class ScaleIT {
  static final Path REPO = LocalCluster.REPO;

  @Test
  void threeHundredTrialsSurviveAnExecutorKillAndAnMlflowRestart() throws Exception {
    // readable by others: PostgreSQL runs as user postgres when the tests run as root
    Path out = Files.createTempDirectory("gradsweep-scale-", PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwxr-xr-x")));
    LocalCluster.Result r = LocalCluster.sh(Map.of(), 1800, "jobs/bin/scale-test", "--spec",
        "jobs/src/test/resources/scale-300.yaml", "--out", out.toString());
    System.out.print(r.out());
    System.out.print(r.err());
    JsonNode s = new ObjectMapper().readTree(out.resolve("scale.json").toFile());
    assertEquals(0, r.status(), "scale-test exit status; problems: " + s.path("problems"));
    assertEquals(300, s.path("trials").asInt());
    assertEquals(300, s.path("finished_once").asInt(), "every trial has exactly one FINISHED run");
    assertEquals(0, s.path("duplicates").asInt());
    List<String> events = new ArrayList<>();
    s.path("events").forEach(e -> events.add(e.path("what").asText()));
    assertEquals(2, events.size(), "an executor killed and MLflow restarted: " + events);
    assertTrue(events.get(0).startsWith("SIGKILL executor"), events.toString());
    assertTrue(events.get(1).startsWith("MLflow restarted (exit 0"), events.toString());
    assertTrue(s.path("metric_rows").asLong() > 300 * 10, "metric rows counted in PostgreSQL: " + s);
    assertTrue(s.path("db_bytes").asLong() > 0);
    assertFalse(s.path("report_seconds").isNull(), "gradsweep report rebuilt the report");
    assertTrue(Files.exists(out.resolve("report")), "the report was written");
    JsonNode ui = s.path("ui_seconds");
    assertNotNull(ui.get("parent_page"), "the MLflow UI showed the parent run's page: " + ui);
    assertEquals(3, ui.get("parent_page").size());
    // nothing the command started is left: no process has the test's state directory on its command line
    LocalCluster.Result ps = LocalCluster.sh(Map.of(), 10, "pgrep", "-f", out.toString());
    assertEquals("", ps.out().strip(), "processes left behind:\n" + ps.out());
  }
}
