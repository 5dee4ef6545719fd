package io.gradsweep.train;

import io.gradsweep.engine.Activation;
import io.gradsweep.engine.InitScheme;
import io.gradsweep.engine.NetSpec;
import io.gradsweep.engine.ParamBlock;
import io.gradsweep.engine.RecurrentLayer;
import io.gradsweep.engine.RecurrentNet;
import io.gradsweep.probe.GradientProfiler;
import io.gradsweep.probe.ProfileRecorder;
import io.gradsweep.probe.ProfileStats;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.task.Batch;
import io.gradsweep.task.SequenceTask;
import io.gradsweep.task.SequenceTasks;
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
import org.nd4j.linalg.learning.GradientUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains one trial within its budget, records gradient statistics and logs to a {@link TrialRun}. No Spark.
 *
 * <p>Each step: draw a minibatch (from the trial seed), forward and backward pass, measure the gradient's L2 norms
 * (per parameter block, per layer, global), stop as DIVERGED if the loss or the gradient is NaN/Inf, clip, let the
 * optimizer turn the gradient into an update, apply it. Every {@code eval_every} steps the held-out set is
 * evaluated; the trial is SOLVED as soon as its eval loss falls below the solve threshold.
 *
 * <p>Step metrics (MLflow keys): {@code train/loss}; {@code grad/global_norm}, {@code grad/global_norm_clipped},
 * {@code grad/clipped} (1 when clipping changed the gradient); {@code grad/<layer>_norm} and
 * {@code grad/<layer>_norm_clipped}; {@code grad/<layer>/<W|R|b>_norm} (before clipping); {@code eval/loss}.
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
 * ({@code health/<layer>/...}). The kept profiles go to artifact {@code gradient_profile.csv}.
 */
public final class TrialRunner {
  private static final Logger LOG = LoggerFactory.getLogger(TrialRunner.class);
  /** Buckets over t of the profile step metrics. */
  public static final int PROFILE_BUCKETS = 16;
  /** Profiles kept for the artifacts of one trial. */
  private static final int PROFILES_KEPT = 200;

  /** Data type used for training. */
  private final DataType dtype;

  public TrialRunner() {
    this(DataType.FLOAT);
  }

  public TrialRunner(DataType dtype) {
    this.dtype = dtype;
  }

  /** The network a trial trains, built from its spec and seed. */
  public static RecurrentNet buildNet(TrialSpec spec, SequenceTask task, DataType dtype) {
    Activation act = spec.activation() == null ? Activation.TANH : Activation.fromWord(spec.activation());
    NetSpec ns = new NetSpec(spec.cell(), act, task.inputSize(), spec.hidden(), spec.layers(), task.outputSize(),
        InitScheme.fromWord(spec.init()), 1.0);
    return new RecurrentNet(ns, spec.seed(), dtype);
  }

  /** The held-out evaluation set: fixed by the task, the eval seed and the sequence length, shared by trials. */
  public static Batch evalSet(TrialSpec spec, SequenceTask task, DataType dtype) {
    long s = spec.evalSeed() * 1_000_003L + spec.seqLen();
    return task.sample(spec.seqLen(), spec.evalSize(), new SplittableRandom(s), dtype);
  }

  /**
   * Runs the trial to completion. Never throws for training outcomes: divergence and errors come back as
   * {@link TrialStatus#DIVERGED} and {@link TrialStatus#FAILED}. The run is finished on return: FINISHED for
   * SOLVED, NOT_SOLVED and DIVERGED (results), FAILED for FAILED.
   */
  public TrialResult run(TrialSpec spec, TrialRun run) {
    long t0 = System.nanoTime();
    String runId = run == null ? null : run.runId();
    try {
      TrialResult r = train(spec, run, t0);
      run.setTag(Tag.STATUS, r.status().name());
      run.finish(true);
      return r;
    } catch (RuntimeException | OutOfMemoryError e) {
      String msg = e.getClass().getSimpleName() + ": " + e.getMessage();
      LOG.warn("trial {} ({}) failed: {}", spec.id(), spec.displayName(), msg, e);
      try {
        run.setTag(Tag.STATUS, TrialStatus.FAILED.name());
        run.setTag(Tag.ERROR, msg.length() > 4000 ? msg.substring(0, 4000) : msg);
        run.finish(false);
      } catch (RuntimeException e2) {
        LOG.warn("could not record the failure of trial {}: {}", spec.id(), e2.toString());
      }
      return TrialResult.failed(spec.id(), spec.displayName(), runId, msg, seconds(t0));
    }
  }

