package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.sweep.TrialAttempt;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * gradsweep's settings reach executors in JVMs of their own as Spark conf keys only: {@code --conf
 * spark.gradsweep.*} goes through the launcher and SparkSubmit into the driver's SparkConf, and each trial carries
 * the values into its task. The executors get no {@code -Dgradsweep.*} option; their own default kernels are the
 * Vector API's (StandaloneClusterIT), so a tag {@code scalar} can only come from the setting. A deprecated
 * {@code -Dgradsweep.*} of the driver still counts, with a note naming the new key.
 */
class SettingsClusterIT {
  @Test
  void sparkConfSettingsReachTheExecutorsInsideTheTasks() throws Exception {
    LocalCluster cluster = null;
    try (MlflowTestServer server = MlflowTestServer.start()) {
      try {
        cluster = LocalCluster.start(1, 1, StandaloneClusterIT.WORKER_MEMORY);
        Path spool = cluster.dir.resolve("settings-spool");
        Map<String, String> env = new java.util.HashMap<>(cluster.env);
        env.put("GRADSWEEP_JAVA_OPTS", "-Dgradsweep.mlflow.giveup.seconds=600");
        LocalCluster.Result submit = LocalCluster.sh(env, 600, "jobs/bin/gradsweep", "submit", "--master",
            cluster.master, StandaloneClusterIT.TINY.toString(), "--tracking-uri", server.uri(), "--conf",
            "spark.gradsweep.kernels=scalar", "--conf", "spark.gradsweep.spool.dir=" + spool);
        System.out.printf("settings on a cluster:%n%s%s", submit.out(), submit.err());
        assertEquals(0, submit.status(), submit.err());
        assertTrue(submit.err().contains("gradsweep: note: -Dgradsweep.mlflow.giveup.seconds is deprecated; use "
            + "--conf spark.gradsweep.mlflow.giveup.seconds=600"), submit.err());
        assertEquals(1, submit.err().lines().filter(l -> l.contains("is deprecated")).count(),
            "one note, from the run (not also from the launcher's check):\n" + submit.err());

        List<RunRecord> children = SweepReadback.assertSweepLogged(server.uri(), StandaloneClusterIT.TINY,
            SweepReadback.parentRunId(submit.out()));
        for (RunRecord c : children) {
          assertFalse(StandaloneClusterIT.executorId(c).equals("driver"), "trained on a cluster executor");
          assertEquals("scalar", c.tags().get(TrialAttempt.KERNELS_TAG), "spark.gradsweep.kernels in the task");
        }
        assertTrue(Files.isDirectory(spool), "the executor spooled under spark.gradsweep.spool.dir");
      } finally {
        if (cluster != null) {
          cluster.close();
        }
      }
    }
  }
}
