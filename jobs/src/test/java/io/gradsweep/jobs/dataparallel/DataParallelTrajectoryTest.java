package io.gradsweep.jobs.dataparallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.dl4j.TrialNetworks;
import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.task.SequenceTask;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.TrialRun;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialRunner;
import io.gradsweep.train.TrialStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The two identities the data-parallel mode rests on, on local[2]: (1) one worker averaging every step trains the
 * trial exactly as one task trains it (the same DL4J network fitted minibatch by minibatch), Adam state included;
 * (2) N workers averaging every step with plain SGD take the SGD steps of one trial whose minibatch is the N
 * workers' minibatches together (the mean of N equal-sized minibatch gradients is the big minibatch's gradient).
 * Both compare every round's loss and every parameter, in float. And the child run gets the metrics a one-task
 * trial gets.
 */
class DataParallelTrajectoryTest {
  /**
   * Relative, per parameter (floor 1e-3) and per loss: float32 sums in another order (a mean over 8 examples against
   * the mean of two means over 4) differ in the last bits, and six SGD steps at lr 0.5 through a recurrent net
   * grow that to about 1e-4 (measured: 3.8e-5 when the GRU's dW came from one product over all steps, 1.04e-4 since
   * its step loop adds each step's rows into dW one by one, a longer chain of float additions). Averaging every 5
   * steps instead differs by far more (asserted below: more than 10 x this).
   */
  private static final double TOL = 3e-4;
  private static JavaSparkContext jsc;

