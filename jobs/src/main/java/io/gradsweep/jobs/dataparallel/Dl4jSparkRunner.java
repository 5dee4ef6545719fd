package io.gradsweep.jobs.dataparallel;

import io.gradsweep.dl4j.TrialNetworks;
import io.gradsweep.jobs.DataParallelRunner;
import io.gradsweep.probe.ProfileRecorder;
import io.gradsweep.probe.ProfileStats;
import io.gradsweep.spec.DataParallel;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.task.Batch;
import io.gradsweep.task.SequenceTask;
import io.gradsweep.task.SolveRule;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.Names.Metric;
import io.gradsweep.tracking.Names.Tag;
import io.gradsweep.tracking.TrialRun;
import io.gradsweep.train.GradientClipper;
import io.gradsweep.train.GradientNorms;
import io.gradsweep.train.StepWindow;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialRunner;
import io.gradsweep.train.TrialStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One data-parallel trial ({@code training.data_parallel: {workers: N, averaging_frequency: k, batch_per_worker:
 * b}}) trained with Deeplearning4j's Spark module: the trial's network of engine layers
 * ({@link TrialNetworks#network}) in a {@link SparkDl4jMultiLayer} with DL4J's
 * {@link ParameterAveragingTrainingMaster}.
 *
 * <p>One averaging round: the driver draws k global minibatches of N*b sequences from the trial's data stream (the
 * stream a one-task trial with batch_size N*b draws from) and gives worker i the i-th b sequences of each, as one
 * Spark job of N tasks (one partition per worker, never repartitioned); each worker trains its k minibatches from
 * the broadcast parameters and optimizer state; the driver averages the workers' parameters and optimizer state.
 * With k = 1 and plain SGD a round is one SGD step on the global minibatch.
 *
 * <p>Steps: a round advances the trial by k steps (each worker's minibatches), so {@code max_steps},
 * {@code eval_every} and {@code profile_every} count worker steps as for a one-task trial; metrics are logged at
 * the round's last step. Per round: {@code train/loss} (the mean of the workers' last minibatch losses), the
 * gradient norms of the averaged step ({@code grad/...}, the same keys as a one-task trial: the round's averaged
 * update divided by the learning rate and by k, which is the global minibatch's gradient for SGD with k = 1; for
 * adam and rmsprop it is the size of the update, not of the gradient), and
 * {@code dp/round_seconds}, {@code dp/averaging_seconds}; both in logging windows as a one-task trial's. On the
 * rounds that hold a profile step the gradient profile (and the spectra and health of the engine layers) of the
 * driver's copy of the network, on the round's first global minibatch, before the round. Evaluation: the task's
 * metrics on the held-out set, at the rounds that hold an eval step.
 */
public final class Dl4jSparkRunner implements DataParallelRunner {
  private static final Logger LOG = LoggerFactory.getLogger(Dl4jSparkRunner.class);
  /** Value of tag {@link Tag#TRAINER}. */
  public static final String TRAINER = "dl4j-spark-parameter-averaging";
  private static final int PROFILES_KEPT = 200;

  /** Told of every round, for tests: the step reached, the loss, the driver's network after averaging. */
  @FunctionalInterface
  public interface RoundListener {
    void roundEnded(int step, double loss, MultiLayerNetwork net);
  }

  private final RoundListener listener;

  public Dl4jSparkRunner() {
    this((step, loss, net) -> {});
  }

  public Dl4jSparkRunner(RoundListener listener) {
    this.listener = listener;
  }

  @Override
  public TrialResult run(JavaSparkContext jsc, TrialSpec spec, TrialRun run) {
    long t0 = System.nanoTime();
    try {
      TrialResult r = train(jsc, spec, run, t0);
      run.setTag(Tag.STATUS, r.status().name());
      run.finish(true);
      return r;
    } catch (RuntimeException | OutOfMemoryError e) {
      return TrialRunner.failed(spec, run, run.runId(), "data-parallel trial", e, t0);
    }
  }

  /** The training master of a trial: N workers, k minibatches of b between averagings, the data as given. */
  static ParameterAveragingTrainingMaster trainingMaster(DataParallel dp) {
    return new ParameterAveragingTrainingMaster.Builder(dp.workers(), dp.batchPerWorker())
        .batchSizePerWorker(dp.batchPerWorker())
        .averagingFrequency(dp.averagingFrequency())
        .workerPrefetchNumBatches(0)
        .saveUpdater(true)
        .rddTrainingApproach(RDDTrainingApproach.Direct)
        .repartionData(Repartition.Never)
        .build();
  }

  /**
   * The data of one round in partition order: worker 0's minibatches, then worker 1's, ... (Spark's parallelize
   * cuts a list into contiguous slices, one per partition).
   */
  static List<DataSet> roundData(List<DataSet> global, DataParallel dp) {
    List<DataSet> out = new ArrayList<>(global.size() * dp.workers());
    int b = dp.batchPerWorker();
    for (int w = 0; w < dp.workers(); w++) {
      for (DataSet g : global) {
        out.add(slice(g, (long) w * b, (long) (w + 1) * b));
      }
    }
    return out;
  }

  /** Examples [from, to) of a minibatch. */
  static DataSet slice(DataSet d, long from, long to) {
    INDArray x = d.getFeatures().get(NDArrayIndex.interval(from, to), NDArrayIndex.all(), NDArrayIndex.all()).dup();
    INDArray y = d.getLabels().get(NDArrayIndex.interval(from, to), NDArrayIndex.all(), NDArrayIndex.all()).dup();
    INDArray m = d.getLabelsMaskArray() == null ? null
        : d.getLabelsMaskArray().get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup();
    return new DataSet(x, y, null, m);
  }

  private TrialResult train(JavaSparkContext jsc, TrialSpec spec, TrialRun run, long t0) {
    TaskTimes times = new TaskTimes();
    jsc.sc().addSparkListener(times);
    try {
      return train(jsc, spec, run, t0, times);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      jsc.sc().removeSparkListener(times);
    }
  }

  private TrialResult train(JavaSparkContext jsc, TrialSpec spec, TrialRun run, long t0, TaskTimes times)
      throws InterruptedException {
    DataParallel dp = spec.dataParallel();
    if (dp == null) {
      throw new IllegalArgumentException("trial " + spec.id() + " has no training.data_parallel");
    }
    SequenceTask task = TrialRunner.task(spec);
    MultiLayerNetwork net = TrialNetworks.network(spec, task);
    Batch eval = TrialRunner.evalSet(spec, task, DataType.FLOAT);
    double baseline = task.baselineLoss(eval);
    double baselineSolve = task.baselineSolveValue(eval);
    run.setTag(Tag.TRAINER, TRAINER);
    run.setTag(Tag.SOLVE_METRIC, Names.evalMetric(task.solveRule().metric()));
    run.logMetric(Metric.EVAL_BASELINE_LOSS, baseline, 0);
    run.logMetric(Metric.EVAL_BASELINE_SOLVE_METRIC, baselineSolve, 0);
    SplittableRandom data = TrialRunner.dataStream(spec);
    SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(jsc, net, trainingMaster(dp));
    int k = dp.averagingFrequency();
    StepWindow window = new StepWindow(Math.max(1, spec.logWindow() / k));
    ProfileRecorder profiles = new ProfileRecorder(PROFILES_KEPT);
    State st = new State();
    int round = 0;
    long trainStart = System.nanoTime();
    while (st.step < spec.maxSteps() && !st.stopped()) {
      int local = Math.min(k, spec.maxSteps() - st.step);
      int first = st.step + 1;
      int last = st.step + local;
      round++;
      List<DataSet> global = new ArrayList<>(local);
      for (int i = 0; i < local; i++) {
        global.add(TrialNetworks.dataSet(task.sample(spec.seqLen(), dp.globalBatch(), data, DataType.FLOAT), task));
      }
      MultiLayerNetwork driver = sparkNet.getNetwork();
      int profileStep = firstMatching(first, last, s -> TrialRunner.isProfileStep(spec, s));
      if (profileStep > 0) {
        long p0 = System.nanoTime();
        Map<String, double[]> series = TrialNetworks.profile(driver, global.get(0));
        ProfileStats top = TrialRunner.recordProfile(TrialNetworks.engineLayers(driver), series, profileStep, run,
            profiles);
        st.lastDecay = top.decayRate();
        st.lastHorizon = top.horizon();
        st.profileNanos += System.nanoTime() - p0;
      }
      Map<String, INDArray> before = TrialNetworks.copyParams(driver);
      JavaRDD<DataSet> rdd = jsc.parallelize(roundData(global, dp), dp.workers());
      times.reset();
      jsc.setJobDescription("data-parallel trial " + spec.displayName() + ": round " + round);
      long r0 = System.nanoTime();
      sparkNet.fit(rdd);
      double roundSeconds = (System.nanoTime() - r0) / 1e9;
      st.step = last;
      MultiLayerNetwork after = sparkNet.getNetwork();
      double loss = sparkNet.getScore();
      // DL4J counts the RDD (a job of N tasks), then trains (a job of N tasks)
      double slowest = times.slowestSeconds(2 * dp.workers());
      double averaging = Math.max(0, roundSeconds - slowest);
      st.averagingSeconds += averaging;
      Map<String, INDArray> grad = new HashMap<>();
      Map<String, INDArray> now = after.paramTable();
      double scale = spec.lr() * local; // the round's update per worker step, over the learning rate
      before.forEach((key, p) -> grad.put(key, p.sub(now.get(key)).divi(scale)));
      GradientNorms norms = GradientNorms.measure(TrialNetworks.blocks(after, grad));
      listener.roundEnded(st.step, loss, after);
      if (!Double.isFinite(loss) || !norms.finite()) {
        st.divergedAt = st.step;
        flush(window, run);
        run.logMetric(Metric.TRAIN_LOSS_FINITE, 0, st.step);
        break;
      }
      st.maxGrad = Math.max(st.maxGrad, norms.global());
      TrialRunner.addStepMetrics(window, loss, norms, new GradientClipper.Outcome(false, norms));
      window.mean(Metric.DP_ROUND_SECONDS, roundSeconds);
      window.mean(Metric.DP_AVERAGING_SECONDS, averaging);
      if (window.endStep(round)) {
        run.logMetrics(window.drain(), st.step);
      } else if (window.pending() > 0 && st.step == spec.maxSteps()) {
        flush(window, run);
      }
      if (firstMatching(first, last, s -> TrialRunner.isEvalStep(spec, s)) > 0) {
        evaluate(spec, task, after, eval, st, run);
      }
    }
    flush(window, run);
    double wall = (System.nanoTime() - t0) / 1e9;
    st.rounds = round;
    run.logMetrics(finalMetrics(st, baseline, baselineSolve, wall), st.step);
    if (run.keepsArtifacts()) {
      run.logArtifact(Names.Artifact.GRADIENT_PROFILE_CSV, profiles.toCsv());
    }
    LOG.info("data-parallel trial {}: {} rounds of {} workers in {} s ({} s averaging)", spec.displayName(), round,
        dp.workers(), String.format("%.1f", (System.nanoTime() - trainStart) / 1e9),
        String.format("%.1f", st.averagingSeconds));
    String topKey = "layer" + (spec.layers() - 1) + "/dh";
    List<ProfileRecorder.Entry> kept = profiles.entries();
    double[] init = kept.isEmpty() ? null : kept.get(0).series().get(topKey);
    double[] fin = kept.isEmpty() ? null : kept.get(kept.size() - 1).series().get(topKey);
    return new TrialResult(spec.id(), spec.displayName(), run.runId(), st.status(), st.step, st.stepsToSolve,
        st.divergedAt, st.finalEvalLoss(), baseline, st.maxGrad, 0.0, st.lastDecay, st.lastHorizon, wall, null,
        init, fin, null, null, st.finalSolveValue(), baselineSolve);
  }

  /** The first step of [from, to] that matches, or 0. */
  private static int firstMatching(int from, int to, java.util.function.IntPredicate p) {
    for (int s = from; s <= to; s++) {
      if (p.test(s)) {
        return s;
      }
    }
    return 0;
  }

  private static void flush(StepWindow w, TrialRun run) {
    if (w.pending() > 0) {
      int at = w.lastStep();
      run.logMetrics(w.drain(), at);
    }
  }

  /**
   * The run times of the Spark tasks that ended since the last {@link #reset()} ({@code executorRunTime}: on the
   * executor, from deserialising the task, the broadcast parameters included, to its result). Spark delivers
   * listener events asynchronously: {@link #slowestSeconds} waits (at most 2 s) for the tasks of the round.
   */
  static final class TaskTimes extends SparkListener {
    private final List<Long> runTimesMs = new ArrayList<>();

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd end) {
      if (end.taskMetrics() != null) {
        runTimesMs.add(end.taskMetrics().executorRunTime());
      }
      notifyAll();
    }

    synchronized void reset() {
      runTimesMs.clear();
    }

    /** The longest task run time once {@code tasks} tasks ended (or after 2 s), in seconds. */
    synchronized double slowestSeconds(int tasks) throws InterruptedException {
      long until = System.nanoTime() + 2_000_000_000L;
      while (runTimesMs.size() < tasks && System.nanoTime() < until) {
        wait(Math.max(1, (until - System.nanoTime()) / 1_000_000));
      }
      return runTimesMs.stream().mapToLong(Long::longValue).max().orElse(0) / 1000.0;
    }
  }

  private static void evaluate(TrialSpec spec, SequenceTask task, MultiLayerNetwork net, Batch eval, State st,
      TrialRun run) {
    Map<String, Double> m = task.evaluate(eval, TrialNetworks.output(net, eval, task));
    st.evalMetrics = m;
    st.evalLoss = m.get("loss");
    SolveRule rule = task.solveRule();
    st.solveValue = m.get(rule.metric());
    Map<String, Double> keyed = new LinkedHashMap<>();
    m.forEach((key, v) -> keyed.put(Names.evalMetric(key), v));
    run.logMetrics(keyed, st.step);
    if (!Double.isFinite(st.evalLoss)) {
      st.divergedAt = st.step;
    } else if (rule.solved(st.solveValue, spec.solveThreshold())) {
      st.stepsToSolve = st.step;
    }
  }

  private static Map<String, Double> finalMetrics(State st, double baseline, double baselineSolve, double wall) {
    Map<String, Double> fin = new LinkedHashMap<>();
    fin.put(Metric.FINAL_STEPS, (double) st.step);
    fin.put(Metric.FINAL_EVAL_LOSS, st.finalEvalLoss());
    fin.put(Metric.FINAL_BASELINE_LOSS, baseline);
    fin.put(Metric.FINAL_SOLVE_METRIC, st.finalSolveValue());
    fin.put(Metric.FINAL_BASELINE_SOLVE_METRIC, baselineSolve);
    st.evalMetrics.forEach((key, v) -> {
      if (!key.equals("loss")) {
        fin.put(Names.finalEvalMetric(key), st.diverged() ? Double.NaN : v);
      }
    });
    fin.put(Metric.FINAL_EVAL_LOSS_OVER_BASELINE, st.diverged() ? Double.NaN : st.evalLoss / baseline);
    fin.put(Metric.FINAL_STEPS_TO_SOLVE, (double) st.stepsToSolve);
    fin.put(Metric.FINAL_DIVERGED_AT_STEP, (double) st.divergedAt);
    fin.put(Metric.FINAL_MAX_GRAD_NORM, st.maxGrad);
    fin.put(Metric.FINAL_CLIP_RATE, 0.0);
    fin.put(Metric.FINAL_WALL_SECONDS, wall);
    fin.put(Metric.FINAL_PROFILE_SECONDS, st.profileNanos / 1e9);
    fin.put(Metric.FINAL_DECAY_RATE, st.lastDecay);
    fin.put(Metric.FINAL_HORIZON, (double) st.lastHorizon);
    fin.put(Metric.FINAL_DP_ROUNDS, (double) st.rounds);
    fin.put(Metric.FINAL_DP_AVERAGING_SECONDS, st.averagingSeconds);
    return fin;
  }

  /** What the loop has counted so far. */
  private static final class State {
    int step;
    int rounds;
    int stepsToSolve = -1;
    int divergedAt = -1;
    double maxGrad;
    double evalLoss = Double.NaN;
    double solveValue = Double.NaN;
    Map<String, Double> evalMetrics = Map.of();
    long profileNanos;
    double averagingSeconds;
    double lastDecay = Double.NaN;
    int lastHorizon = -1;

    boolean diverged() {
      return divergedAt > 0;
    }

    boolean stopped() {
      return diverged() || stepsToSolve > 0;
    }

    TrialStatus status() {
      return diverged() ? TrialStatus.DIVERGED : stepsToSolve > 0 ? TrialStatus.SOLVED : TrialStatus.NOT_SOLVED;
    }

    double finalEvalLoss() {
      return diverged() ? Double.NaN : evalLoss;
    }

    double finalSolveValue() {
      return diverged() ? Double.NaN : solveValue;
    }
  }
}
