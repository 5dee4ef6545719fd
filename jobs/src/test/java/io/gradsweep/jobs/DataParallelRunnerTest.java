package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.sweep.ExitStatus;
import io.gradsweep.sweep.SweepFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data-parallel runner is in the Spark 3.5 build and not in the Spark 4 one; there a spec with
 * training.data_parallel is refused before anything starts, naming the build that has it. Runs in both builds.
 */
class DataParallelRunnerTest {
  private static final String SPEC = "name: dp\nexperiment: e\ntask: {name: adding}\n"
      + "training: {max_steps: 4, data_parallel: {workers: 2, averaging_frequency: 1, batch_per_worker: 4}}\n"
      + "grid: {cell: [lstm], seq_len: [10]}\n";

  @Test
  void theSpark3BuildHasItTheSpark4BuildRefusesTheSpec(@TempDir Path dir) throws Exception {
    Path spec = Files.writeString(dir.resolve("dp.yaml"), SPEC);
    RunOptions options = new RunOptions();
    options.spec = spec.toString();
    boolean spark3 = SparkLine.built().sparkMajor().equals("3");
    assertEquals(spark3, DataParallelRunner.available());
    if (spark3) {
      assertEquals(2, options.loadSpec().trials().get(0).dataParallel().workers());
      assertTrue(DataParallelRunner.load() != null);
    } else {
      SweepFailure e = assertThrows(SweepFailure.class, options::loadSpec);
      assertEquals(ExitStatus.USAGE_ERROR, e.status());
      assertTrue(e.getMessage().contains("1 of its 1 trials are data-parallel (training.data_parallel, or "
          + "data_parallel in a variants entry), and data_parallel needs Deeplearning4j's Spark module"),
          e.getMessage());
      assertTrue(e.getMessage().contains("Spark 3 / Scala 2.12 only; this is the Spark 4."), e.getMessage());
      assertTrue(e.getMessage().contains("gradsweep-spark3.jar"), e.getMessage());
      assertThrows(IllegalStateException.class, DataParallelRunner::load);
    }
  }

  /** A mixed spec (data_parallel in one variants entry): on Spark 4 the error counts the data-parallel trials. */
  @Test
  void aMixedSpecIsCountedInTheRefusal() throws Exception {
    RunOptions options = new RunOptions();
    options.spec = java.nio.file.Path.of(getClass().getResource("/dp-mixed-sweep.yaml").toURI()).toString();
    if (SparkLine.built().sparkMajor().equals("3")) {
      assertEquals(1, options.loadSpec().trials().stream().filter(t -> t.dataParallel() != null).count());
    } else {
      SweepFailure e = assertThrows(SweepFailure.class, options::loadSpec);
      assertEquals(ExitStatus.USAGE_ERROR, e.status());
      assertTrue(e.getMessage().contains("1 of its 2 trials are data-parallel (training.data_parallel, or "
          + "data_parallel in a variants entry)"), e.getMessage());
    }
  }
}
