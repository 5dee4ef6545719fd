package io.gradsweep.bench;

import io.gradsweep.engine.RecurrentNet;
import io.gradsweep.optim.Optimizers;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.task.Batch;
import io.gradsweep.task.SequenceTask;
import io.gradsweep.tracking.NoneTrackingSink;
import io.gradsweep.train.GradientNorms;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * A trial's training loop against the engine's bare step, at the quickstart's LSTM shape (adding problem, T 60,
 * hidden 32, batch 32, Adam), untracked, one thread per trial:
 * <ul>
 *   <li>{@code bench step}: forward, backward, Adam and the gradient norms, as {@link StepBenchmark} times them;
 *   <li>{@code loop, eval at the end}: {@link TrialRunner} with one evaluation at the last step (profile steps as a
 *       sweep has them), per step, without that evaluation; against the bench step in three rounds of (bench step,
 *       loop), the median of the rounds' ratios;
 *   <li>{@code loop, eval every 50}: the quickstart's evaluation cadence (2,000 held-out sequences every 50 steps);
 *   <li>{@code eval forward / train forward}: per sequence, the evaluation's forward pass over the 2,000 held-out
 *       sequences against the training forward pass of one minibatch;
 *   <li>{@code side by side}: two trials at once in this JVM (two threads), per step, against one alone run just
 *       before (three rounds, the median ratio).
 * </ul>
 * Also prints the process's CPU time in the kernel (system) and user mode and its peak resident set (from /proc).
 * Arguments: {@code [steps [cell]]}, default 2000 lstm. Run by {@code jobs/bin/benchmark --loop}.
 */
public final class LoopBenchmark {
  private LoopBenchmark() {}

  public static void main(String[] args) throws Exception {
    int steps = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    String cell = args.length > 1 ? args[1] : "lstm";
    int seqLen = 60;
    int hidden = 32;
    int batch = 32;
    System.out.printf("loop benchmark: %s, adding T %d, hidden %d, batch %d, %d steps; float kernels %s; float products "
        + "%s%n", cell, seqLen, hidden, batch, steps, io.gradsweep.engine.RecurrentLayer.floatKernels(),
        io.gradsweep.engine.RecurrentLayer.floatProducts());
    // warm-up: JIT the step, the loop and the evaluation
    runTrial(spec(cell, seqLen, hidden, batch, 600, 50, 1));
    benchStep(cell, seqLen, hidden, batch, 300, 300);
    double[] ratio = evalRatio(cell, seqLen, hidden, batch);
    long arrays = trialArrayBytes(cell, seqLen, hidden, batch);
    Usage u0 = Usage.now();
    // the loop against the bench step: three rounds of (bench step, loop), each ratio within its round, so that a
    // drift of the machine's speed between the two measurements does not enter the ratio
    double[] loopRatio = new double[3];
    double bench = Double.NaN;
    double loopEnd = Double.NaN;
    double loopNoEval = Double.NaN;
    TrialResult endRun = null;
    for (int r = 0; r < loopRatio.length; r++) {
      bench = benchStep(cell, seqLen, hidden, batch, 100, 1000);
      endRun = runTrial(spec(cell, seqLen, hidden, batch, steps, steps, 1));
      loopEnd = perStep(endRun, steps);
      // the loop always evaluates at its last step: take that evaluation out (2,000 sequences at the rate above)
      loopNoEval = loopEnd - ratio[0] * 2000 / steps;
      loopRatio[r] = loopNoEval / bench;
    }
    double loop50 = perStep(runTrial(spec(cell, seqLen, hidden, batch, steps, 50, 1)), steps);
    // side by side: three rounds of (one trial alone, then two at once), each ratio within its round
    double[] sideRatio = new double[3];
    double[] side = null;
    double alone = Double.NaN;
    for (int r = 0; r < sideRatio.length; r++) {
      alone = perStep(runTrial(spec(cell, seqLen, hidden, batch, steps, steps, 1)), steps);
      side = sideBySide(spec(cell, seqLen, hidden, batch, steps, steps, 1),
          spec(cell, seqLen, hidden, batch, steps, steps, 2), steps);
      sideRatio[r] = Math.max(side[0], side[1]) / alone;
    }
    Usage u1 = Usage.now();
    System.out.printf("bench step                     %.3f ms (last round)%n", bench);
    System.out.printf("loop, eval at the end          %.3f ms/step; without that evaluation %.3f ms/step (last round); "
        + "loop / bench step %.3f (median of 3 rounds, %.3f-%.3f)%n", loopEnd, loopNoEval, median(loopRatio),
        Arrays.stream(loopRatio).min().orElse(0), Arrays.stream(loopRatio).max().orElse(0));
    TrialResult.Timings tm = endRun.timings();
    System.out.printf("  in it, per step: gradient norms and clipping %.3f ms, logging windows %.3f ms, profile steps "
        + "%.3f ms, the rest (data, step, evaluation at the end) %.3f ms%n", tm.stats() * 1e3 / steps,
        tm.logging() * 1e3 / steps, tm.profile() * 1e3 / steps,
        (tm.training() - tm.stats() - tm.logging() - tm.profile()) * 1e3 / steps);
    System.out.printf("  of the rest, drawing the minibatch (not in the bench step's time) %.3f ms%n",
        sampleMs(cell, seqLen, hidden, batch, 1000));
    System.out.printf("loop, eval every 50            %.3f ms/step  (loop / loop eval at end %.3f)%n", loop50,
        loop50 / loopEnd);
    System.out.printf("eval forward / train forward   %.3f per sequence (eval %.4f ms, train %.4f ms per sequence)%n",
        ratio[0] / ratio[1], ratio[0], ratio[1]);
    System.out.printf("side by side                   %.3f and %.3f ms/step, alone %.3f (last round); slower / alone "
        + "%.3f (median of 3 rounds, %.3f-%.3f)%n", side[0], side[1], alone, median(sideRatio),
        Arrays.stream(sideRatio).min().orElse(0), Arrays.stream(sideRatio).max().orElse(0));
    System.out.printf("process over the measured loops: user %.1f s, system %.1f s, wall %.1f s; peak resident %d MiB"
        + "%n", u1.userS - u0.userS, u1.systemS - u0.systemS, (u1.wallNanos - u0.wallNanos) / 1e9, u1.peakKb / 1024);
    if (arrays >= 0) {
      System.out.printf("one trial's arrays (net, gradients, Adam state, step and evaluation buffers, eval set): "
          + "%.1f MiB of resident set%n", arrays / 1048576.0);
    } else { // memory freed elsewhere in the process while the trial was built: no figure
      System.out.printf("one trial's arrays: not measured this run (the resident set shrank by %.1f MiB while the "
          + "trial was built)%n", -arrays / 1048576.0);
    }
  }

