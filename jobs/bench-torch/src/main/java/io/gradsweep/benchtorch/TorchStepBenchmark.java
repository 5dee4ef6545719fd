package io.gradsweep.benchtorch;

import static org.bytedeco.pytorch.global.torch.from_blob;
import static org.bytedeco.pytorch.global.torch.globalContext;
import static org.bytedeco.pytorch.global.torch.hasMKL;
import static org.bytedeco.pytorch.global.torch.hasMKLDNN;
import static org.bytedeco.pytorch.global.torch.get_num_interop_threads;
import static org.bytedeco.pytorch.global.torch.get_num_threads;
import static org.bytedeco.pytorch.global.torch.manual_seed;
import static org.bytedeco.pytorch.global.torch.mse_loss;
import static org.bytedeco.pytorch.global.torch.set_num_interop_threads;
import static org.bytedeco.pytorch.global.torch.set_num_threads;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.GRUImpl;
import org.bytedeco.pytorch.LSTMImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.RNNImpl;
import org.bytedeco.pytorch.Tensor;

/**
 * PyTorch's counterpart of core's {@code StepBenchmark}: median wall time of one training step of libtorch's
 * {@code nn::RNN} (tanh), {@code nn::LSTM} and {@code nn::GRU} (one layer, input 2) with a {@code Linear(hidden, 1)}
 * head on the last time step, MSE, Adam (lr 1e-3): zero_grad, forward, loss, backward, step. One intra-op thread
 * ({@code at::set_num_threads(1)}, one inter-op thread; run with {@code OMP_NUM_THREADS=1} as well), or N with
 * {@code --threads N} before the shapes ({@code at::set_num_threads(N)}); {@code --cells lstm,gru} times only these
 * cells (default all three). Denormal floats are flushed to zero ({@code setFlushDenormal(true)}), as gradsweep's
 * backward kernels flush them, unless {@code --denormals keep} (libtorch's default): a vanishing gradient runs
 * through the subnormal range, where each x86 operation takes a microcode assist, and at long T that alone made
 * libtorch's median step several times slower and its spread huge. Inputs are adding-problem batches,
 * time-major {@code [T, B, 2]}, made before the timed region as in StepBenchmark.
 *
 * <p>Arguments: the same as StepBenchmark: {@code hidden batch T [warmup measured]}, or one or more shapes
 * {@code HIDDENxBATCHxT[/WARMUP/MEASURED]}, e.g. {@code 64x32x100 128x64x400/5/15}.
 */
public final class TorchStepBenchmark {
  private TorchStepBenchmark() {}

  record Shape(int hidden, int batch, int steps, int warmup, int measured) {}

  public static void main(String[] args) {
    int threads = 1;
    boolean flushDenormals = true;
    List<String> cells = List.of("RNN", "LSTM", "GRU");
    while (args.length > 0 && args[0].startsWith("--")) {
      if (args[0].equals("--threads")) {
        if (args.length < 2 || !args[1].matches("[1-9][0-9]*")) {
          throw new IllegalArgumentException("--threads needs a whole number >= 1");
        }
        threads = Integer.parseInt(args[1]);
      } else if (args[0].equals("--cells")) {
        if (args.length < 2) {
          throw new IllegalArgumentException("--cells needs a comma-separated list of rnn, lstm, gru");
        }
        List<String> chosen = new ArrayList<>();
        for (String c : args[1].split(",")) {
          String t = c.toUpperCase(java.util.Locale.ROOT);
          if (!cells.contains(t)) {
            throw new IllegalArgumentException("--cells: unknown cell '" + c + "', expected some of rnn, lstm, gru");
          }
          chosen.add(t);
        }
        cells = chosen;
      } else if (args[0].equals("--denormals")) {
        if (args.length < 2 || !(args[1].equals("flush") || args[1].equals("keep"))) {
          throw new IllegalArgumentException("--denormals needs flush or keep");
        }
        flushDenormals = args[1].equals("flush");
      } else {
        throw new IllegalArgumentException(
            "unknown option " + args[0] + " (expected --threads N, --cells LIST, --denormals flush|keep)");
      }
      args = Arrays.copyOfRange(args, 2, args.length);
    }
    // Before any thread pool starts: threads created later inherit this thread's floating-point environment
    // (POSIX pthread_create), so libtorch's intra-op threads flush as well.
    boolean flushing = flushDenormals && globalContext().setFlushDenormal(true);
    set_num_interop_threads(1);
    set_num_threads(threads);
    manual_seed(1);
    System.out.printf("libtorch intra-op threads %d, inter-op threads %d, denormals %s%n", get_num_threads(),
        get_num_interop_threads(), flushing ? "flushed to zero (at::globalContext().setFlushDenormal(true))"
            : flushDenormals ? "kept (this CPU cannot flush them)" : "kept (libtorch's default)");
    System.out.printf("libtorch built with MKL %s, oneDNN (MKLDNN) %s, BLAS: %s%n", hasMKL(), hasMKLDNN(),
        hasMKL() ? "MKL" : "its bundled one");
    for (Shape s : parse(args)) {
      System.out.printf("shape: hidden %d, batch %d, T %d; %d warm-up + %d measured steps; OMP_NUM_THREADS=%s%n",
          s.hidden(), s.batch(), s.steps(), s.warmup(), s.measured(), System.getenv("OMP_NUM_THREADS"));
      for (String cell : cells) {
        double[] ms = run(cell, s);
        System.out.printf("torch-%-8s median step %.2f ms (min %.2f)%n", cell, median(ms),
            Arrays.stream(ms).min().orElse(0));
      }
    }
  }

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

