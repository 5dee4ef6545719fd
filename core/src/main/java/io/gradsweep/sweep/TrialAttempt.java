package io.gradsweep.sweep;

import io.gradsweep.conf.ConfKeys;
import io.gradsweep.engine.RecurrentLayer;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.DuplicateRuns;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.SpoolBacklog;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingSinks;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.tracking.TrialRun;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.Segment;
import io.gradsweep.train.TrialCheckpoint;
import io.gradsweep.train.TrialRunner;
import io.gradsweep.train.TrialStatus;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * One attempt at one trial, wherever it runs (a Spark task, a thread of the driver): open a tracking sink from the
 * serializable target, start the trial's child run under the sweep's parent run, tag it, train, and return the
 * result.
 *
 * <p>A tracking failure before training starts propagates, so that the executor may retry the attempt. Once
 * training has started the trial is not retried: the trainer reports training outcomes in its result, and an
 * unexpected exception from it becomes a FAILED result.
 *
 * <p>A retried attempt (attempt number above 0: Spark retried the task after its executor was lost, possibly after
 * the first attempt had ended its run) first looks at the trial's runs under the parent run: when one is FINISHED
 * it trains nothing and returns that run's result; runs still RUNNING (attempts that were cut off) are ended FAILED
 * with tag {@link Names.Tag#SUPERSEDED}; then it starts its own run. A run that ends FINISHED after another run of
 * its trial did is ended KILLED as a duplicate by the tracking backend ({@link DuplicateRuns}).
 */
public final class TrialAttempt {
  /** Child-run tag: which executor ran the trial, and which attempt it was. */
  public static final String EXECUTOR_TAG = Names.Tag.EXECUTOR;
  /** Child-run tag: OMP_NUM_THREADS of the JVM that trained the trial (the ND4J threads per trial). */
  public static final String OMP_TAG = Names.Tag.OMP_NUM_THREADS;
  /** Child-run tag: the engine's float kernels in the JVM that trained the trial (vector or scalar). */
  public static final String KERNELS_TAG = Names.Tag.FLOAT_KERNELS;

  /** What trains a trial into its run; {@link TrialRunner} in production, a stand-in in tests. */
  @FunctionalInterface
  public interface Trainer extends Serializable {
    TrialResult train(TrialSpec trial, TrialRun run);

    /**
     * Trains one segment of the trial ({@link TrialRunner#run(TrialSpec, TrialRun, Segment)}); a trainer that
     * only trains whole trials refuses anything else.
     */
    default TrialResult train(TrialSpec trial, TrialRun run, Segment segment) {
      if (segment.resumeFrom() != null || segment.untilStep() != trial.maxSteps() || segment.endAs() != null
          || segment.checkpointEvery() > 0) {
        throw new UnsupportedOperationException("this trainer trains whole trials only, not segments");
      }
      return train(trial, run);
    }
  }

  /** gradsweep's engine ({@link TrialRunner}) with a number of threads per trial: whole trials and segments. */
  private record Engine(int threads) implements Trainer {
    @Override
    public TrialResult train(TrialSpec trial, TrialRun run) {
      return new TrialRunner(DataType.FLOAT, threads).run(trial, run);
    }

    @Override
    public TrialResult train(TrialSpec trial, TrialRun run, Segment segment) {
      return new TrialRunner(DataType.FLOAT, threads).run(trial, run, segment);
    }
  }

  /** The production trainer: gradsweep's engine ({@link TrialRunner}), one thread per trial. */
  public static final Trainer ENGINE = engine(1);

  /**
   * gradsweep's engine with {@code threads} threads per trial (the CPUs its task has; see {@link TrialRunner}).
   */
  public static Trainer engine(int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("engine threads must be >= 1, got " + threads);
    }
    return new Engine(threads);
  }

  private TrialAttempt() {}

  /**
   * Runs {@code trial} once and returns its result, with the settings {@code target} carries (the float kernels,
   * the spool).
   *
   * @param spoolParent where the trial's run spools its records (null: the default)
   * @param executor the value of tag {@value #EXECUTOR_TAG}
   */
  public static TrialResult run(TrackingTarget target, Path spoolParent, SweepRun sweep, TrialSpec trial,
      String executor, Trainer trainer) {
    return run(target, spoolParent, sweep, TrialSegment.whole(trial, 0), executor, trainer);
  }

  /**
   * Runs one segment of a trial (see {@link TrialSegment}) and returns its result: {@link TrialStatus#PAUSED} when
   * the trial waits at the segment's end (its checkpoint uploaded, its run suspended, still RUNNING). A checkpoint
   * that cannot be read or does not fit the trial ends the run FAILED with the reason, and is a FAILED result.
   */
  public static TrialResult run(TrackingTarget target, Path spoolParent, SweepRun sweep, TrialSegment segment,
      String executor, Trainer trainer) {
    return run(target, spoolParent, sweep, segment, executor, trainer, 0);
  }

  /**
   * As {@link #run(TrackingTarget, Path, SweepRun, TrialSegment, String, Trainer)} for the attempt numbered
   * {@code attempt} (0 for the first; e.g. Spark's task attempt number): a retry of a segment that starts a run
   * first takes over what earlier attempts left (see the class comment).
   */
  public static TrialResult run(TrackingTarget target, Path spoolParent, SweepRun sweep, TrialSegment segment,
      String executor, Trainer trainer, int attempt) {
    long t0 = System.nanoTime();
    TrialSpec trial = segment.trial();
    RecurrentLayer.useFloatKernels(target.conf().get(ConfKeys.KERNELS));
    try (TrackingSink sink = TrackingSinks.open(target, spoolParent)) {
      if (attempt > 0 && segment.runId() == null) {
        TrialResult done = takeOver(sink, sweep, trial);
        if (done != null) {
          double now = seconds(t0);
          return done.withTimings(TrialResult.Timings.unmeasured().inAttempt(now, now, now));
        }
      }
      return run(sink, sweep, segment, executor, trainer, t0);
    }
  }

  /**
   * For a retried attempt: the result of the trial's FINISHED run under {@code sweep} (the first started, if there are
   * several), or null after ending the trial's runs still RUNNING FAILED and superseded (their attempts were cut off).
   */
  static TrialResult takeOver(TrackingSink sink, SweepRun sweep, TrialSpec trial) {
    List<RunSnapshot> runs = sink.trialRuns(sweep, trial.id());
    Optional<RunSnapshot> done = DuplicateRuns.winner(runs);
    if (done.isPresent()) {
      RunSnapshot r = done.get();
      return TrialResult.fromRun(trial.id(), r.runId(), r.tags(), r.metrics(), trial.displayName());
    }
    for (RunSnapshot r : runs) {
      if (RunSnapshot.RUNNING.equals(r.status())) {
        sink.endTrialRun(sweep, r.runId(), RunSnapshot.FAILED, Map.of(Names.Tag.SUPERSEDED, "true"));
      }
    }
    return null;
  }

  private static TrialResult run(TrackingSink sink, SweepRun sweep, TrialSegment segment, String executor,
      Trainer trainer, long t0) {
    TrialSpec trial = segment.trial();
    TrialResult result;
    long trained;
    double runStart;
    try (TrialRun run = segment.runId() == null ? sink.startTrial(sweep, trial)
            : sink.resumeTrial(sweep, trial, segment.runId())) {
      run.setTag(EXECUTOR_TAG, executor);
      run.setTag(OMP_TAG, String.valueOf(System.getenv("OMP_NUM_THREADS")));
      run.setTag(KERNELS_TAG, RecurrentLayer.floatKernels());
      run.setTag(Names.Tag.FLOAT_PRODUCTS, RecurrentLayer.floatProducts());
      runStart = seconds(t0);
      try {
        if (segment.runId() != null) {
          run.setTag(Names.Tag.SUPERSEDED, "false"); // continued: a run that was cut off is the trial's run again
        }
        Segment s = new Segment(checkpoint(sink, segment), segment.untilStep(), segment.checkpointEvery(),
            segment.endAs(), segment.rung());
        result = trainer.train(trial, run, s);
      } catch (RuntimeException e) {
        try {
          run.setTag(Names.Tag.STATUS, TrialStatus.FAILED.name());
          run.setTag(Names.Tag.ERROR, String.valueOf(e.getMessage()));
        } catch (RuntimeException e2) {
          e.addSuppressed(e2); // the run may have ended already
        }
        run.finish(false);
        result = TrialResult.failed(trial.id(), trial.displayName(), run.runId(), "trial runner threw " + e,
            seconds(t0));
      }
      if (result.status() == TrialStatus.PAUSED) {
        run.suspend(); // throws when the checkpoint could not be stored: the trial cannot go on
      }
      result = withUndelivered(result, run);
      trained = System.nanoTime();
    }
    // a trainer that measured nothing (a failed one, a stand-in): only the attempt's own phases are known
    TrialResult.Timings inner = result.timings() != null ? result.timings() : TrialResult.Timings.unmeasured();
    return result.withTimings(inner.inAttempt(runStart, seconds(trained), seconds(t0)));
  }

  /** The checkpoint a segment continues from, read from its run; null for a segment from step 0. */
  private static TrialCheckpoint checkpoint(TrackingSink sink, TrialSegment segment) {
    if (segment.fromStep() == 0) {
      return null;
    }
    String what = "the checkpoint of run " + segment.runId() + " (artifact " + Names.Artifact.CHECKPOINT + ")";
    byte[] bytes = sink.readTrialArtifact(segment.runId(), Names.Artifact.CHECKPOINT).orElseThrow(() ->
        new IllegalStateException(what + " is missing: tracking backend '" + sink.name() + "' "
            + (sink.keepsCheckpoints() ? "does not have it" : "cannot read artifacts back")));
    TrialCheckpoint c = TrialCheckpoint.decode(bytes, what);
    if (c.step() < segment.fromStep()) {
      throw new IllegalStateException(what + " is at step " + c.step() + ", expected step " + segment.fromStep()
          + " or later");
    }
    return c;
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  /**
   * The tracking server stayed away: the result still goes back, with where its records wait for a replay. (The
   * one place an attempt puts tracking state into a {@link TrialResult}.)
   */
  private static TrialResult withUndelivered(TrialResult result, TrialRun run) {
    SpoolBacklog left = run.undelivered();
    return left == null ? result : result.withTrackingBacklog(undelivered(left));
  }

  /** The tracking layer's backlog as the plain value a {@link TrialResult} carries. */
  static TrialResult.Undelivered undelivered(SpoolBacklog b) {
    return new TrialResult.Undelivered(b.runId(), b.trackingUri(), b.host(), b.root(), b.records());
  }

  /** A trial result's backlog as the tracking layer's value. */
  static SpoolBacklog backlog(TrialResult.Undelivered u) {
    return new SpoolBacklog(u.runId(), u.trackingUri(), u.host(), u.root(), u.records());
  }
}
