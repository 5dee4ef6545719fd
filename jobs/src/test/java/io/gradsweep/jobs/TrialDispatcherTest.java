package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.sweep.ProgressReporter;
import io.gradsweep.sweep.TrialOutcome;
import io.gradsweep.sweep.Trials;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/** The distribution of trials over tasks, on a local Spark with two cores. */
class TrialDispatcherTest {
  private static SparkSession spark;
  private static JavaSparkContext jsc;

  @BeforeAll
  static void startSpark() {
    spark = SparkSession.builder().master("local[2]").appName("TrialDispatcherTest")
        .config("spark.ui.enabled", "false").getOrCreate();
    jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  @Test
  void everyPartitionHoldsExactlyOneTrialInOrder() {
    for (int n : new int[] {1, 2, 3, 7, 16}) {
      List<TrialSpec> trials = Trials.seeds(n);
      List<List<TrialSpec>> partitions = TrialDispatcher.distribute(jsc, trials).glom().collect();
      assertEquals(n, partitions.size(), "partitions for " + n + " trials");
      for (int i = 0; i < n; i++) {
        assertEquals(List.of(trials.get(i)), partitions.get(i), "partition " + i + " of " + n);
      }
    }
  }

  /** A stand-in task: reports the partition it ran in as the step count, fails for the trial with seed 2. */
  private static final class EchoTask implements FlatMapFunction<Iterator<TrialSpec>, TrialResult> {
    @Override
    public Iterator<TrialResult> call(Iterator<TrialSpec> it) {
      TrialSpec t = it.next();
      if (t.seed() == 2) {
        throw new IllegalStateException("native crash in trial " + t.id());
      }
      int partition = TaskContext.getPartitionId();
      return List.of(new TrialResult(t.id(), t.displayName(), null, TrialStatus.NOT_SOLVED, partition, -1, -1, 0.1,
          0.2, 1, 0, Double.NaN, -1, 0, null)).iterator();
    }
  }

  // Repeated: the failing job must not abort the jobs running beside it, whatever the timing (it did, 11 times
  // in 15, while all jobs shared one result RDD).
  @RepeatedTest(5)
  void aTrialWhoseTaskFailsCostsThatTrialOnly() throws Exception {
    List<TrialSpec> trials = Trials.seeds(5);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<TrialOutcome> outcomes;
    try (ProgressReporter progress = new ProgressReporter(trials.size(),
        new PrintStream(err, true, StandardCharsets.UTF_8), 0, System::nanoTime)) {
      outcomes = TrialDispatcher.runAll(jsc, trials, new EchoTask(), 2, progress);
    }
    assertEquals(5, outcomes.size());
    for (int i = 0; i < 5; i++) {
      TrialOutcome o = outcomes.get(i);
      assertEquals(trials.get(i).id(), o.result().trialId(), "outcomes come back in the trials' order");
      if (i == 1) {
        assertEquals(TrialStatus.FAILED, o.result().status());
        assertTrue(o.executorError().contains("IllegalStateException: native crash in trial " + trials.get(1).id()),
            o.executorError());
        assertTrue(o.result().error().startsWith("Spark: "), o.result().error());
      } else {
        assertNull(o.executorError(), "trial " + i + " of " + outcomes);
        assertEquals(i, o.result().steps(), "trial " + i + " ran in partition " + i);
      }
    }
    assertEquals(5, err.toString(StandardCharsets.UTF_8).lines().count(), "one progress line per trial");
  }

  @Test
  void firstLineOfAMultiLineMessage() {
    assertEquals("Job aborted: boom", TrialDispatcher.firstLine(new RuntimeException("Job aborted: boom\n\tat x")));
    assertEquals("java.lang.IllegalStateException", TrialDispatcher.firstLine(new IllegalStateException()));
  }
}
