package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.Names;
import io.gradsweep.train.TrialStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * ASHA submitted to a standalone cluster of two one-core workers (separate executor JVMs, no disk shared with the
 * trials' runs): each segment is a task on whichever executor is free, and a promoted trial continues from the
 * checkpoint its previous segment uploaded to MLflow. Its trials are a scrambled Sobol sample (search.strategy sobol),
 * so a sampled search runs on the cluster too.
 */
class AshaClusterIT {
  static final Path ASHA = LocalCluster.REPO.resolve("jobs/src/test/resources/asha-sobol-sweep.yaml");

  @Test
  void ashaSegmentsRunOnTheClustersExecutorsAndContinueFromCheckpointArtifacts() throws Exception {
    LocalCluster cluster = null;
    try (MlflowTestServer server = MlflowTestServer.start()) {
      try {
        cluster = LocalCluster.start(2, 1, StandaloneClusterIT.WORKER_MEMORY);
        long t0 = System.nanoTime();
        LocalCluster.Result submit = LocalCluster.sh(cluster.env, 900, "jobs/bin/gradsweep", "submit", "--master",
            cluster.master, ASHA.toString(), "--tracking-uri", server.uri());
        System.out.printf("ASHA on the cluster: %.1f s%n%s%s", (System.nanoTime() - t0) / 1e9, submit.out(),
            submit.err());
        assertEquals(0, submit.status(), submit.err());
        MlflowRestReader reader = new MlflowRestReader(server.uri());
        String parentId = SweepReadback.parentRunId(submit.out());
        List<RunRecord> children = reader.children(parentId);
        assertEquals(Sweeps.parseFile(ASHA).trials().size(), children.size());
        TreeSet<String> executors = new TreeSet<>();
        int promoted = 0;
        long total = 0;
        for (RunRecord c : children) {
          assertEquals("FINISHED", c.status());
          executors.add(StandaloneClusterIT.executorId(c));
          long last = (long) reader.metricHistory(c.runId(), Names.Metric.FINAL_STEPS).get(0).value();
          total += last;
          assertEquals(LongStream.rangeClosed(1, last).boxed().toList(), reader.metricHistory(c.runId(),
              Names.Metric.TRAIN_LOSS).stream().map(MetricPoint::step).sorted().toList(), c.runName());
          if (Integer.parseInt(c.tags().get(Names.Tag.ASHA_RUNG)) > 0) {
            promoted++;
          }
          assertTrue(List.of(TrialStatus.STOPPED_BY_SCHEDULER.name(), TrialStatus.NOT_SOLVED.name(),
              TrialStatus.SOLVED.name()).contains(c.tags().get(Names.Tag.STATUS)), c.tags().toString());
        }
        assertFalse(executors.contains("driver"), "segments ran on the cluster's executors: " + executors);
        assertTrue(promoted >= 1, "at least one trial continued from a checkpoint on some executor");
        assertTrue(total < children.size() * 90L, total + " steps");
        System.out.printf("ASHA on the cluster: executors %s, %d trials promoted at least once, %d steps of %d%n",
            executors, promoted, total, children.size() * 90L);
      } finally {
        if (cluster != null) {
          cluster.close();
        }
      }
    }
  }
}