  @BeforeAll
  static void startSpark() {
    jsc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("data-parallel-test")
        .set("spark.ui.enabled", "false"));
  }

  @AfterAll
  static void stopSpark() {
    jsc.stop();
  }

  static TrialSpec trial(String cell, String optimizer, double lr, int workers, int every, int batch, int steps) {
    String yaml = "name: dp\nexperiment: e\ntask: {name: adding, eval_size: 64}\n"
        + "training: {max_steps: " + steps + ", eval_every: " + steps + ", profile_every: 2, data_parallel: {workers: "
        + workers + ", averaging_frequency: " + every + ", batch_per_worker: " + batch + "}}\n"
        + "grid: {cell: [" + cell + "], seq_len: [12], hidden: [8], optimizer: [" + optimizer + "], lr: [" + lr
        + "]}\n";
    return Sweeps.parse(yaml, "dp.yaml").trials().get(0);
  }

  record Point(int step, double loss, INDArray params) {}

  /** The data-parallel trial's rounds. */
  static List<Point> dataParallel(TrialSpec spec, RecordingRun run) {
    List<Point> out = new ArrayList<>();
    TrialResult r = new Dl4jSparkRunner((step, loss, net) -> out.add(new Point(step, loss, net.params().dup())))
        .run(jsc, spec, run);
    assertTrue(r.status() != TrialStatus.FAILED, () -> "failed: " + r.error());
    return out;
  }

  /** The same trial as one task: the network fitted on the trial's minibatches of batch_size, one by one. */
  static List<Point> oneTask(TrialSpec spec) {
    SequenceTask task = TrialRunner.task(spec);
    MultiLayerNetwork net = TrialNetworks.network(spec, task);
    SplittableRandom data = TrialRunner.dataStream(spec);
    List<Point> out = new ArrayList<>();
    for (int step = 1; step <= spec.maxSteps(); step++) {
      net.fit(TrialNetworks.dataSet(task.sample(spec.seqLen(), spec.batchSize(), data, DataType.FLOAT), task));
      out.add(new Point(step, net.score(), net.params().dup()));
    }
    return out;
  }

  static void assertSameTrajectory(List<Point> expected, List<Point> actual, String what) {
    assertEquals(expected.size(), actual.size(), what + ": rounds");
    double worstParam = 0;
    double worstLoss = 0;
    for (int i = 0; i < expected.size(); i++) {
      Point e = expected.get(i);
      Point a = actual.get(i);
      assertEquals(e.step(), a.step(), what + ": step of round " + (i + 1));
      assertEquals(e.loss(), a.loss(), TOL * Math.max(1, Math.abs(e.loss())), what + ": loss at step " + e.step());
      double d = maxRelDiff(e.params(), a.params());
      assertTrue(d < TOL, what + ": parameters after step " + e.step() + " differ by " + d + " (relative)");
      worstParam = Math.max(worstParam, d);
      worstLoss = Math.max(worstLoss, Math.abs(e.loss() - a.loss()) / Math.max(1, Math.abs(e.loss())));
    }
    System.out.printf("%s: %d rounds, worst relative difference %.2e (parameters), %.2e (loss)%n", what,
        expected.size(), worstParam, worstLoss);
    assertFalse(expected.get(0).params().equalsWithEps(expected.get(expected.size() - 1).params(), 1e-6),
        what + ": the parameters never moved");
  }

  static double maxRelDiff(INDArray a, INDArray b) {
    double[] x = a.castTo(DataType.DOUBLE).toDoubleVector();
    double[] y = b.castTo(DataType.DOUBLE).toDoubleVector();
    double worst = 0;
    for (int i = 0; i < x.length; i++) {
      worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1e-3, Math.max(Math.abs(x[i]), Math.abs(y[i]))));
    }
    return worst;
  }

  @Test
  void oneWorkerAveragingEveryStepIsTheTrialAsOneTask() {
    TrialSpec spec = trial("lstm", "adam", 0.01, 1, 1, 8, 6);
    RecordingRun run = new RecordingRun();
    List<Point> dp = dataParallel(spec, run);
    assertSameTrajectory(oneTask(spec.asOneTask()), dp, "1 worker, adam");
  }

  @Test
  void twoWorkersAveragingEverySgdStepAreOneTrialWithTheirMinibatchesTogether() {
    TrialSpec spec = trial("gru", "sgd", 0.5, 2, 1, 4, 6);
    assertEquals(8, spec.batchSize());
    RecordingRun run = new RecordingRun();
    List<Point> dp = dataParallel(spec, run);
    assertSameTrajectory(oneTask(spec.asOneTask()), dp, "2 workers x 4, sgd");
  }

  @Test
  void averagingEveryFiveStepsIsNotOneBigBatch() {
    TrialSpec spec = trial("rnn", "sgd", 0.5, 2, 5, 4, 10);
    List<Point> dp = dataParallel(spec, new RecordingRun());
    assertEquals(List.of(5, 10), dp.stream().map(Point::step).toList());
    List<Point> one = oneTask(spec.asOneTask());
    double d = maxRelDiff(one.get(4).params(), dp.get(0).params());
    assertTrue(d > 10 * TOL,
        "5 local steps on halves then averaging should differ from 5 big-batch steps by far more than rounding: " + d);
  }

  @Test
  void theChildRunGetsTheMetricsOfAOneTaskTrial() {
    TrialSpec spec = trial("lstm", "sgd", 0.1, 2, 1, 4, 4);
    RecordingRun run = new RecordingRun();
    dataParallel(spec, run);
    for (String key : List.of(Names.Metric.TRAIN_LOSS, Names.Metric.GRAD_GLOBAL_NORM,
        Names.Metric.GRAD_GLOBAL_NORM + Names.Suffix.WINDOW_MAX, "grad/layer0_norm", "grad/layer0/W_norm",
        "grad/layer0/R_norm", "grad/head/b_norm", "profile/layer0/dh_b00", "profile/layer0/dh_decay_rate",
        "profile/layer0/dc_b00", "profile/input/dx_b00", "weights/layer0/R_f_rho", Names.Metric.EVAL_LOSS,
        Names.Metric.FINAL_EVAL_LOSS, Names.Metric.DP_ROUND_SECONDS, Names.Metric.DP_AVERAGING_SECONDS,
        Names.Metric.FINAL_DP_ROUNDS, Names.Metric.FINAL_DP_AVERAGING_SECONDS)) {
      assertTrue(run.metrics.containsKey(key), () -> "missing " + key + "; logged: " + run.metrics.keySet());
    }
    assertEquals(List.of(1L, 2L, 4L), run.metrics.get("profile/layer0/dh_b00").stream().map(p -> p[1])
        .map(Double::longValue).toList(), "profile steps: 1 and every profile_every = 2");
    assertEquals(4, run.metrics.get(Names.Metric.TRAIN_LOSS).size(), "a window of one step: every round");
    assertEquals(Dl4jSparkRunner.TRAINER, run.tags.get(Names.Tag.TRAINER));
    assertEquals(4.0, run.metrics.get(Names.Metric.FINAL_DP_ROUNDS).get(0)[0]);
    assertTrue(run.finished);
  }

  /** A TrialRun in memory: metric key -> [value, step] points, tags. */
  static final class RecordingRun implements TrialRun {
    final Map<String, List<double[]>> metrics = new LinkedHashMap<>();
    final Map<String, String> tags = new LinkedHashMap<>();
    boolean finished;

    @Override
    public String runId() {
      return "test";
    }

    @Override
    public void logMetric(String key, double value, long step) {
      metrics.computeIfAbsent(key, k -> new ArrayList<>()).add(new double[] {value, step});
    }

    @Override
    public void setTag(String key, String value) {
      tags.put(key, value);
    }

    @Override
    public void logArtifact(String path, byte[] content) {}

    @Override
    public boolean keepsArtifacts() {
      return false;
    }

    @Override
    public void finish(boolean success) {
      finished = success;
    }
  }
}
