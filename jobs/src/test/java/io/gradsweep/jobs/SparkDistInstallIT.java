package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The fresh-clone order for the Spark distribution: in a checkout of the scripts alone with nothing installed (no
 * venv, no Spark), {@code jobs/bin/spark-cluster start} creates the venv, installs Spark under the install lock and
 * starts master and worker from it; the daemons it leaves running hold no descriptor of the install lock, so
 * {@code jobs/bin/spark-dist install} right after finishes instead of waiting for them. pip takes the package from
 * its cache when an earlier install left it there.
 */
class SparkDistInstallIT {
  static final Path REPO = LocalCluster.REPO;

  private static void copyTree(Path from, Path to) throws Exception {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path t = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(t);
        } else {
          Files.copy(f, t, StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  @Test
  void aClusterStartThatInstallsSparkLeavesNoInstallLockToTheDaemons() throws Exception {
    Path root = Files.createTempDirectory(REPO.resolve("jobs/target"), "it-spark-dist");
    copyTree(REPO.resolve("jobs/bin"), root.resolve("jobs/bin"));
    Path clusterDir = root.resolve(".gradsweep/spark-cluster");
    Map<String, String> env = Map.of("GRADSWEEP_CLUSTER_DIR", clusterDir.toString());
    List<Long> groups = new ArrayList<>();
    try {
      LocalCluster.Result start = sh(root, env, 900, "jobs/bin/spark-cluster", "start", "--workers", "1",
          "--cores", "1", "--memory", "1g");
      groups.addAll(LocalCluster.daemonPids(clusterDir));
      System.out.print(start.err());
      assertEquals(0, start.status(), start.err());
      assertTrue(start.err().contains("creating virtualenv " + root.resolve(".gradsweep/venv")), start.err());
      assertTrue(start.err().contains("installing the Spark 3.5.8 distribution"), start.err());
      Path home = root.resolve(".gradsweep/spark/3.5.8/pyspark");
      assertTrue(Files.isExecutable(home.resolve("bin/spark-submit")), "installed: " + home);
      assertTrue(start.out().strip().matches("spark://127\\.0\\.0\\.1:\\d+"), start.out());
      try (Stream<Path> left = Files.list(root.resolve(".gradsweep/spark"))) {
        assertEquals(List.of("3.5.8"), left.map(p -> p.getFileName().toString()).toList(),
            "no temporary install directory is left");
      }

      assertEquals(2, groups.size(), "a master and a worker");
      for (long pgid : groups) {
        List<String> fds = MlflowLocalIT.descriptorsOfGroup(pgid);
        assertFalse(fds.isEmpty(), "found process group " + pgid);
        assertTrue(fds.stream().noneMatch(f -> f.endsWith("install.lock")), "a daemon holds the install lock: " + fds);
      }

      LocalCluster.Result install = sh(root, env, 60, "jobs/bin/spark-dist", "install");
      assertEquals(0, install.status(), install.err());
      assertEquals(home.toString(), install.out().strip());
      LocalCluster.Result version = sh(root, env, 60, "jobs/bin/spark-dist", "version");
      assertEquals("3.5.8", version.out().strip(), version.err());
    } finally {
      LocalCluster.Result stop = sh(root, env, 60, "jobs/bin/spark-cluster", "stop");
      System.out.print(stop.err());
      for (long pgid : groups) {
        if (LocalCluster.groupAlive(pgid)) {
          LocalCluster.sh(Map.of(), 10, "kill", "-KILL", "--", "-" + pgid);
        }
      }
    }
    for (long pgid : groups) {
      assertFalse(LocalCluster.groupAlive(pgid), "process group " + pgid + " is gone");
    }
  }

  /** A command in {@code dir} (not the repository), without SPARK_HOME. */
  private static LocalCluster.Result sh(Path dir, Map<String, String> env, long seconds, String... command)
      throws Exception {
    List<String> c = new ArrayList<>(List.of("env", "-u", "SPARK_HOME", "-C", dir.toString()));
    c.addAll(List.of(command));
    return LocalCluster.sh(env, seconds, c.toArray(String[]::new));
  }
}