  /**
   * The memory one trial's arrays hold once it has trained a step and evaluated: the growth of this process's
   * resident set (VmRSS) across building and running it, with everything else collected before and after.
   */
  static long trialArrayBytes(String cell, int seqLen, int hidden, int batch) throws InterruptedException {
    settle();
    long b0 = Usage.residentKb() * 1024;
    TrialSpec s = spec(cell, seqLen, hidden, batch, 1, 1, 1);
    SequenceTask task = TrialRunner.task(s);
    RecurrentNet net = TrialRunner.buildNet(s, task, DataType.FLOAT);
    GradientUpdater<?> adam = Optimizers.byName("adam").instantiate(0.003, net.params());
    Batch eval = TrialRunner.evalSet(s, task, DataType.FLOAT);
    Batch b = task.sample(seqLen, batch, new SplittableRandom(3), DataType.FLOAT);
    net.computeGradient(b.x(), b.y(), seqLen, batch, 0, false);
    adam.applyUpdater(net.gradients(), 0, 0);
    net.predict(eval.x(), eval.steps(), eval.size());
    settle();
    long b1 = Usage.residentKb() * 1024;
    if (net.numParams() < 0 || eval.size() < 0 || b.size() < 0) { // keeps them reachable until here
      throw new IllegalStateException();
    }
    return b1 - b0;
  }

