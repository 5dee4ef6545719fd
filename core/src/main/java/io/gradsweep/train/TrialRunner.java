package io.gradsweep.train;

import io.gradsweep.engine.Activation;
import io.gradsweep.engine.Head;
import io.gradsweep.engine.InitScheme;
import io.gradsweep.engine.NetSpec;
import io.gradsweep.engine.ParamBlock;
import io.gradsweep.engine.RecurrentLayer;
import io.gradsweep.engine.RecurrentNet;
import io.gradsweep.optim.Optimizers;
import io.gradsweep.probe.GradientProfiler;
import io.gradsweep.probe.ProfileRecorder;
import io.gradsweep.probe.ProfileStats;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.task.Batch;
import io.gradsweep.task.SequenceTask;
import io.gradsweep.task.SequenceTasks;
import io.gradsweep.task.SolveRule;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.Names.Metric;
import io.gradsweep.tracking.Names.Prefix;
import io.gradsweep.tracking.Names.Tag;
import io.gradsweep.tracking.TrialRun;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import io.gradsweep.optim.Optimizer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains one trial within its budget, records gradient statistics and logs to a {@link TrialRun}. No Spark.
 *
 * <p>Each step: draw a minibatch (from the trial seed), forward and backward pass, measure the gradient's L2 norms
 * (per parameter block, per layer, global), stop as DIVERGED if the loss or the gradient is NaN/Inf, clip, let the
 * optimizer turn the gradient into an update, apply it. Every {@code eval_every} steps the held-out set is
 * evaluated with the task's metrics ({@link SequenceTask#evaluate}: {@code eval/loss}, and e.g. {@code eval/accuracy});
 * the trial is SOLVED as soon as the task's solve metric crosses the solve threshold ({@link SolveRule}: eval loss
 * below it for the adding problem, accuracy at or above it for the classification tasks; tag
 * {@code gradsweep.solve_metric} names the metric). With opt-in early-stopping rules ({@code training.stop},
 * {@link EarlyStopping}) the trial also ends as VANISHED (checked after each profile step) or PLATEAU (after each
 * evaluation); it is evaluated at the step it stops at, so its final metrics are current, and tag
 * {@code gradsweep.stop_reason} says why it stopped.
 *
 * <p>Step metrics (MLflow keys), aggregated over logging windows of {@link TrialSpec#logWindow()} steps and logged
 * at each window's last step (and at the last step before the trial stops): {@code train/loss} (window mean);
 * {@code grad/global_norm}, {@code grad/global_norm_clipped}, {@code grad/<layer>_norm},
 * {@code grad/<layer>_norm_clipped}, {@code grad/<layer>/<W|R|b>_norm} (before clipping), each as the window mean
 * and, with suffix {@code _max}, the window maximum; {@code grad/clipped} (the share of the window's steps whose
 * gradient clipping changed). The step of divergence is exact: {@code train/loss_finite} = 0 is logged at it.
 * {@code eval/loss} at every evaluation.
 * Final metrics under {@code final/}. The trial status is tag {@code gradsweep.status}. Every key and tag is
 * spelled in {@link Names}.
 *
 * <p>Profile steps (step 1, i.e. the gradient at initialisation, and every {@code profile_every} steps, by default
 * {@code eval_every}): the
 * per-time-step gradient profile of each series ({@code layer0/dh}, {@code layer0/dc} for LSTM, ...,
 * {@code input/dx}) as {@value #PROFILE_BUCKETS} bucket metrics {@code profile/<series>_b00..} (geometric mean
 * over consecutive time steps) plus {@code profile/<series>_decay_rate}, {@code _horizon} and
 * {@code _first_over_last} (see {@link ProfileStats}); the spectral radius and largest singular value of each
 * recurrent gate block ({@code weights/<layer>/R[_gate]_rho|_sigma}); activation health
 * ({@code health/<layer>/...}). The kept profiles go to artifact {@code gradient_profile.csv}. For a task with
 * targets at every step (copy) the profile differentiates the loss of the last step alone (one more backward pass,
 * on profile steps only), and the profile of the training loss itself is the series {@code <layer>/dh_total}.
 */
public final class TrialRunner {
  private static final Logger LOG = LoggerFactory.getLogger(TrialRunner.class);
  /** Buckets over t of the profile step metrics. */
  public static final int PROFILE_BUCKETS = 16;
  /** Profiles kept for the artifacts of one trial. */
  private static final int PROFILES_KEPT = 200;

  /** Data type used for training. */
  private final DataType dtype;
  /** Threads of each trial's network (a resource, not a parameter of the experiment; 1 by default). */
  private final int threads;

  public TrialRunner() {
    this(DataType.FLOAT);
  }

  public TrialRunner(DataType dtype) {
    this(dtype, 1);
  }

  /**
   * A runner whose trials' networks use {@code threads} threads (the CPUs the trial has, e.g. its Spark task's);
   * results are reproducible for a given count and differ in the last bits between counts.
   */
  public TrialRunner(DataType dtype, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("trial runner: threads must be >= 1, got " + threads);
    }
    this.dtype = dtype;
    this.threads = threads;
  }

  /** The network a trial trains, built from its spec and seed. */
  public static RecurrentNet buildNet(TrialSpec spec, SequenceTask task, DataType dtype) {
    return buildNet(spec, task, dtype, 1);
  }

  /** As {@link #buildNet(TrialSpec, SequenceTask, DataType)}, with {@code threads} threads for its passes. */
  public static RecurrentNet buildNet(TrialSpec spec, SequenceTask task, DataType dtype, int threads) {
    Activation act = spec.activation() == null ? Activation.TANH : Activation.fromWord(spec.activation());
    NetSpec ns = new NetSpec(spec.cell(), act, task.inputSize(), spec.hidden(), spec.layers(), task.outputSize(),
        InitScheme.fromWord(spec.init()), 1.0, head(task));
    return new RecurrentNet(ns, spec.seed(), dtype, threads);
  }

  /** The engine's head for a task: its loss, at the last step or at every step. */
  public static Head head(SequenceTask task) {
    return new Head(task.loss() == SequenceTask.Loss.MSE ? Head.Loss.MSE : Head.Loss.SOFTMAX_CROSS_ENTROPY,
        task.targetsEveryStep() ? Head.Readout.EVERY_STEP : Head.Readout.LAST_STEP);
  }

  /** The trial's task, with its options. */
  public static SequenceTask task(TrialSpec spec) {
    return SequenceTasks.configured(spec.task(), spec.taskOptions());
  }

  /** The held-out evaluation set: fixed by the task, the eval seed and the sequence length, shared by trials. */
  public static Batch evalSet(TrialSpec spec, SequenceTask task, DataType dtype) {
    long s = spec.evalSeed() * 1_000_003L + spec.seqLen();
    return task.sample(spec.seqLen(), spec.evalSize(), new SplittableRandom(s), dtype);
  }

  /**
   * Runs the trial to completion. Never throws for training outcomes: divergence and errors come back as
   * {@link TrialStatus#DIVERGED} and {@link TrialStatus#FAILED}. The run is finished on return: FINISHED for
   * SOLVED, NOT_SOLVED, DIVERGED, VANISHED and PLATEAU (results), FAILED for FAILED.
   */
  public TrialResult run(TrialSpec spec, TrialRun run) {
    return run(spec, run, Segment.whole(spec));
  }

  /**
   * Trains one segment of the trial (see {@link Segment}). As {@link #run(TrialSpec, TrialRun)}, except that a
   * segment that reaches its budget before the trial ends returns status {@link TrialStatus#PAUSED}, with its
   * checkpoint logged to the run (artifact {@link Names.Artifact#CHECKPOINT}, tag {@link Tag#CHECKPOINT_STEP}), and
   * leaves the run open (the caller suspends it). A checkpoint that does not fit the trial is a FAILED result.
   */
  public TrialResult run(TrialSpec spec, TrialRun run, Segment segment) {
    long t0 = System.nanoTime();
    String runId = run == null ? null : run.runId();
    try {
      TrialResult r = train(spec, run, segment, t0);
      long e0 = System.nanoTime();
      if (r.status() == TrialStatus.PAUSED) {
        return r.withTimings(r.timings().withRunEnd(seconds(e0), seconds(t0)));
      }
      run.setTag(Tag.STATUS, r.status().name());
      run.finish(true);
      return r.withTimings(r.timings().withRunEnd(seconds(e0), seconds(t0)));
    } catch (RuntimeException | OutOfMemoryError e) {
      return failed(spec, run, runId, "trial", e, t0);
    }
  }

  /**
   * A trial that could not run ({@code what} names it in the log, e.g. "trial"): its run tagged FAILED with the error
   * and ended (a failure to record that is logged, not thrown), and the FAILED result.
   */
  public static TrialResult failed(TrialSpec spec, TrialRun run, String runId, String what, Throwable e, long t0) {
    String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
    LOG.warn("{} {} ({}) failed: {}", what, spec.id(), spec.displayName(), msg, e);
    try {
      run.setTag(Tag.STATUS, TrialStatus.FAILED.name());
      run.setTag(Tag.ERROR, msg.length() > 4000 ? msg.substring(0, 4000) : msg);
      run.finish(false);
    } catch (RuntimeException e2) {
      LOG.warn("could not record the failure of trial {}: {}", spec.id(), e2.toString());
    }
    return TrialResult.failed(spec.id(), spec.displayName(), runId, msg, seconds(t0));
  }

  /** Trains; the result's timings are the trainer's phases up to the artifacts (the run's end is the caller's). */
  private TrialResult train(TrialSpec spec, TrialRun run, Segment segment, long t0) {
    segment.checkFits(spec);
    if (segment.resumeFrom() != null) {
      segment.resumeFrom().checkFor(spec, dtype.name());
    }
    Trial trial = setUp(spec, run, segment.resumeFrom() == null);
    long l0 = System.nanoTime();
    long c0 = threadCpuNanos();
    TrialState state = new TrialState(new EarlyStopping(spec.stop(), trial.steps(), trial.baseline()));
    if (segment.resumeFrom() != null) {
      restore(trial, state, segment.resumeFrom());
    }
    while (state.step < segment.untilStep() && !state.stopped()) {
      state.step++;
      boolean finite = trainStep(trial, state);
      boolean evaluated = finite && isEvalStep(spec, state.step);
      if (evaluated) {
        evaluate(trial, state);
      }
      if (finite && !state.stopped() && isProfileStep(spec, state.step)) {
        state.stoppedEarly = state.rules.onProfile(state.lastHorizon);
        if (state.stoppedEarly != null && !evaluated) {
          evaluate(trial, state); // the final metrics are those of the step the trial stopped at
        }
      }
      if (segment.checkpointEvery() > 0 && state.step % segment.checkpointEvery() == 0 && !state.stopped()
          && state.step < segment.untilStep()) {
        saveCheckpoint(trial, state);
      }
    }
    if (state.stoppedEarly != null && !state.diverged() && state.stepsToSolve < 0) {
      run.setTag(Tag.STOP_REASON, state.rules.reason());
    }
    if (segment.rung() >= 0 && segment.endAs() == null && state.step == segment.untilStep()) {
      // the rung is complete (a trial that solved or diverged before its end did not reach it)
      run.setTag(Tag.ASHA_RUNG, Integer.toString(segment.rung()));
      run.logMetric(Metric.ASHA_RUNG, segment.rung(), state.step);
    }
    if (segment.endAs() == null && !state.stopped() && state.step < spec.maxSteps()) {
      // the segment's budget ended before the trial's: it waits at its checkpoint, its window unflushed
      saveCheckpoint(trial, state);
      long a0 = System.nanoTime();
      TrialResult.Timings timings = TrialResult.Timings.ofTrainer((l0 - t0) / 1e9, (a0 - l0) / 1e9, Double.NaN,
          state.statsNanos / 1e9, state.logNanos / 1e9, state.profileNanos / 1e9, seconds(a0), 0, seconds(t0));
      trial.net().close();
      return result(trial, state, (a0 - t0) / 1e9, TrialStatus.PAUSED).withTimings(timings);
    }
    flushWindow(trial, state);
    long a0 = System.nanoTime();
    long c1 = threadCpuNanos();
    double wall = (a0 - t0) / 1e9;
    run.logMetrics(finalMetrics(trial, state, wall), state.step);
    if (run.keepsArtifacts()) { // drawing the pictures costs more than a tiny trial's training
      run.logArtifact(Names.Artifact.GRADIENT_PROFILE_CSV, trial.profiles().toCsv());
      logProfileCharts(spec, trial.net(), trial.profiles(), run);
    }
    TrialResult.Timings timings = TrialResult.Timings.ofTrainer((l0 - t0) / 1e9, (a0 - l0) / 1e9,
        c0 < 0 || c1 < 0 ? Double.NaN : (c1 - c0) / 1e9, state.statsNanos / 1e9, state.logNanos / 1e9,
        state.profileNanos / 1e9, seconds(a0), 0, seconds(t0));
    trial.net().close(); // its threads, if any (after a failure their idle timeout ends them)
    TrialStatus status = segment.endAs() != null && !state.stopped() ? segment.endAs() : state.status();
    return result(trial, state, wall, status).withTimings(timings);
  }

  /** The trial's state as a checkpoint: logged to its run, with the tag saying its step (after it, in order). */
  private void saveCheckpoint(Trial trial, TrialState state) {
    long l0 = System.nanoTime();
    TrialRun run = trial.run();
    run.logArtifact(Names.Artifact.CHECKPOINT, checkpoint(trial, state).encode());
    run.setTag(Tag.CHECKPOINT_STEP, Integer.toString(state.step));
    state.logNanos += System.nanoTime() - l0;
  }

  private TrialCheckpoint checkpoint(Trial trial, TrialState state) {
    return new TrialCheckpoint(trial.spec().id(), TrialCheckpoint.digest(trial.spec()), dtype.name(), state.step,
        state.stepsToSolve, state.divergedAt, state.clippedSteps, state.maxGrad, state.evalLoss, state.solveValue,
        state.evalMetrics, state.lastDecay, state.lastHorizon, state.step, trial.net().params().dup(),
        trial.updaterState() == null ? null : trial.updaterState().dup(), trial.window().snapshot(),
        trial.profiles().state());
  }

  /** Puts a checkpoint's state into a freshly set-up trial: parameters, optimizer, data stream, counters, window. */
  private void restore(Trial trial, TrialState state, TrialCheckpoint c) {
    INDArray params = trial.net().params();
    if (params.length() != c.params().length()) {
      throw new IllegalArgumentException("checkpoint mismatch: the checkpoint of trial " + c.trialId() + " has "
          + c.params().length() + " parameters, the network " + params.length());
    }
    params.assign(c.params().reshape(params.shape()));
    INDArray u = trial.updaterState();
    if ((u == null) != (c.updaterState() == null) || (u != null && u.length() != c.updaterState().length())) {
      throw new IllegalArgumentException("checkpoint mismatch: the optimizer state of the checkpoint of trial "
          + c.trialId() + " does not fit optimizer " + trial.spec().optimizer());
    }
    if (u != null) {
      u.assign(c.updaterState().reshape(u.shape()));
    }
    TrialSpec spec = trial.spec();
    for (long i = 0; i < c.dataDraws(); i++) { // the stream's state is not exposed: draw it forward again
      trial.task().sample(spec.seqLen(), spec.batchSize(), trial.data(), dtype);
    }
    state.step = c.step();
    state.stepsToSolve = c.stepsToSolve();
    state.divergedAt = c.divergedAt();
    state.clippedSteps = c.clippedSteps();
    state.maxGrad = c.maxGrad();
    state.evalLoss = c.evalLoss();
    state.solveValue = c.solveValue();
    state.evalMetrics = c.evalMetrics();
    state.lastDecay = c.lastDecay();
    state.lastHorizon = c.lastHorizon();
    trial.window().restore(c.window());
    trial.profiles().restore(c.profiles());
  }

  /** What a trial trains and measures with, fixed for its whole run. */
  private record Trial(TrialSpec spec, TrialRun run, SequenceTask task, RecurrentNet net, List<ParamBlock> blocks,
      GradientUpdater<?> updater, INDArray updaterState, Batch eval, double baseline, double baselineSolve, SplittableRandom data,
      ProfileRecorder profiles, StepWindow window) {

    /** Time steps of a sequence ({@code seq_len} for most tasks, T + 20 for copy). */
    int steps() {
      return task.steps(spec.seqLen());
    }
  }

  /** What the training loop of one trial has counted so far. */
  private static final class TrialState {
    /** The trial's early-stopping rules ({@code training.stop}). */
    final EarlyStopping rules;
    /** VANISHED or PLATEAU once a rule has fired, else null. */
    TrialStatus stoppedEarly;
    int step;
    int stepsToSolve = -1;
    int divergedAt = -1;
    int clippedSteps;
    double maxGrad;
    double evalLoss = Double.NaN;
    double solveValue = Double.NaN;
    Map<String, Double> evalMetrics = Map.of();
    long statsNanos;
    long logNanos;
    long profileNanos;
    double lastDecay = Double.NaN;
    int lastHorizon = -1;

    TrialState(EarlyStopping rules) {
      this.rules = rules;
    }

    boolean diverged() {
      return divergedAt > 0;
    }

    /** Diverged, solved or stopped by a rule: the loop ends. */
    boolean stopped() {
      return diverged() || stepsToSolve > 0 || stoppedEarly != null;
    }

    /** Divergence and solving take precedence over a stop rule that fired at the same step. */
    TrialStatus status() {
      return diverged() ? TrialStatus.DIVERGED : stepsToSolve > 0 ? TrialStatus.SOLVED
          : stoppedEarly != null ? stoppedEarly : TrialStatus.NOT_SOLVED;
    }

    /** The step a stop rule ended the trial at, -1 when none did (or it diverged or solved at that step). */
    int stoppedAtStep() {
      return status().earlyStopped() ? step : -1;
    }

    /** The share of steps whose gradient the clipper changed. */
    double clipRate() {
      return (double) clippedSteps / step;
    }

    /** The last eval loss, NaN once diverged. */
    double finalEvalLoss() {
      return diverged() ? Double.NaN : evalLoss;
    }

    /** The last value of the solve metric, NaN once diverged. */
    double finalSolveValue() {
      return diverged() ? Double.NaN : solveValue;
    }
  }

  /** Builds the trial's task, net, optimizer and eval set; logs the baseline loss. */
  private Trial setUp(TrialSpec spec, TrialRun run, boolean fresh) {
    SequenceTask task = task(spec);
    RecurrentNet net = buildNet(spec, task, dtype, threads);
    run.setTag(Tag.ENGINE_THREADS, String.valueOf(threads));
    List<ParamBlock> blocks = net.blocks();
    IUpdater config = Optimizers.byName(spec.optimizer()).config(spec.lr());
    INDArray updaterState = Optimizer.newState(config, net.params());
    GradientUpdater<?> updater = config.instantiate(updaterState, true);
    Batch eval = evalSet(spec, task, dtype);
    double baseline = task.baselineLoss(eval);
    double baselineSolve = task.baselineSolveValue(eval);
    run.setTag(Tag.SOLVE_METRIC, Names.evalMetric(task.solveRule().metric()));
    if (fresh) { // a resumed trial's run has them already
      run.logMetric(Metric.EVAL_BASELINE_LOSS, baseline, 0);
      run.logMetric(Metric.EVAL_BASELINE_SOLVE_METRIC, baselineSolve, 0);
    }
    SplittableRandom data = dataStream(spec);
    return new Trial(spec, run, task, net, blocks, updater, updaterState, eval, baseline, baselineSolve, data,
        new ProfileRecorder(PROFILES_KEPT), new StepWindow(spec.logWindow()));
  }

  /** The trial's stream of training minibatches: one per trial, from its seed. */
  public static SplittableRandom dataStream(TrialSpec spec) {
    return new SplittableRandom(spec.seed() * 0x9E3779B97F4A7C15L + 0x5EEDL);
  }

  /** Profile steps: step 1 (the gradient at initialisation) and every {@code profile_every} steps. */
  public static boolean isProfileStep(TrialSpec spec, int step) {
    return step == 1 || step % spec.profileEvery() == 0;
  }

  /** Eval steps: every {@code eval_every} steps and the last step of the budget. */
  public static boolean isEvalStep(TrialSpec spec, int step) {
    return step % spec.evalEvery() == 0 || step == spec.maxSteps();
  }

  /**
   * One training step {@code state.step}: minibatch, forward and backward pass, gradient norms, the profile on
   * profile steps, clipping, the optimizer's update and the step metrics. Returns false, with the step recorded as
   * the divergence step, when the loss or the gradient is not finite (then nothing is updated).
   */
  private boolean trainStep(Trial trial, TrialState state) {
    TrialSpec spec = trial.spec();
    RecurrentNet net = trial.net();
    int step = state.step;
    int T = trial.steps();
    int B = spec.batchSize();
    Batch batch = trial.task().sample(spec.seqLen(), B, trial.data(), dtype);
    boolean profileStep = isProfileStep(spec, step);
    Map<String, double[]> lastStepProfile = null;
    if (profileStep && trial.task().targetsEveryStep()) {
      // the profile differentiates the loss of the last step alone, as for a task read at the last step
      long p0 = System.nanoTime();
      net.computeGradient(batch.x(), batch.y(), lastStepMask(T, B), T, B, spec.tbptt(), true);
      lastStepProfile = GradientProfiler.capture(net, T);
      state.profileNanos += System.nanoTime() - p0;
    }
    // dL/dx (one more product over all steps) only where the profile reads it
    double loss = net.computeGradient(batch.x(), batch.y(), T, B, spec.tbptt(),
        profileStep && lastStepProfile == null);

    long s0 = System.nanoTime();
    GradientNorms before = GradientNorms.measure(trial.blocks());
    state.statsNanos += System.nanoTime() - s0;
    if (!Double.isFinite(loss) || !before.finite()) {
      state.divergedAt = step;
      flushWindow(trial, state);
      trial.run().logMetric(Metric.TRAIN_LOSS_FINITE, 0, step);
      return false;
    }
    if (profileStep) {
      long p0 = System.nanoTime();
      Map<String, double[]> series = lastStepProfile == null ? GradientProfiler.capture(net, T)
          : withTotalLoss(lastStepProfile, net, T);
      ProfileStats top = recordProfile(net, series, step, trial.run(), trial.profiles());
      state.lastDecay = top.decayRate();
      state.lastHorizon = top.horizon();
      state.profileNanos += System.nanoTime() - p0;
    }
    GradientClipper.Outcome clip = GradientClipper.clip(spec.clip(), trial.blocks(), net.gradients(), before);
    trial.updater().applyUpdater(net.gradients(), step - 1, 0);
    net.params().subi(net.gradients());

    long l0 = System.nanoTime();
    state.maxGrad = Math.max(state.maxGrad, before.global());
    if (clip.acted()) {
      state.clippedSteps++;
    }
    addStepMetrics(trial.window(), loss, before, clip);
    if (trial.window().endStep(step)) {
      trial.run().logMetrics(trial.window().drain(), step);
    }
    state.logNanos += System.nanoTime() - l0;
    return true;
  }

  /** Weight 1 on the rows of the last step, 0 elsewhere: the loss of the last step alone. */
  static double[] lastStepMask(int steps, int batch) {
    double[] m = new double[steps * batch];
    java.util.Arrays.fill(m, (steps - 1) * batch, steps * batch, 1.0);
    return m;
  }

  /**
   * The last-step loss's profile with, for each layer, {@code <layer>/dh_total}: ||dL/dh_t|| of the training loss
   * (the mean over every step's loss) of the last backward pass.
   */
  private static Map<String, double[]> withTotalLoss(Map<String, double[]> lastStep, RecurrentNet net, int steps) {
    Map<String, double[]> out = new LinkedHashMap<>(lastStep);
    Map<String, double[]> total = GradientProfiler.capture(net, steps);
    for (RecurrentLayer l : net.layers()) {
      out.put(l.name() + "/dh" + TOTAL_SUFFIX, total.get(l.name() + "/dh"));
    }
    return out;
  }

  /** Suffix of the profile series of the total loss of a task with targets at every step. */
  public static final String TOTAL_SUFFIX = "_total";

  /** Adds the step metrics to the logging window: loss, clipped or not, the gradient norms before and after clipping. */
  public static void addStepMetrics(StepWindow w, double loss, GradientNorms before, GradientClipper.Outcome clip) {
    w.mean(Metric.TRAIN_LOSS, loss);
    w.meanAndMax(Metric.GRAD_GLOBAL_NORM, before.global());
    w.meanAndMax(Metric.GRAD_GLOBAL_NORM_CLIPPED, clip.after().global());
    w.mean(Metric.GRAD_CLIPPED, clip.acted() ? 1.0 : 0.0);
    before.layers().forEach((k, v) -> w.meanAndMax(Prefix.GRAD + k + "_norm", v));
    clip.after().layers().forEach((k, v) -> w.meanAndMax(Prefix.GRAD + k + "_norm_clipped", v));
    before.blocks().forEach((k, v) -> w.meanAndMax(Prefix.GRAD + k + "_norm", v));
  }

  /** Logs the steps of an unfinished logging window (the trial stopped or its budget ended mid-window). */
  private static void flushWindow(Trial trial, TrialState state) {
    StepWindow w = trial.window();
    if (w.pending() > 0) {
      long l0 = System.nanoTime();
      trial.run().logMetrics(w.drain(), w.lastStep());
      state.logNanos += System.nanoTime() - l0;
    }
  }

  /** Evaluates the held-out set: a non-finite eval loss is a divergence, one below the threshold solves the trial. */
  private static void evaluate(Trial trial, TrialState state) {
    Batch eval = trial.eval();
    Map<String, Double> m = trial.task().evaluate(eval, trial.net().predict(eval.x(), eval.steps(), eval.size()));
    state.evalMetrics = m;
    state.evalLoss = m.get("loss");
    SolveRule rule = trial.task().solveRule();
    state.solveValue = m.get(rule.metric());
    if (m.size() == 1) {
      trial.run().logMetric(Metric.EVAL_LOSS, state.evalLoss, state.step);
    } else {
      Map<String, Double> keyed = new LinkedHashMap<>();
      m.forEach((k, v) -> keyed.put(Names.evalMetric(k), v));
      trial.run().logMetrics(keyed, state.step);
    }
    if (!Double.isFinite(state.evalLoss)) {
      state.divergedAt = state.step;
    } else if (rule.solved(state.solveValue, trial.spec().solveThreshold())) {
      state.stepsToSolve = state.step;
    } else if (state.stoppedEarly == null) {
      state.stoppedEarly = state.rules.onEval(state.evalLoss);
    }
  }

  /** The {@code final/} metrics of the trial. */
  private static Map<String, Double> finalMetrics(Trial trial, TrialState state, double wall) {
    Map<String, Double> fin = new LinkedHashMap<>();
    fin.put(Metric.FINAL_STEPS, (double) state.step);
    fin.put(Metric.FINAL_EVAL_LOSS, state.finalEvalLoss());
    fin.put(Metric.FINAL_BASELINE_LOSS, trial.baseline());
    fin.put(Metric.FINAL_SOLVE_METRIC, state.finalSolveValue());
    fin.put(Metric.FINAL_BASELINE_SOLVE_METRIC, trial.baselineSolve());
    state.evalMetrics.forEach((k, v) -> {
      if (!k.equals("loss")) {
        fin.put(Names.finalEvalMetric(k), state.diverged() ? Double.NaN : v);
      }
    });
    fin.put(Metric.FINAL_EVAL_LOSS_OVER_BASELINE, state.diverged() ? Double.NaN : state.evalLoss / trial.baseline());
    fin.put(Metric.FINAL_STEPS_TO_SOLVE, (double) state.stepsToSolve);
    fin.put(Metric.FINAL_DIVERGED_AT_STEP, (double) state.divergedAt);
    if (state.rules.enabled()) {
      fin.put(Metric.FINAL_STOPPED_AT_STEP, (double) state.stoppedAtStep());
    }
    fin.put(Metric.FINAL_MAX_GRAD_NORM, state.maxGrad);
    fin.put(Metric.FINAL_CLIP_RATE, state.clipRate());
    fin.put(Metric.FINAL_WALL_SECONDS, wall);
    fin.put(Metric.FINAL_STATS_SECONDS, state.statsNanos / 1e9);
    fin.put(Metric.FINAL_LOGGING_SECONDS, state.logNanos / 1e9);
    fin.put(Metric.FINAL_PROFILE_SECONDS, state.profileNanos / 1e9);
    fin.put(Metric.FINAL_DECAY_RATE, state.lastDecay);
    fin.put(Metric.FINAL_HORIZON, (double) state.lastHorizon);
    return fin;
  }

  private static TrialResult result(Trial trial, TrialState state, double wall, TrialStatus status) {
    TrialSpec spec = trial.spec();
    return new TrialResult(spec.id(), spec.displayName(), trial.run().runId(), status, state.step,
        state.stepsToSolve, state.divergedAt, state.finalEvalLoss(), trial.baseline(), state.maxGrad,
        state.clipRate(), state.lastDecay, state.lastHorizon, wall, null,
        topProfile(trial.net(), trial.profiles(), true), topProfile(trial.net(), trial.profiles(), false), null, null,
        state.finalSolveValue(), trial.baselineSolve());
  }

  /** The top layer's ||dL/dh_t|| of the first (init) or the latest kept profile; null if there is none. */
  private static double[] topProfile(RecurrentNet net, ProfileRecorder profiles, boolean first) {
    List<ProfileRecorder.Entry> entries = profiles.entries();
    if (entries.isEmpty()) {
      return null;
    }
    String top = net.layers().get(net.layers().size() - 1).name() + "/dh";
    double[] v = entries.get(first ? 0 : entries.size() - 1).series().get(top);
    return v == null ? null : v.clone();
  }

  /**
   * Pictures of the kept profiles: per layer a heatmap of ||dL/dh_t|| (time step x training step) and, for the top
   * layer, the profiles at initialisation, mid-run and the end on a log axis. A picture that cannot be drawn is
   * reported in tag {@code gradsweep.chart_error}; it never fails the trial.
   */
  private static void logProfileCharts(TrialSpec spec, RecurrentNet net, ProfileRecorder profiles, TrialRun run) {
    java.util.List<ProfileRecorder.Entry> entries = profiles.entries();
    if (entries.isEmpty()) {
      return;
    }
    try {
      String what = spec.displayName();
      long[] steps = entries.stream().mapToLong(ProfileRecorder.Entry::step).toArray();
      for (RecurrentLayer l : net.layers()) {
        String key = l.name() + "/dh";
        double[][] m = entries.stream().map(e -> e.series().get(key)).toArray(double[][]::new);
        run.logArtifact(Names.Artifact.PROFILE_HEATMAP_PREFIX + l.name() + ".png",
            io.gradsweep.chart.GradientCharts.profileHeatmap("Gradient through time: " + what, steps, m,
                l.name() + ": ||dL/dh_t|| of the minibatch-mean loss"));
      }
      String top = net.layers().get(net.layers().size() - 1).name() + "/dh";
      Map<String, double[]> lines = new LinkedHashMap<>();
      ProfileRecorder.Entry first = entries.get(0);
      ProfileRecorder.Entry mid = entries.get(entries.size() / 2);
      ProfileRecorder.Entry last = entries.get(entries.size() - 1);
      lines.put("step " + first.step() + " (init)", first.series().get(top));
      if (mid != first && mid != last) {
        lines.put("step " + mid.step(), mid.series().get(top));
      }
      if (last != first) {
        lines.put("step " + last.step() + " (end)", last.series().get(top));
      }
      run.logArtifact(Names.Artifact.PROFILE_LINES_PNG, io.gradsweep.chart.GradientCharts.profileLines(
          "||dL/dh_t|| over t, " + top.replace("/dh", "") + ": " + what, lines));
    } catch (RuntimeException e) {
      LOG.warn("could not draw the profile charts of trial {}: {}", spec.id(), e.toString());
      run.setTag(Tag.CHART_ERROR, String.valueOf(e));
    }
  }

  /** Logs the profile metrics of the last backward pass; returns the stats of the top layer's dL/dh. */
  private static ProfileStats recordProfile(RecurrentNet net, Map<String, double[]> series, int step, TrialRun run,
      ProfileRecorder profiles) {
    return recordProfile(net.layers(), series, step, run, profiles);
  }

  /**
   * Logs the profile metrics of the last backward pass of {@code layers} (the profile series, the recurrent
   * blocks' spectra, the layers' health) at {@code step} and keeps the series in {@code profiles}; returns the stats
   * of the top layer's dL/dh. Shared with the data-parallel runner (module jobs), whose engine layers sit inside a
   * DL4J network: the same keys for both.
   */
  public static ProfileStats recordProfile(List<RecurrentLayer> layers, Map<String, double[]> series, int step,
      TrialRun run, ProfileRecorder profiles) {
    profiles.offer(step, series);
    Map<String, Double> m = new LinkedHashMap<>();
    ProfileStats top = null;
    String topKey = layers.get(layers.size() - 1).name() + "/dh";
    for (Map.Entry<String, double[]> e : series.entrySet()) {
      String key = Prefix.PROFILE + e.getKey();
      ProfileStats st = ProfileStats.of(e.getValue());
      if (e.getKey().equals(topKey)) {
        top = st;
      }
      m.put(key + "_decay_rate", st.decayRate());
      m.put(key + "_horizon", (double) st.horizon());
      m.put(key + "_first_over_last", st.firstOverLast());
      double[] b = ProfileStats.buckets(e.getValue(), PROFILE_BUCKETS);
      for (int i = 0; i < b.length; i++) {
        m.put(String.format("%s_b%02d", key, i), b[i]);
      }
    }
    GradientProfiler.weightSpectra(layers).forEach((k, v) -> m.put(Prefix.WEIGHTS + k, v));
    for (RecurrentLayer l : layers) {
      l.health().forEach((k, v) -> m.put(Prefix.HEALTH + l.name() + "/" + k, v));
    }
    run.logMetrics(m, step);
    return top;
  }

  /** CPU time of this thread, -1 where the JVM cannot measure it. */
  private static long threadCpuNanos() {
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    return mx.isCurrentThreadCpuTimeSupported() ? mx.getCurrentThreadCpuTime() : -1;
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
