package io.gradsweep.jobs;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.sweep.TrialAttempt;
import io.gradsweep.sweep.TrialBatch;
import io.gradsweep.sweep.TrialExecutor;
import io.gradsweep.sweep.TrialListener;
import io.gradsweep.sweep.TrialOutcome;
import io.gradsweep.sweep.TrialSegment;
import io.gradsweep.tracking.Names;
import io.gradsweep.train.TrialResult;
import java.util.ArrayList;
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

  /**
   * The trials trained as one task each go first, as Spark tasks; then each data-parallel trial
   * ({@code training.data_parallel}) in turn, from the driver, as Spark jobs of its workers' tasks
   * ({@link DataParallelRunner}); its child run is logged by the driver.
   */
  @Override
  public List<TrialOutcome> execute(TrialBatch batch, TrialListener listener) throws InterruptedException {
    List<TrialSpec> trials = batch.trials();
    List<Integer> single = new ArrayList<>();
    List<Integer> parallel = new ArrayList<>();
    for (int i = 0; i < trials.size(); i++) {
      (trials.get(i).dataParallel() == null ? single : parallel).add(i);
    }
    TrialOutcome[] outcomes = new TrialOutcome[trials.size()];
    if (!single.isEmpty()) {
      // a trial's segment: from step 0, or from its checkpoint when --resume continues it
      List<TrialSegment> own = single.stream().map(batch.segments()::get).toList();
      TrialListener mapped = new Renumbered(listener, single);
      TaskEvents events = new TaskEvents(mapped);
      jsc.sc().addSparkListener(events);
      try {
        List<TrialOutcome> got = TrialDispatcher.runAll(jsc, own, new TrialTask(batch.tracking(), batch.sweep()),
            batch.parallelism(), mapped, TrialSegment::trial, "trial ");
        for (int j = 0; j < got.size(); j++) {
          outcomes[single.get(j)] = got.get(j);
        }
      } finally {
        jsc.sc().removeSparkListener(events);
      }
    }
    for (int index : parallel) {
      outcomes[index] = runDataParallel(batch, trials.get(index), index, listener);
    }
    return List.of(outcomes);
  }

  /** One data-parallel trial: its child run opened, trained and closed on the driver. */
  private TrialOutcome runDataParallel(TrialBatch batch, TrialSpec trial, int index, TrialListener listener) {
    listener.attemptStarted(index);
    String executor = "driver (" + jsc.master() + ", data-parallel: " + trial.dataParallel().workers() + " workers)";
    TrialOutcome outcome;
    long t0 = System.nanoTime();
    try {
      DataParallelRunner runner = DataParallelRunner.load();
      jsc.setJobDescription("data-parallel trial " + (index + 1) + "/" + batch.trials().size() + ": "
          + trial.displayName());
      outcome = new TrialOutcome(TrialAttempt.run(batch.tracking(), null, batch.sweep(), trial, executor,
          (t, run) -> runner.run(jsc, t, run)), null);
    } catch (RuntimeException e) {
      String why = TrialDispatcher.firstLine(e);
      outcome = new TrialOutcome(TrialResult.failed(trial.id(), trial.displayName(), null, "data-parallel: " + why,
          (System.nanoTime() - t0) / 1e9), why);
    }
    listener.trialFinished(index, outcome.result());
    return outcome;
  }

  /** A listener of a sub-list of the batch: its indexes mapped back to the batch's. */
  static final class Renumbered implements TrialListener {
    private final TrialListener inner;
    private final List<Integer> batchIndex;

    Renumbered(TrialListener inner, List<Integer> batchIndex) {
      this.inner = inner;
      this.batchIndex = List.copyOf(batchIndex);
    }

    @Override
    public void attemptStarted(int index) {
      inner.attemptStarted(batchIndex.get(index));
    }

    @Override
    public void attemptFailed(int index) {
      inner.attemptFailed(batchIndex.get(index));
    }

    @Override
    public void trialFinished(int index, TrialResult result) {
      inner.trialFinished(batchIndex.get(index), result);
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
