package io.gradsweep.jobs;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.sweep.TrialListener;
import io.gradsweep.sweep.TrialOutcome;
import io.gradsweep.sweep.TrialPool;
import io.gradsweep.train.TrialResult;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * Runs a sweep's trials as Spark tasks, one trial per partition.
 *
 * <p>The trials become one RDD with exactly one trial in each partition ({@code numSlices = trials.size()}), so
 * that no task holds two trials while a core idles. Each partition is then run as its own one-task Spark job,
 * at most {@code parallelism} at once, from a small pool of driver threads: a trial whose task fails for good
 * (after Spark's retries) costs that trial only, and the others still run and report. (Spark still retries a
 * failed task, up to {@code spark.task.maxFailures} attempts, on any executor.)
 */
final class TrialDispatcher {

  private TrialDispatcher() {}

  /** The trials as an RDD with one trial in each partition. */
  static JavaRDD<TrialSpec> distribute(JavaSparkContext jsc, List<TrialSpec> trials) {
    return jsc.parallelize(trials, trials.size());
  }

  /**
   * Runs every trial; returns one outcome per trial, in the trials' order: the trial's result, or a FAILED stand-in
   * with the executor error set when Spark could not run the trial's task.
   */
  static List<TrialOutcome> runAll(JavaSparkContext jsc, List<TrialSpec> trials,
      FlatMapFunction<Iterator<TrialSpec>, TrialResult> task, int parallelism, TrialListener listener)
      throws InterruptedException {
    JavaRDD<TrialSpec> distributed = distribute(jsc, trials);
    return TrialPool.runAll(trials.size(), parallelism, "gradsweep-dispatch", "dispatching a trial",
        index -> runOne(jsc, distributed, task, trials, index, listener));
  }

  private static TrialOutcome runOne(JavaSparkContext jsc, JavaRDD<TrialSpec> distributed,
      FlatMapFunction<Iterator<TrialSpec>, TrialResult> task, List<TrialSpec> trials, int index,
      TrialListener listener) {
    TrialSpec trial = trials.get(index);
    String label = "trial " + (index + 1) + "/" + trials.size() + ": " + trial.displayName();
    jsc.setJobDescription(label); // names the job in the Spark UI; a thread-local property of this pool thread
    long t0 = System.nanoTime();
    TrialOutcome outcome;
    try {
      // A fresh RDD for each job: when a stage fails for good, Spark aborts every active job whose stages reach
      // the failed stage's RDD, so jobs sharing one result RDD would all fail with the first failing trial.
      List<TrialResult>[] parts = distributed.mapPartitions(task).collectPartitions(new int[] {index});
      outcome = new TrialOutcome(parts[0].get(0), null);
    } catch (Exception e) { // SparkException is checked, but Scala does not declare it
      String why = firstLine(e);
      outcome = new TrialOutcome(TrialResult.failed(trial.id(), trial.displayName(), null, "Spark: " + why,
          (System.nanoTime() - t0) / 1e9), why);
    }
    listener.trialFinished(index, outcome.result());
    return outcome;
  }

  /** The first line of an exception's message (Spark appends the remote stack trace to it). */
  static String firstLine(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      return e.getClass().getName();
    }
    return m.lines().findFirst().orElse(m).strip();
  }
}
