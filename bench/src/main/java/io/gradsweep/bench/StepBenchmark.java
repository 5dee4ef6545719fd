package io.gradsweep.bench;

import io.gradsweep.engine.Activation;
import io.gradsweep.engine.Cells;
import io.gradsweep.engine.InitScheme;
import io.gradsweep.engine.NetSpec;
import io.gradsweep.engine.RecurrentNet;
import io.gradsweep.optim.Optimizers;
import io.gradsweep.task.AddingTask;
import io.gradsweep.task.Batch;
import io.gradsweep.train.GradientNorms;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * Median wall time of one training step (forward, last-step MSE, backward, Adam) per cell of the gradsweep engine,
 * of the gradient norm measurement the runner adds to each step, and of DL4J's stock {@code SimpleRnn} and
 * {@code LSTM} layers doing the same step in a {@code MultiLayerNetwork} (workspaces on, the DL4J default). Run with {@code OMP_NUM_THREADS=1} for single-thread figures:
 * <pre>java -cp core/target/classes:$(cat core/target/classpath.txt) io.gradsweep.bench.StepBenchmark 64 32 100</pre>
 * (the same harness, one JVM, so the engines compare as ratios on a noisy machine).
 * Arguments: hidden, batch, T, [warmup steps, measured steps]; or shapes {@code HIDDENxBATCHxT[/WARMUP/MEASURED]},
 * e.g. {@code 64x32x100 128x64x400/5/15} for both benchmark shapes in one JVM. Options before them:
 * {@code --threads N} the engine's threads per network (default 1; a multi-core trial), {@code --no-dl4j} skip DL4J's
 * stock layers, {@code --cells lstm,gru} only these cells (default all; DL4J's layers for rnn and lstm). {@code jobs/bin/benchmark} runs it next to the PyTorch benchmark of {@code jobs/bench-torch}.
 */
public final class StepBenchmark {
  private StepBenchmark() {}

  record Shape(int hidden, int batch, int steps, int warmup, int measured) {}

  public static void main(String[] args) {
    int threads = 1;
    boolean dl4j = true;
    List<String> cells = Cells.names();
    int i = 0;
    while (i < args.length && args[i].startsWith("--")) {
      switch (args[i]) {
        case "--threads" -> {
          if (i + 1 >= args.length || !args[i + 1].matches("[1-9][0-9]*")) {
            throw new IllegalArgumentException("--threads needs a whole number >= 1");
          }
          threads = Integer.parseInt(args[++i]);
        }
        case "--no-dl4j" -> dl4j = false;
        case "--cells" -> {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException("--cells needs a comma-separated list of " + Cells.names());
          }
          cells = cells(args[++i]);
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + " (expected --threads N, --no-dl4j, --cells LIST)");
      }
      i++;
    }
    for (Shape s : parse(java.util.Arrays.copyOfRange(args, i, args.length))) {
      run(s.hidden(), s.batch(), s.steps(), s.warmup(), s.measured(), threads, dl4j, cells);
    }
  }

  /** The cells of a {@code --cells} list ({@code lstm,gru}), each one of {@link Cells#names()}. */
  static List<String> cells(String list) {
    List<String> out = new ArrayList<>();
    for (String c : list.split(",")) {
      if (!Cells.names().contains(c)) {
        throw new IllegalArgumentException("--cells: unknown cell '" + c + "', expected some of " + Cells.names());
      }
      out.add(c);
    }
    return out;
  }

  /**
   * {@code hidden batch T [warmup measured]} (one shape), or one or more {@code HIDDENxBATCHxT[/WARMUP/MEASURED]}
   * (each shape in turn, in this JVM), e.g. {@code 64x32x100 128x64x400/5/15}. Defaults: 64x32x100/20/50.
   */
  static List<Shape> parse(String[] args) {
    List<Shape> shapes = new ArrayList<>();
    if (args.length == 0) {
      shapes.add(new Shape(64, 32, 100, 20, 50));
    } else if (!args[0].contains("x")) {
      shapes.add(new Shape(Integer.parseInt(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 32,
          args.length > 2 ? Integer.parseInt(args[2]) : 100, args.length > 3 ? Integer.parseInt(args[3]) : 20,
          args.length > 4 ? Integer.parseInt(args[4]) : 50));
    } else {
      for (String a : args) {
        String[] parts = a.split("/");
        String[] d = parts[0].split("x");
        if (d.length != 3) {
          throw new IllegalArgumentException("shape must be HIDDENxBATCHxT[/WARMUP/MEASURED], got " + a);
        }
        shapes.add(new Shape(Integer.parseInt(d[0]), Integer.parseInt(d[1]), Integer.parseInt(d[2]),
            parts.length > 1 ? Integer.parseInt(parts[1]) : 20, parts.length > 2 ? Integer.parseInt(parts[2]) : 50));
      }
    }
    return shapes;
  }

  static void run(int hidden, int batch, int steps, int warmup, int measured, int threads, boolean dl4j,
      List<String> cells) {
    System.out.printf("shape: hidden %d, batch %d, T %d; %d warm-up + %d measured steps; OMP_NUM_THREADS=%s; "
        + "float kernels %s; float products %s; engine threads %d%n", hidden, batch, steps, warmup, measured,
        System.getenv("OMP_NUM_THREADS"), io.gradsweep.engine.RecurrentLayer.floatKernels(),
        io.gradsweep.engine.RecurrentLayer.floatProducts(), threads);
    for (String cell : cells) {
      NetSpec ns = new NetSpec(cell, Activation.TANH, 2, hidden, 1, 1, InitScheme.DEFAULT, 1.0);
      RecurrentNet net = new RecurrentNet(ns, 1, DataType.FLOAT, threads);
      GradientUpdater<?> adam = Optimizers.byName("adam").instantiate(1e-3, net.params());
      AddingTask task = new AddingTask();
      SplittableRandom rng = new SplittableRandom(1);
      double[] stepMs = new double[measured];
      double[] statsMs = new double[measured];
      for (int i = 0; i < warmup + measured; i++) {
        Batch b = task.sample(steps, batch, rng, DataType.FLOAT);
        long t0 = System.nanoTime();
        net.computeGradient(b.x(), b.y(), steps, batch, 0, false); // as a sweep step: no dL/dx (PyTorch: none)
        adam.applyUpdater(net.gradients(), i, 0);
        net.params().subi(net.gradients());
        long t1 = System.nanoTime();
        GradientNorms.measure(net.blocks());
        long t2 = System.nanoTime();
        if (i >= warmup) {
          stepMs[i - warmup] = (t1 - t0) / 1e6;
          statsMs[i - warmup] = (t2 - t1) / 1e6;
        }
      }
      System.out.printf("%-5s median step %.2f ms (min %.2f), gradient norms %.3f ms%n", cell, median(stepMs),
          Arrays.stream(stepMs).min().orElse(0), median(statsMs));
      evalForward(cell, net, task, hidden, batch, steps);
      net.close();
    }
    if (dl4j) {
      stockDl4j(hidden, batch, steps, warmup, measured, cells);
    }
  }

  /** Held-out sequences of the evaluation timing: the quickstart's eval_size. */
  static final int EVAL_SIZE = 2000;

  /**
   * Per sequence, the evaluation's forward pass ({@link RecurrentNet#predict} over {@value #EVAL_SIZE} held-out
   * sequences, as a trial evaluates) against the training step's forward pass (the training layers' forward over
   * one minibatch, which also stores what the backward pass needs); median over repetitions, each after a training
   * step, as evaluations fall between steps in a trial.
   */
  static void evalForward(String cell, RecurrentNet net, AddingTask task, int hidden, int batch, int steps) {
    SplittableRandom rng = new SplittableRandom(2);
    Batch eval = task.sample(steps, EVAL_SIZE, rng, DataType.FLOAT);
    Batch b = task.sample(steps, batch, rng, DataType.FLOAT);
    // as many evaluations as fit about the time of the measured steps, at least 3
    int reps = Math.max(3, Math.min(15, (int) (20_000_000L / ((long) hidden * hidden * steps * 4))));
    double[] evalMs = new double[reps];
    double[] trainMs = new double[reps];
    int trainReps = Math.max(1, EVAL_SIZE / batch / 4);
    for (int r = 0; r < reps + 1; r++) {
      net.computeGradient(b.x(), b.y(), steps, batch, 0, false);
      long t0 = System.nanoTime();
      net.predict(eval.x(), steps, EVAL_SIZE);
      long t1 = System.nanoTime();
      for (int k = 0; k < trainReps; k++) {
        INDArray h = b.x();
        for (var l : net.layers()) {
          h = l.forwardView(h, steps, batch, null, null);
        }
      }
      long t2 = System.nanoTime();
      if (r > 0) { // the first round warms the evaluation path up
        evalMs[r - 1] = (t1 - t0) / 1e6 / EVAL_SIZE;
        trainMs[r - 1] = (t2 - t1) / 1e6 / ((double) trainReps * batch);
      }
    }
    System.out.printf("%-5s eval forward %.5f ms/seq, train forward %.5f ms/seq, ratio %.2f%n", cell,
        median(evalMs), median(trainMs), median(evalMs) / median(trainMs));
  }

  /** DL4J stock layers: {@code [SimpleRnn|LSTM] -> LastTimeStep -> OutputLayer(MSE)}, Adam, via fit(). */
  static void stockDl4j(int hidden, int batch, int steps, int warmup, int measured, List<String> cells) {
    for (String cell : new String[] {"SimpleRnn", "LSTM"}) {
      if (!cells.contains(cell.equals("LSTM") ? "lstm" : "rnn")) {
        continue;
      }
      org.deeplearning4j.nn.conf.layers.Layer rnn = cell.equals("SimpleRnn")
          ? new org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn.Builder().nIn(2).nOut(hidden)
              .activation(org.nd4j.linalg.activations.Activation.TANH).build()
          : new org.deeplearning4j.nn.conf.layers.LSTM.Builder().nIn(2).nOut(hidden)
              .activation(org.nd4j.linalg.activations.Activation.TANH).build();
      var conf = new org.deeplearning4j.nn.conf.NeuralNetConfiguration.Builder().seed(1)
          .dataType(DataType.FLOAT).updater(new org.nd4j.linalg.learning.config.Adam(1e-3)).list()
          .layer(new org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep(rnn))
          .layer(new org.deeplearning4j.nn.conf.layers.OutputLayer.Builder(
              org.nd4j.linalg.lossfunctions.LossFunctions.LossFunction.MSE).nIn(hidden).nOut(1)
              .activation(org.nd4j.linalg.activations.Activation.IDENTITY).build())
          .build();
      var net = new org.deeplearning4j.nn.multilayer.MultiLayerNetwork(conf);
      net.init();
      AddingTask task = new AddingTask();
      SplittableRandom rng = new SplittableRandom(1);
      double[] stepMs = new double[measured];
      for (int i = 0; i < warmup + measured; i++) {
        Batch b = task.sample(steps, batch, rng, DataType.FLOAT);
        // time-major [T*B, 2] -> DL4J's [B, 2, T]
        var x = b.x().reshape('c', steps, batch, 2).permute(1, 2, 0).dup('f');
        long t0 = System.nanoTime();
        net.fit(x, b.y());
        long t1 = System.nanoTime();
        if (i >= warmup) {
          stepMs[i - warmup] = (t1 - t0) / 1e6;
        }
      }
      System.out.printf("dl4j-%-9s median step %.2f ms (min %.2f)%n", cell, median(stepMs),
          Arrays.stream(stepMs).min().orElse(0));
    }
  }

  private static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }
}
