package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * jobs/bin/yarn-mini's help and argument checks, and what it says when no cluster runs; nothing here builds or
 * starts Java (YarnIT starts the cluster).
 */
class YarnMiniScriptTest {
  record Result(int status, String out, String err) {}

  @TempDir
  Path dir;

  Result sh(String... args) throws Exception {
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    ProcessBuilder pb = new ProcessBuilder(List.of(args)).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("GRADSWEEP_YARN_DIR", dir.resolve("yarn").toString());
    Process p = pb.start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", args) + " did not finish");
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }

  @Test
  void helpNamesEveryCommandAndOption() throws Exception {
    Result help = sh("bin/yarn-mini", "--help");
    assertEquals(0, help.status());
    for (String word : List.of("start", "--nodes", "--node-memory-mb", "--node-vcores", "stop", "status",
        "conf-dir", "apps", "HADOOP_CONF_DIR", "GRADSWEEP_YARN_DIR", "--deploy-mode cluster", "--files")) {
      assertTrue(help.out().contains(word), word);
    }
    Result none = sh("bin/yarn-mini");
    assertEquals(2, none.status());
    assertTrue(none.err().startsWith("Usage: yarn-mini start"), none.err());
    Result unknown = sh("bin/yarn-mini", "restart");
    assertEquals(2, unknown.status());
    assertTrue(unknown.err().startsWith("yarn-mini: unknown command 'restart'"), unknown.err());
  }

  @Test
  void badOptionsAreRefusedBeforeAnythingStarts() throws Exception {
    Result nodes = sh("bin/yarn-mini", "start", "--nodes", "0");
    assertEquals(1, nodes.status());
    assertTrue(nodes.err().contains("--nodes: expected a whole number >= 1, got '0'"), nodes.err());
    Result memory = sh("bin/yarn-mini", "start", "--node-memory-mb", "512");
    assertEquals(1, memory.status());
    assertTrue(memory.err().contains("--node-memory-mb: expected a whole number of MB >= 1024, got '512'"),
        memory.err());
    Result missing = sh("bin/yarn-mini", "start", "--node-vcores");
    assertEquals(1, missing.status());
    assertTrue(missing.err().contains("--node-vcores needs a value"), missing.err());
    Result option = sh("bin/yarn-mini", "start", "--memory", "4g");
    assertEquals(1, option.status());
    assertTrue(option.err().contains("unknown option '--memory' (yarn-mini --help)"), option.err());
    assertFalse(Files.exists(dir.resolve("yarn")), "nothing was created");
  }

  @Test
  void withoutAClusterTheQueriesSaySoAndStopIsHarmless() throws Exception {
    Result conf = sh("bin/yarn-mini", "conf-dir");
    assertEquals(1, conf.status());
    assertEquals("", conf.out());
    assertTrue(conf.err().contains("no cluster running (yarn-mini start)"), conf.err());
    Result apps = sh("bin/yarn-mini", "apps");
    assertEquals(1, apps.status());
    assertTrue(apps.err().contains("no cluster running"), apps.err());
    Result status = sh("bin/yarn-mini", "status");
    assertEquals(1, status.status());
    assertEquals("no cluster running\n", status.out());
    Result stop = sh("bin/yarn-mini", "stop");
    assertEquals(0, stop.status(), stop.err());
    assertTrue(stop.err().contains("no cluster was running"), stop.err());
  }
}