  private static void settle() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
  }

  static TrialSpec spec(String cell, int seqLen, int hidden, int batch, int steps, int evalEvery, long seed) {
    return new TrialSpec("bench", "loop", "adding", 2000, 20240601L, seqLen, cell, "lstm".equals(cell) ? null : "tanh",
        io.gradsweep.spec.ClipSpec.NONE, 0, "adam", 0.003, hidden, 1, "default", seed, batch, steps, evalEvery,
        -1.0, evalEvery);
  }

  static TrialResult runTrial(TrialSpec s) {
    try (var run = new NoneTrackingSink().startTrial(null, s)) {
      TrialResult r = new TrialRunner().run(s, run);
      if (r.steps() != s.maxSteps()) {
        throw new IllegalStateException("trial stopped early: " + r.status() + " at " + r.steps());
      }
      return r;
    }
  }

  static double perStep(TrialResult r, int steps) {
    return r.timings().training() * 1e3 / steps;
  }

  /** Median ms of forward + backward + Adam + norms, as the loop does them, over {@code measured} steps. */
  static double benchStep(String cell, int seqLen, int hidden, int batch, int warmup, int measured) {
    TrialSpec s = spec(cell, seqLen, hidden, batch, 1, 1, 1);
    SequenceTask task = TrialRunner.task(s);
    RecurrentNet net = TrialRunner.buildNet(s, task, DataType.FLOAT);
    GradientUpdater<?> adam = Optimizers.byName("adam").instantiate(0.003, net.params());
    SplittableRandom rng = new SplittableRandom(7);
    double[] ms = new double[measured];
    for (int i = 0; i < warmup + measured; i++) {
      Batch b = task.sample(seqLen, batch, rng, DataType.FLOAT);
      long t0 = System.nanoTime();
      net.computeGradient(b.x(), b.y(), seqLen, batch, 0, false);
      GradientNorms.measure(net.blocks());
      adam.applyUpdater(net.gradients(), i, 0);
      net.params().subi(net.gradients());
      if (i >= warmup) {
        ms[i - warmup] = (System.nanoTime() - t0) / 1e6;
      }
    }
    return median(ms);
  }

  /** Median ms of drawing one training minibatch from the task, as the loop does before each step. */
  static double sampleMs(String cell, int seqLen, int hidden, int batch, int n) {
    SequenceTask task = TrialRunner.task(spec(cell, seqLen, hidden, batch, 1, 1, 1));
    SplittableRandom rng = new SplittableRandom(9);
    double[] ms = new double[n];
    for (int i = 0; i < 2 * n; i++) {
      long t0 = System.nanoTime();
      Batch b = task.sample(seqLen, batch, rng, DataType.FLOAT);
      if (i >= n) {
        ms[i - n] = (System.nanoTime() - t0) / 1e6;
      }
      if (b.size() != batch) {
        throw new IllegalStateException("minibatch of " + b.size());
      }
    }
    return median(ms);
  }

  /** {eval forward ms per sequence, training forward ms per sequence}, medians. */
  static double[] evalRatio(String cell, int seqLen, int hidden, int batch) {
    TrialSpec s = spec(cell, seqLen, hidden, batch, 1, 1, 1);
    SequenceTask task = TrialRunner.task(s);
    RecurrentNet net = TrialRunner.buildNet(s, task, DataType.FLOAT);
    Batch eval = TrialRunner.evalSet(s, task, DataType.FLOAT);
    SplittableRandom rng = new SplittableRandom(7);
    Batch b = task.sample(seqLen, batch, rng, DataType.FLOAT);
    int reps = 15;
    double[] e = new double[reps];
    double[] t = new double[reps];
    for (int r = 0; r < reps; r++) {
      long t0 = System.nanoTime();
      net.predict(eval.x(), eval.steps(), eval.size());
      long t1 = System.nanoTime();
      for (int k = 0; k < 20; k++) {
        net.computeGradient(b.x(), b.y(), seqLen, batch, 0, false); // as the loop: training shapes in between
      }
      long t2 = System.nanoTime();
      for (int k = 0; k < 20; k++) {
        net.predict(b.x(), seqLen, batch);
      }
      long t3 = System.nanoTime();
      e[r] = (t1 - t0) / 1e6 / eval.size();
      t[r] = (t3 - t2) / 1e6 / (20.0 * batch);
    }
    return new double[] {median(e), median(t)};
  }

  static double[] sideBySide(TrialSpec a, TrialSpec b, int steps) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<TrialResult>> fs = new ArrayList<>();
      fs.add(pool.submit(() -> runTrial(a)));
      fs.add(pool.submit(() -> runTrial(b)));
      return new double[] {perStep(fs.get(0).get(), steps), perStep(fs.get(1).get(), steps)};
    } finally {
      pool.shutdownNow();
    }
  }

  static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }

  /** CPU times and peak resident set of this process, from /proc (Linux). */
  record Usage(double userS, double systemS, long peakKb, long wallNanos) {
    static long residentKb() {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("VmRSS:")) {
            return Long.parseLong(line.replaceAll("[^0-9]", ""));
          }
        }
      } catch (IOException e) {
        // not Linux: unknown
      }
      return -1;
    }

    static Usage now() {
      try {
        String stat = Files.readString(Path.of("/proc/self/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        double hz = 100.0; // USER_HZ on Linux
        long peak = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
          if (line.startsWith("VmHWM:")) {
            peak = Long.parseLong(line.replaceAll("[^0-9]", ""));
          }
        }
        return new Usage(Long.parseLong(f[11]) / hz, Long.parseLong(f[12]) / hz, peak, System.nanoTime());
      } catch (IOException e) {
        return new Usage(Double.NaN, Double.NaN, -1, System.nanoTime());
      }
    }
  }
}
