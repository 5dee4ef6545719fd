package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.conf.ConfKeys;
import io.gradsweep.conf.GradsweepConf;
import io.gradsweep.sweep.TrialAttempt;
import io.gradsweep.tracking.MemoryRun;
import io.gradsweep.tracking.MemoryTrackingSink;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** gradsweep's settings as the driver reads them from the SparkConf, and how they reach the trials. */
class JobSettingsTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final List<String> notes = new ArrayList<>();

  private int run(String... args) {
    return SweepJob.run(args, Map.of("OMP_NUM_THREADS", "1"), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void theSparkConfKeysAreTheSettings() {
    SparkConf conf = new SparkConf(false).set("spark.gradsweep.spool.dir", "/data/spool")
        .set("spark.gradsweep.mlflow.giveup.seconds", "60").set("spark.executor.memory", "2g");
    GradsweepConf c = JobSettings.read(conf, new Properties(), notes::add);
    assertEquals("/data/spool", c.get(ConfKeys.SPOOL_DIR));
    assertEquals(60L, c.get(ConfKeys.MLFLOW_GIVEUP_SECONDS));
    assertEquals(List.of(), notes);
  }

  @Test
  void legacySystemPropertiesOfTheDriverAndOfTheExecutorsOptionsStillCountWithANote() {
    SparkConf conf = new SparkConf(false).set("spark.gradsweep.progress.seconds", "0").set(
        "spark.executor.extraJavaOptions", "-Xss4m -Dgradsweep.spool.max.mb=64 -Dgradsweep.progress.seconds=9 "
            + "-Dgradsweep.spool.dir=/executor");
    Properties system = new Properties();
    system.setProperty("gradsweep.spool.dir", "/driver");
    system.setProperty("gradsweep.repo.root", "..");
    GradsweepConf c = JobSettings.read(conf, system, notes::add);
    assertEquals(0L, c.get(ConfKeys.PROGRESS_SECONDS), "the Spark key wins");
    assertEquals("/driver", c.get(ConfKeys.SPOOL_DIR), "the driver's -D comes before the executors'");
    assertEquals(64L, c.get(ConfKeys.SPOOL_MAX_MB));
    assertEquals(List.of("note: -Dgradsweep.spool.dir is deprecated; use --conf spark.gradsweep.spool.dir=/driver "
        + "(spark-submit and gradsweep, any cluster manager)",
        "note: spark.executor.extraJavaOptions -Dgradsweep.spool.max.mb is deprecated; use --conf "
            + "spark.gradsweep.spool.max.mb=64 (spark-submit and gradsweep, any cluster manager)"), notes);
  }

  @Test
  void theLegacyOptionsAreFoundInAJavaOptionsString() {
    assertEquals(Map.of("gradsweep.spool.dir", "/a", "gradsweep.kernels", "scalar"), JobSettings.legacyOptions(
        "-Dgradsweep.spool.dir=/a -XX:+UseG1GC -Dother.gradsweep.kernels=vector -Dgradsweep.kernels=scalar"));
    assertEquals(Map.of(), JobSettings.legacyOptions(""));
  }

  @Test
  void aBadSettingIsAUsageErrorBeforeTheTrackingServerIsContacted() {
    assertEquals(SweepJob.USAGE_ERROR, run("run", SweepJobTest.TINY.toString(), "--tracking-uri",
        SweepJobTest.DEAD_URI, "--conf", "spark.gradsweep.spool.max.mb=zero"));
    assertTrue(err().contains("spark.gradsweep.spool.max.mb: 'zero' is not allowed; expected a whole number >= 1 "
        + "(MiB)"), err());
    assertFalse(err().contains("not reachable"), err());
  }

  @Test
  void aMisspelledKeyIsAUsageErrorWithASuggestionAlsoForTheLaunchersCheck() {
    assertEquals(SweepJob.USAGE_ERROR, run("submit", "--master", "spark://127.0.0.1:7077", "--validate-only",
        SweepJobTest.TINY.toString(), "--conf", "spark.gradsweep.progres.seconds=3"));
    assertTrue(err().contains("unknown setting spark.gradsweep.progres.seconds; did you mean "
        + "\"spark.gradsweep.progress.seconds\"?"), err());
  }

  /**
   * The settings reach the trials inside their tasks: {@code kernels=scalar} from {@code --conf} is what the tasks
   * train with (tag), the driver's legacy {@code -Dgradsweep.timings.file} writes the timings with a note.
   */
  @Test
  void theSettingsReachTheDriverAndTheTrials(@TempDir Path dir) throws Exception {
    Path timings = dir.resolve("timings.json");
    System.setProperty("gradsweep.timings.file", timings.toString());
    int status;
    try {
      status = run("run", SweepJobTest.TINY.toString(), "--tracking-backend", "memory", "--conf",
          "spark.master=local[2]", "--conf", "spark.gradsweep.kernels=scalar", "--conf",
          "spark.gradsweep.progress.seconds=0");
    } finally {
      System.clearProperty("gradsweep.timings.file");
      io.gradsweep.engine.RecurrentLayer.useFloatKernels("auto");
    }
    assertEquals(0, status, err());
    assertTrue(err().contains("gradsweep: note: -Dgradsweep.timings.file is deprecated; use --conf "
        + "spark.gradsweep.timings.file=" + timings), err());
    assertTrue(Files.exists(timings), "the timings file was written");
    List<MemoryRun> parents = MemoryTrackingSink.runsOfExperiment("gradsweep-it").stream()
        .filter(r -> r.parentRunId().isEmpty()).toList();
    MemoryRun parent = parents.get(parents.size() - 1);
    List<MemoryRun> children = MemoryTrackingSink.childrenOf(parent.runId());
    assertEquals(5, children.size());
    for (MemoryRun c : children) {
      assertEquals("scalar", c.tags().get(TrialAttempt.KERNELS_TAG), c.tags().toString());
    }
  }
}
