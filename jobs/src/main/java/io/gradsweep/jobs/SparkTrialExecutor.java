package io.gradsweep.jobs;

import io.gradsweep.sweep.TrialBatch;
import io.gradsweep.sweep.TrialExecutor;
import io.gradsweep.sweep.TrialListener;
import io.gradsweep.sweep.TrialOutcome;
import io.gradsweep.sweep.TrialSegment;
import io.gradsweep.tracking.Names;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;

/**
 * Runs trials as Spark tasks, one trial per task ({@link TrialDispatcher}, {@link TrialTask}), on a Spark context
 * the caller started and stops. Task starts and failed task attempts reach the {@link TrialListener} through a
 * Spark listener (one trial per partition: a task's partition id is its trial's index in the batch).
 */
final class SparkTrialExecutor implements TrialExecutor {
  private final JavaSparkContext jsc;

  SparkTrialExecutor(JavaSparkContext jsc) {
    this.jsc = jsc;
  }

  @Override
  public String where() {
    return jsc.master();
  }

  /**
   * Trials Spark can run at once: its default parallelism (the cores of the registered executors, or local[N]'s N)
   * divided by the CPUs of a task ({@code spark.task.cpus}: each trial's engine threads), at least 1.
   */
  @Override
  public int defaultParallelism() {
    return slots(jsc.defaultParallelism(), jsc.getConf().getInt("spark.task.cpus", 1));
  }

  static int slots(int cores, int taskCpus) {
    return Math.max(1, cores / Math.max(1, taskCpus));
  }

  @Override
  public Map<String, String> parentRunTags() {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(Names.Tag.SPARK_MASTER, jsc.master());
    tags.put(Names.Tag.SPARK_APP_ID, jsc.sc().applicationId());
    return tags;
  }

  @Override
  public List<TrialOutcome> execute(TrialBatch batch, TrialListener listener) throws InterruptedException {
    TaskEvents events = new TaskEvents(listener);
    jsc.sc().addSparkListener(events);
    try {
      return TrialDispatcher.runAll(jsc, batch.segments(), new TrialTask(batch.tracking(), batch.sweep()),
          batch.parallelism(), listener, TrialSegment::trial, "trial ");
    } finally {
      jsc.sc().removeSparkListener(events);
    }
  }

  /**
   * One segment as a one-task Spark job of its own (called from the scheduler's driver threads, several at once);
   * the segment's task reads its checkpoint from the trial's run, so any executor can run it.
   */
  @Override
  public TrialOutcome runSegment(TrialBatch batch, TrialSegment segment) {
    try {
      String label = "segment to step " + segment.untilStep() + (segment.rung() >= 0 ? " (rung " + segment.rung()
          + ")" : "") + ", ";
      return TrialDispatcher.runAll(jsc, List.of(segment), new TrialTask(batch.tracking(), batch.sweep()), 1,
          (index, result) -> { }, TrialSegment::trial, label).get(0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running a segment of trial " + segment.trial().id(), e);
    }
  }

  @Override
  public String failureMessage(long failed, int total) {
    return (jsc.sc().isStopped() ? "Spark was stopped (interrupted?) and did not finish " : "Spark could not run ")
        + failed + " of " + total + " trials";
  }

  /** Spark's task events as trial attempts. */
  static final class TaskEvents extends SparkListener {
    private final TrialListener listener;

    TaskEvents(TrialListener listener) {
      this.listener = listener;
    }

    @Override
    public void onTaskStart(SparkListenerTaskStart taskStart) {
      listener.attemptStarted(taskStart.taskInfo().partitionId());
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd taskEnd) {
      if (!taskEnd.taskInfo().successful()) {
        listener.attemptFailed(taskEnd.taskInfo().partitionId());
      }
    }
  }
}
