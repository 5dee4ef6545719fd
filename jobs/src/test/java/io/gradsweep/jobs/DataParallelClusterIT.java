package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import io.gradsweep.tracking.Names;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A spec with training.data_parallel submitted to a standalone cluster of two one-core workers
 * (jobs/bin/spark-cluster, jobs/bin/gradsweep submit, the uber jar): the trial's rounds run as tasks on the two
 * workers' executors, the driver logs the child run to a real MLflow server. Spark 3.5 build only.
 */
class DataParallelClusterIT {
  static final Path SPEC = LocalCluster.REPO.resolve("jobs/src/test/resources/dp-sweep.yaml");

  @Test
  void dataParallelSpecRunsOnTheClusterWorkers() throws Exception {
    LocalCluster cluster = null;
    try (MlflowTestServer server = MlflowTestServer.start()) {
      try {
        cluster = LocalCluster.start(2, 1, "1536m");
        String master = cluster.master;
        long t0 = System.nanoTime();
        LocalCluster.Result submit = LocalCluster.sh(cluster.env, 600, "jobs/bin/gradsweep", "submit", "--master",
            master, SPEC.toString(), "--tracking-uri", server.uri());
        System.out.printf("data-parallel submit: %.1f s%n%s%s", (System.nanoTime() - t0) / 1e9, submit.out(),
            submit.err());
        assertEquals(0, submit.status(), submit.err());
        String parentId = SweepReadback.parentRunId(submit.out());
        List<RunRecord> children = SweepReadback.assertSweepLogged(server.uri(), SPEC, parentId);
        assertEquals(1, children.size());
        RunRecord child = children.get(0);
        assertEquals("dl4j-spark-parameter-averaging", child.tags().get(Names.Tag.TRAINER));
        assertEquals("driver (" + master + ", data-parallel: 2 workers)", child.tags().get(Names.Tag.EXECUTOR));
        // both workers' executors ran tasks of the trial (their logs, under each worker's work directory)
        for (int w = 1; w <= 2; w++) {
          Path work = cluster.dir.resolve("work/worker-" + w);
          StringBuilder logs = new StringBuilder();
          try (var files = java.nio.file.Files.walk(work)) {
            for (Path p : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
              logs.append(java.nio.file.Files.readString(p));
            }
          }
          System.out.printf("worker %d executor log: %d lines with 'Running task'%n", w,
              logs.toString().lines().filter(l -> l.contains("Running task")).count());
          assertTrue(logs.toString().contains("Running task"), "worker " + w + " ran tasks: " + work);
        }
      } finally {
        if (cluster != null) {
          cluster.close();
        }
      }
    }
  }
}