  private TrialResult train(TrialSpec spec, TrialRun run, long t0) {
    SequenceTask task = SequenceTasks.byName(spec.task());
    RecurrentNet net = buildNet(spec, task, dtype);
    List<ParamBlock> blocks = net.blocks();
    GradientUpdater<?> updater = Optimizers.instantiate(Optimizers.config(spec.optimizer(), spec.lr()), net.params());
    Batch eval = evalSet(spec, task, dtype);
    double baseline = task.baselineLoss(eval);
    run.logMetric(Metric.EVAL_BASELINE_LOSS, baseline, 0);
    SplittableRandom data = new SplittableRandom(spec.seed() * 0x9E3779B97F4A7C15L + 0x5EEDL);

    int T = spec.seqLen();
    int B = spec.batchSize();
    int stepsToSolve = -1;
    int divergedAt = -1;
    int clippedSteps = 0;
    double maxGrad = 0;
    double evalLoss = Double.NaN;
    int step = 0;
    long statsNanos = 0;
    long logNanos = 0;
    long profileNanos = 0;
    ProfileRecorder profiles = new ProfileRecorder(PROFILES_KEPT);
    double lastDecay = Double.NaN;
    int lastHorizon = -1;
    Map<String, Double> m = new LinkedHashMap<>();
    while (step < spec.maxSteps()) {
      step++;
      Batch batch = task.sample(T, B, data, dtype);
      boolean profileStep = step == 1 || step % spec.profileEvery() == 0;
      // dL/dx (one more product over all steps) only where the profile reads it
      double loss = net.computeGradient(batch.x(), batch.y(), T, B, spec.tbptt(), profileStep);

      long s0 = System.nanoTime();
      GradientNorms before = GradientNorms.measure(blocks);
      long s1 = System.nanoTime();
      statsNanos += s1 - s0;
      if (!Double.isFinite(loss) || !before.finite()) {
        divergedAt = step;
        run.logMetric(Metric.TRAIN_LOSS_FINITE, 0, step);
        break;
      }
      if (profileStep) {
        long p0 = System.nanoTime();
        ProfileStats top = recordProfile(net, T, step, run, profiles);
        lastDecay = top.decayRate();
        lastHorizon = top.horizon();
        profileNanos += System.nanoTime() - p0;
      }
      GradientClipper.Outcome clip = GradientClipper.clip(spec.clip(), blocks, net.gradients(), before);
      updater.applyUpdater(net.gradients(), step - 1, 0);
      net.params().subi(net.gradients());

      long l0 = System.nanoTime();
      maxGrad = Math.max(maxGrad, before.global());
      if (clip.acted()) {
        clippedSteps++;
      }
      m.clear();
      m.put(Metric.TRAIN_LOSS, loss);
      m.put(Metric.GRAD_GLOBAL_NORM, before.global());
      m.put(Metric.GRAD_GLOBAL_NORM_CLIPPED, clip.after().global());
      m.put(Metric.GRAD_CLIPPED, clip.acted() ? 1.0 : 0.0);
      before.layers().forEach((k, v) -> m.put(Prefix.GRAD + k + "_norm", v));
      clip.after().layers().forEach((k, v) -> m.put(Prefix.GRAD + k + "_norm_clipped", v));
      before.blocks().forEach((k, v) -> m.put(Prefix.GRAD + k + "_norm", v));
      run.logMetrics(m, step);
      logNanos += System.nanoTime() - l0;

      if (step % spec.evalEvery() == 0 || step == spec.maxSteps()) {
        evalLoss = net.loss(eval.x(), eval.y(), T, eval.size());
        run.logMetric(Metric.EVAL_LOSS, evalLoss, step);
        if (!Double.isFinite(evalLoss)) {
          divergedAt = step;
          break;
        }
        if (evalLoss < spec.solveThreshold()) {
          stepsToSolve = step;
          break;
        }
      }
    }
    TrialStatus status = divergedAt > 0 ? TrialStatus.DIVERGED
        : stepsToSolve > 0 ? TrialStatus.SOLVED : TrialStatus.NOT_SOLVED;
    double clipRate = (double) clippedSteps / step;
    double wall = seconds(t0);
    Map<String, Double> fin = new LinkedHashMap<>();
    fin.put(Metric.FINAL_STEPS, (double) step);
    fin.put(Metric.FINAL_EVAL_LOSS, divergedAt > 0 ? Double.NaN : evalLoss);
    fin.put(Metric.FINAL_BASELINE_LOSS, baseline);
    fin.put(Metric.FINAL_EVAL_LOSS_OVER_BASELINE, divergedAt > 0 ? Double.NaN : evalLoss / baseline);
    fin.put(Metric.FINAL_STEPS_TO_SOLVE, (double) stepsToSolve);
    fin.put(Metric.FINAL_DIVERGED_AT_STEP, (double) divergedAt);
    fin.put(Metric.FINAL_MAX_GRAD_NORM, maxGrad);
    fin.put(Metric.FINAL_CLIP_RATE, clipRate);
    fin.put(Metric.FINAL_WALL_SECONDS, wall);
    fin.put(Metric.FINAL_STATS_SECONDS, statsNanos / 1e9);
    fin.put(Metric.FINAL_LOGGING_SECONDS, logNanos / 1e9);
    fin.put(Metric.FINAL_PROFILE_SECONDS, profileNanos / 1e9);
    fin.put(Metric.FINAL_DECAY_RATE, lastDecay);
    fin.put(Metric.FINAL_HORIZON, (double) lastHorizon);
    run.logMetrics(fin, step);
    run.logArtifact(Names.Artifact.GRADIENT_PROFILE_CSV, profiles.toCsv());
    logProfileCharts(spec, net, profiles, run);
    return new TrialResult(spec.id(), spec.displayName(), run.runId(), status, step, stepsToSolve, divergedAt,
        divergedAt > 0 ? Double.NaN : evalLoss, baseline, maxGrad, clipRate, lastDecay, lastHorizon, wall, null,
        topProfile(net, profiles, true), topProfile(net, profiles, false));
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
  private static ProfileStats recordProfile(RecurrentNet net, int steps, int step, TrialRun run,
      ProfileRecorder profiles) {
    Map<String, double[]> series = GradientProfiler.capture(net, steps);
    profiles.offer(step, series);
    Map<String, Double> m = new LinkedHashMap<>();
    ProfileStats top = null;
    String topKey = net.layers().get(net.layers().size() - 1).name() + "/dh";
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
    GradientProfiler.weightSpectra(net).forEach((k, v) -> m.put(Prefix.WEIGHTS + k, v));
    for (RecurrentLayer l : net.layers()) {
      l.health().forEach((k, v) -> m.put(Prefix.HEALTH + l.name() + "/" + k, v));
    }
    run.logMetrics(m, step);
    return top;
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
