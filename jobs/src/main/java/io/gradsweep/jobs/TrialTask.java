package io.gradsweep.jobs;

import io.gradsweep.sweep.TrialAttempt;
import io.gradsweep.sweep.TrialSegment;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.train.TrialResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * What one Spark task does, on the executor: one {@link TrialAttempt} per trial segment of its partition (a whole
 * trial, or a segment of a scheduled or resumed trial, continued from its checkpoint artifact), with the run
 * spool under the executor's {@code spark.local.dir} and the executor named in the child run's tags. The sweep's
 * settings come inside the task, with the target ({@link TrackingTarget#conf()}): the executor reads no system
 * property and no setting of its own SparkConf.
 *
 * <p>A tracking failure before training starts propagates, so that Spark retries the task; once training has
 * started the trial is not retried (see {@link TrialAttempt}). A retried task tells {@link TrialAttempt} its attempt
 * number, so that it reuses a run an earlier attempt FINISHED instead of logging a second one.
 */
final class TrialTask implements FlatMapFunction<Iterator<TrialSegment>, TrialResult> {
  private final TrackingTarget target;
  private final SweepRun sweep;

  TrialTask(TrackingTarget target, SweepRun sweep) {
    this.target = target;
    this.sweep = sweep;
  }

  @Override
  public Iterator<TrialResult> call(Iterator<TrialSegment> trials) {
    List<TrialResult> results = new ArrayList<>(1);
    TrialAttempt.Trainer engine = TrialAttempt.engine(taskCpus());
    while (trials.hasNext()) {
      results.add(TrialAttempt.run(target, spoolParent(), sweep, trials.next(), executorDescription(), engine,
          attemptNumber()));
    }
    return results.iterator();
  }

  /**
   * Where the executor keeps run spools (under {@code gradsweep-spool}): the first directory of
   * {@code spark.local.dir} if set (not the per-application directories under it, which Spark deletes when the
   * application ends), else java.io.tmpdir; setting {@code spark.gradsweep.spool.dir}, which the trial's target
   * carries, overrides both.
   */
  static Path spoolParent() {
    SparkEnv env = SparkEnv.get();
    String dirs = env == null ? null : env.conf().get("spark.local.dir", null);
    if (dirs == null || dirs.isBlank()) {
      return null;
    }
    return Path.of(dirs.split(",")[0].strip());
  }

  /**
   * The CPUs Spark gave this task ({@code spark.task.cpus}, also in local mode): the threads of each of its trials'
   * networks. 1 outside a task.
   */
  static int taskCpus() {
    TaskContext tc = TaskContext.get();
    return tc == null ? 1 : Math.max(1, tc.cpus());
  }

  /**
   * Which attempt of the task this is: 0 for the first, more when Spark retries it (its executor was lost, possibly
   * after the trial's run had ended) or reruns its stage; a retry first takes over the trial's earlier runs
   * ({@link TrialAttempt}). 0 outside a task.
   */
  static int attemptNumber() {
    TaskContext tc = TaskContext.get();
    return tc == null ? 0 : tc.attemptNumber() + tc.stageAttemptNumber();
  }

  /** {@code executor 1 on host, attempt 0}: which executor ran the trial, for reading spread and retries. */
  private static String executorDescription() {
    SparkEnv env = SparkEnv.get();
    TaskContext tc = TaskContext.get();
    String executor = env == null ? "?" : env.executorId();
    String host = env == null ? "?" : env.blockManager().blockManagerId().host();
    return "executor " + executor + " on " + host + ", attempt " + (tc == null ? 0 : tc.attemptNumber());
  }
}
