package io.gradsweep.jobs;

import io.gradsweep.engine.RecurrentLayer;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.SpoolBacklog;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingSinks;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.tracking.TrialRun;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;

/**
 * What one Spark task does, on the executor: open a tracking sink from the serializable target, start the
 * trial's child run under the sweep's parent run, train, and return the result.
 *
 * <p>A tracking failure before training starts propagates, so that Spark retries the task. Once training has
 * started the trial is not retried: the runner reports training outcomes in its result, and an unexpected
 * exception from it becomes a FAILED result (a retry would log a second child run for the same trial).
 */
final class TrialTask implements FlatMapFunction<Iterator<TrialSpec>, TrialResult> {
  /** Child-run tag: which executor ran the trial, and which attempt of the task it was. */
  static final String EXECUTOR_TAG = Names.Tag.EXECUTOR;
  /** Child-run tag: OMP_NUM_THREADS of the JVM that trained the trial (the ND4J threads per trial). */
  static final String OMP_TAG = Names.Tag.OMP_NUM_THREADS;
  /** Child-run tag: the engine's float kernels in the JVM that trained the trial (vector or scalar). */
  static final String KERNELS_TAG = Names.Tag.FLOAT_KERNELS;

  private final TrackingTarget target;
  private final SweepRun sweep;

  TrialTask(TrackingTarget target, SweepRun sweep) {
    this.target = target;
    this.sweep = sweep;
  }

  @Override
  public Iterator<TrialResult> call(Iterator<TrialSpec> trials) {
    List<TrialResult> results = new ArrayList<>(1);
    while (trials.hasNext()) {
      results.add(run(trials.next()));
    }
    return results.iterator();
  }

  private TrialResult run(TrialSpec trial) {
    long t0 = System.nanoTime();
    try (TrackingSink sink = TrackingSinks.open(target, spoolParent());
        TrialRun run = sink.startTrial(sweep, trial)) {
      run.setTag(EXECUTOR_TAG, executorDescription());
      run.setTag(OMP_TAG, String.valueOf(System.getenv("OMP_NUM_THREADS")));
      run.setTag(KERNELS_TAG, RecurrentLayer.floatKernels());
      TrialResult result;
      try {
        result = new TrialRunner().run(trial, run);
      } catch (RuntimeException e) {
        run.finish(false);
        result = TrialResult.failed(trial.id(), trial.displayName(), run.runId(), "trial runner threw " + e,
            (System.nanoTime() - t0) / 1e9);
      }
      // the tracking server stayed away: the result still goes back, with where its records wait for a replay
      SpoolBacklog left = run.undelivered();
      return left == null ? result : result.withTrackingBacklog(undelivered(left));
    }
  }

  /** The tracking layer's backlog as the plain value a {@link TrialResult} carries. */
  static TrialResult.Undelivered undelivered(SpoolBacklog b) {
    return new TrialResult.Undelivered(b.runId(), b.trackingUri(), b.host(), b.root(), b.records());
  }

  /** A trial result's backlog as the tracking layer's value. */
  static SpoolBacklog backlog(TrialResult.Undelivered u) {
    return new SpoolBacklog(u.runId(), u.trackingUri(), u.host(), u.root(), u.records());
  }

  /**
   * Where the executor keeps run spools (under {@code gradsweep-spool}): the first directory of
   * {@code spark.local.dir} if set (not the per-application directories under it, which Spark deletes when the
   * application ends), else java.io.tmpdir; {@code -Dgradsweep.spool.dir} overrides both.
   */
  static Path spoolParent() {
    SparkEnv env = SparkEnv.get();
    String dirs = env == null ? null : env.conf().get("spark.local.dir", null);
    if (dirs == null || dirs.isBlank()) {
      return null;
    }
    return Path.of(dirs.split(",")[0].strip());
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