  static double[] run(String cell, Shape s) {
    try (PointerScope outer = new PointerScope()) {
      Module net = new Module();
      Module rnn = switch (cell) {
        case "RNN" -> net.register_module("rnn", new RNNImpl(2, s.hidden()));
        case "LSTM" -> net.register_module("rnn", new LSTMImpl(2, s.hidden()));
        case "GRU" -> net.register_module("rnn", new GRUImpl(2, s.hidden()));
        default -> throw new IllegalArgumentException(cell);
      };
      LinearImpl head = net.register_module("head", new LinearImpl(s.hidden(), 1));
      Adam adam = new Adam(net.parameters(), new AdamOptions(1e-3));
      SplittableRandom rng = new SplittableRandom(1);
      double[] ms = new double[s.measured()];
      for (int i = 0; i < s.warmup() + s.measured(); i++) {
        try (PointerScope inner = new PointerScope()) {
          Tensor[] xy = addingBatch(s.steps(), s.batch(), rng);
          long t0 = System.nanoTime();
          adam.zero_grad();
          Tensor out = switch (cell) {
            case "RNN" -> ((RNNImpl) rnn).forward(xy[0]).get0();
            case "LSTM" -> ((LSTMImpl) rnn).forward(xy[0]).get0();
            default -> ((GRUImpl) rnn).forward(xy[0]).get0();
          };
          Tensor loss = mse_loss(head.forward(out.select(0, s.steps() - 1)), xy[1]);
          loss.backward();
          adam.step();
          long t1 = System.nanoTime();
          if (i >= s.warmup()) {
            ms[i - s.warmup()] = (t1 - t0) / 1e6;
          }
          if (i == s.warmup() + s.measured() - 1 && !Float.isFinite(loss.item_float())) {
            throw new IllegalStateException(cell + ": loss is not finite");
          }
        }
      }
      return ms;
    }
  }

  /**
   * The adding problem (as core's AddingTask): x time-major [T, B, 2] = [value ~ U(0,1), marker], y [B, 1]. A copy
   * on purpose: this module cannot depend on core, whose ND4J needs JavaCPP 1.5.7 while libtorch's presets need
   * 1.5.11, and the two cannot share a class path.
   */
  static Tensor[] addingBatch(int steps, int size, SplittableRandom rng) {
    float[] x = new float[steps * size * 2];
    float[] y = new float[size];
    int half = steps / 2;
    for (int i = 0; i < size; i++) {
      int m1 = rng.nextInt(half);
      int m2 = half + rng.nextInt(steps - half);
      double sum = 0;
      for (int t = 0; t < steps; t++) {
        float v = (float) rng.nextDouble();
        int row = t * size + i;
        x[2 * row] = v;
        if (t == m1 || t == m2) {
          x[2 * row + 1] = 1f;
          sum += v;
        }
      }
      y[i] = (float) sum;
    }
    // from_blob does not own the memory: clone() copies it into a tensor that does
    Tensor xt = from_blob(new FloatPointer(x), steps, size, 2).clone();
    Tensor yt = from_blob(new FloatPointer(y), size, 1).clone();
    return new Tensor[] {xt, yt};
  }

  static double median(double[] v) {
    double[] c = v.clone();
    Arrays.sort(c);
    return c[c.length / 2];
  }
}
