package io.gradsweep.engine;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Stacked recurrent layers and a linear {@link Head}: read at the last time step (the default, trained with mean
 * squared error at that step) or at every step, with MSE or softmax cross-entropy, optionally weighted per target
 * row by a mask. All parameters live in one flat vector ([1, n]) and all gradients in another of the same layout, so an
 * ND4J updater and the clipping rules act on them directly.
 *
 * <p>Inputs are time-major and flattened: {@code x} is [T*B, inputSize] with row {@code t*B + i} = step t of
 * example i; targets are [B, outputSize] for a last-step head, [T*B, outputSize] (time-major) for an every-step head.
 *
 * <p>Truncation window k (0 = none): gradients flow back only through steps T-k..T-1. With a last-step head the loss
 * sits at the last step and its gradient reaches back at most k steps. With an every-step head the losses at steps
 * T-k..T-1 contribute to the gradient (each back through the steps from its own to T-k) and the losses at
 * earlier steps contribute nothing (the reported loss still averages over every step). The forward pass still runs
 * over the whole sequence, so the state that enters the window is the true state; it is treated as a constant. One
 * parameter update per minibatch.
 *
 * <p>The last-step MSE head without a mask keeps its own path (the adding problem's step is not slowed by the
 * general one, which computes the loss and its gradient in Java in double precision).
 *
 * <p>Not thread-safe: one network per thread. With {@code threads} > 1 the network's passes use that many threads
 * themselves (see {@link RecurrentLayer}, "Threads"); {@link #close()} ends them.
 */
public final class RecurrentNet implements AutoCloseable {
  private final NetSpec spec;
  private final DataType dtype;
  private final List<RecurrentLayer> layers = new ArrayList<>();
  private final INDArray params;
  private final INDArray grads;
  private final INDArray headW;
  private final INDArray headB;
  private final INDArray headDw;
  private final INDArray headDb;
  private final List<ParamBlock> blocks = new ArrayList<>();
  private INDArray lastHidden;
  private INDArray lastInputGradient;
  /** The training pass's buffers, kept while the sequence shape stays {@link #bufSteps} x {@link #bufBatch}. */
  private int bufSteps = -1;
  private int bufBatch = -1;
  private INDArray yBuf;
  private INDArray dOutBuf;
  /** The last step's rows of {@link #dOutBuf}. */
  private INDArray dOutLast;
  private INDArray[] dxBuf;
  /** The evaluation layers ({@link #predict}) and their block buffers. */
  private List<RecurrentLayer> evalLayers;
  private INDArray evalX;
  private INDArray evalY;
  /** The threads of the passes; null with one thread. */
  private final EngineThreads threads;

  public RecurrentNet(NetSpec spec, long seed, DataType dtype) {
    this(spec, seed, dtype, 1);
  }

  /**
   * A network whose float passes split over {@code threads} threads (the calling one included) where the shape pays
   * for it; 1 = the calling thread alone. The results depend on the seed and, in the last bits, on the thread
   * count: the same count gives the same results.
   */
  public RecurrentNet(NetSpec spec, long seed, DataType dtype, int threads) {
    this(spec, seed, dtype, threads == 1 ? null : new EngineThreads(threads));
  }

  /** With the given threads (null: the calling thread alone), e.g. with another threshold in tests. */
  RecurrentNet(NetSpec spec, long seed, DataType dtype, EngineThreads threads) {
    this.threads = threads;
    this.spec = spec;
    this.dtype = dtype;
    int in = spec.inputSize();
    CellFactory cell = Cells.byName(spec.cell());
    for (int l = 0; l < spec.layers(); l++) {
      layers.add(cell.create("layer" + l, in, spec.hidden(), spec.activation(), spec.forgetBias(), dtype));
      in = spec.hidden();
    }
    layers.forEach(l -> l.useThreads(this.threads));
    long n = 0;
    for (RecurrentLayer l : layers) {
      n += l.paramCount();
    }
    n += (long) spec.hidden() * spec.outputSize() + spec.outputSize();
    params = Nd4j.zeros(dtype, 1, n);
    grads = Nd4j.zeros(dtype, 1, n);
    long off = 0;
    for (RecurrentLayer l : layers) {
      off = l.bind(params, grads, off);
      blocks.addAll(l.blocks());
    }
    headW = RecurrentLayer.view(params, off, spec.hidden(), spec.outputSize());
    headDw = RecurrentLayer.view(grads, off, spec.hidden(), spec.outputSize());
    off += (long) spec.hidden() * spec.outputSize();
    headB = RecurrentLayer.view(params, off, 1, spec.outputSize());
    headDb = RecurrentLayer.view(grads, off, 1, spec.outputSize());
    blocks.add(new ParamBlock("head", "W", headW, headDw));
    blocks.add(new ParamBlock("head", "b", headB, headDb));

    SplittableRandom rng = new SplittableRandom(seed);
    for (RecurrentLayer l : layers) {
      l.init(rng.split(), spec.init());
    }
    InitScheme.xavier(headW, spec.hidden(), spec.outputSize(), rng.split());
    headB.assign(0);
  }

  public NetSpec spec() {
    return spec;
  }

  /** Threads of the passes (1 = the calling thread alone). */
  public int threads() {
    return threads == null ? 1 : threads.count();
  }

  /** Ends the threads of the passes, if any (idempotent); the network stays usable, on the calling thread alone. */
  @Override
  public void close() {
    if (threads != null) {
      threads.close();
    }
  }

  public DataType dataType() {
    return dtype;
  }

  /** Flat parameter vector [1, n]; the views in {@link #blocks()} point into it. */
  public INDArray params() {
    return params;
  }

  /** Flat gradient vector [1, n], same layout as {@link #params()}. */
  public INDArray gradients() {
    return grads;
  }

  public long numParams() {
    return params.length();
  }

  /** Parameter blocks in layout order: each recurrent layer's W, R, b, then the head's W, b. */
  public List<ParamBlock> blocks() {
    return Collections.unmodifiableList(blocks);
  }

  public List<RecurrentLayer> layers() {
    return Collections.unmodifiableList(layers);
  }

  /**
   * Outputs of the head for a batch: [B, outputSize] for a last-step head, [T*B, outputSize] for an every-step one;
   * values for MSE, logits (before the softmax) for cross-entropy. A new array.
   *
   * <p>This is the evaluation path: forward passes only, through a second set of layers that share this network's
   * parameters and never hold gradient state, over blocks of at most {@value #EVAL_BLOCK} examples (a held-out set
   * of thousands of sequences would otherwise need buffers for all of them at once, re-allocated whenever the
   * training minibatch and the evaluation alternate). The training state of the network (the last forward pass
   * that {@link #computeGradient} backpropagates through, the activation health) is left alone.
   */
  public INDArray predict(INDArray x, int steps, int batch) {
    if (steps < 1 || batch < 1) {
      throw new IllegalArgumentException("steps and batch must be >= 1, got " + steps + ", " + batch);
    }
    if (x.rank() != 2 || x.rows() != (long) steps * batch || x.columns() != spec.inputSize()) {
      throw new IllegalArgumentException("input must be [" + ((long) steps * batch) + ", " + spec.inputSize()
          + "] (steps*batch, in), got " + java.util.Arrays.toString(x.shape()));
    }
    boolean every = spec.head().readout() == Head.Readout.EVERY_STEP;
    int k = spec.outputSize();
    int blocks = (batch + EVAL_BLOCK - 1) / EVAL_BLOCK;
    int blk = (batch + blocks - 1) / blocks; // equal blocks: the last one is at most blocks - 1 rows short
    INDArray y = Nd4j.zeros(dtype, every ? (long) steps * batch : batch, k);
    INDArray xc = x.ordering() == 'c' && !x.isView() ? x : x.dup('c');
    if (blocks == 1) {
      evalBlock(xc, steps, batch, y);
      return y;
    }
    int in = spec.inputSize();
    if (evalX == null || evalX.rows() != (long) steps * blk || evalY == null
        || evalY.rows() != (every ? (long) steps * blk : blk)) {
      evalX = Nd4j.zeros(dtype, (long) steps * blk, in);
      evalY = Nd4j.zeros(dtype, every ? (long) steps * blk : blk, k);
    }
    for (int lo = 0; lo < batch; lo += blk) {
      int n = Math.min(blk, batch - lo);
      for (int t = 0; t < steps; t++) {
        copyRows(xc, (long) t * batch + lo, evalX, (long) t * blk, n, in);
        if (n < blk) {
          zeroRows(evalX, (long) t * blk + n, blk - n, in);
        }
      }
      evalBlock(evalX, steps, blk, evalY);
      if (every) {
        for (int t = 0; t < steps; t++) {
          copyRows(evalY, (long) t * blk, y, (long) t * batch + lo, n, k);
        }
      } else {
        copyRows(evalY, 0, y, lo, n, k);
      }
    }
    return y;
  }

  /** Examples per block of the evaluation forward pass. */
  static final int EVAL_BLOCK = 64;

  /** The head's outputs for one block of examples through the evaluation layers, written into {@code out}. */
  private void evalBlock(INDArray x, int steps, int batch, INDArray out) {
    INDArray h = x;
    List<RecurrentLayer> ls = evalLayers();
    for (RecurrentLayer l : ls) {
      h = l.forwardView(h, steps, batch, null, null);
    }
    // h_T as the layer's own step view (a view of a view would trip ND4J)
    INDArray top = spec.head().readout() == Head.Readout.EVERY_STEP ? h : ls.get(ls.size() - 1).hsStep[steps];
    Blas.gemm(top, headW, out, false, false, 1.0, 0.0);
    addBias(out, headB);
  }

  /** Layers for forward passes only: built on first use, bound to this network's parameters, no gradients. */
  private List<RecurrentLayer> evalLayers() {
    if (evalLayers == null) {
      List<RecurrentLayer> twins = new ArrayList<>();
      CellFactory cell = Cells.byName(spec.cell());
      for (RecurrentLayer l : layers) {
        RecurrentLayer twin = cell.create(l.name(), l.inputSize(), l.hiddenSize(), spec.activation(),
            spec.forgetBias(), dtype);
        java.util.Map<String, INDArray> p = new java.util.LinkedHashMap<>();
        for (ParamBlock b : l.blocks()) {
          p.put(b.type(), b.param());
        }
        twin.bind(p, null);
        twin.setForwardOnly();
        twin.useThreads(threads);
        twins.add(twin);
      }
      evalLayers = twins;
    }
    return evalLayers;
  }

  /** The evaluation layers, for tests. */
  List<RecurrentLayer> evalLayersForTest() {
    return evalLayers();
  }

  /**
   * Copies {@code n} rows of {@code cols} elements from row {@code from} of {@code src} to row {@code to} of dst
   * (contiguous row-major arrays; indices into the NIO view as {@link Buf} takes them, from the array's offset).
   */
  private static void copyRows(INDArray src, long from, INDArray dst, long to, int n, int cols) {
    int len = n * cols;
    int s = (int) (src.offset() + from * cols);
    int d = (int) (dst.offset() + to * cols);
    if (src.dataType() == DataType.FLOAT) {
      dst.data().asNioFloat().put(d, src.data().asNioFloat(), s, len);
    } else {
      dst.data().asNioDouble().put(d, src.data().asNioDouble(), s, len);
    }
  }

  private static void zeroRows(INDArray a, long from, int n, int cols) {
    int o = (int) (a.offset() + from * cols);
    if (a.dataType() == DataType.FLOAT) {
      java.nio.FloatBuffer fb = a.data().asNioFloat();
      for (int e = 0; e < n * cols; e++) {
        fb.put(o + e, 0f);
      }
    } else {
      java.nio.DoubleBuffer db = a.data().asNioDouble();
      for (int e = 0; e < n * cols; e++) {
        db.put(o + e, 0.0);
      }
    }
  }

  /**
   * The training forward pass: through the training layers, into buffers kept while the shape stays the same;
   * sets {@link #lastHidden} for the backward pass and returns the head's outputs (valid until the next pass).
   */
  private INDArray forwardTrain(INDArray x, int steps, int batch) {
    ensureTrainBuffers(steps, batch);
    INDArray h = x;
    for (RecurrentLayer l : layers) {
      h = l.forwardView(h, steps, batch, null, null);
    }
    boolean every = spec.head().readout() == Head.Readout.EVERY_STEP;
    lastHidden = every ? h : layers.get(layers.size() - 1).hsStep[steps];
    Blas.gemm(lastHidden, headW, yBuf, false, false, 1.0, 0.0);
    addBias(yBuf, headB);
    return yBuf;
  }

  /** Allocates the training pass's output, output-gradient and input-gradient buffers for a new shape. */
  private void ensureTrainBuffers(int steps, int batch) {
    if (steps == bufSteps && batch == bufBatch) {
      return;
    }
    boolean every = spec.head().readout() == Head.Readout.EVERY_STEP;
    long rows = (long) steps * batch;
    yBuf = Nd4j.zeros(dtype, every ? rows : batch, spec.outputSize());
    dOutBuf = Nd4j.zeros(dtype, rows, spec.hidden());
    dOutLast = dOutBuf.get(NDArrayIndex.interval(rows - batch, rows), NDArrayIndex.all());
    dxBuf = new INDArray[layers.size()];
    for (int l = 0; l < layers.size(); l++) {
      dxBuf[l] = Nd4j.zeros(dtype, rows, layers.get(l).inputSize());
    }
    bufSteps = steps;
    bufBatch = batch;
  }

  /** The head's loss of the predictions against {@code y} (MSE: mean over examples and outputs). */
  public double loss(INDArray x, INDArray y, int steps, int batch) {
    return loss(x, y, null, steps, batch);
  }

  /** The head's loss with target rows weighted by {@code mask} (null = all 1), see {@link Head#loss}. */
  public double loss(INDArray x, INDArray y, double[] mask, int steps, int batch) {
    if (mask == null && spec.head().equals(Head.LAST_STEP_MSE)) {
      INDArray diff = predict(x, steps, batch).subi(y);
      return diff.muli(diff).meanNumber().doubleValue();
    }
    INDArray z = predict(x, steps, batch);
    checkTargets(y, z);
    return spec.head().loss(doubles(z), doubles(y), mask, (int) z.rows(), spec.outputSize(), null);
  }

  /**
   * Forward and backward pass for one minibatch: fills {@link #gradients()} with the gradient of the mean loss
   * and returns the loss.
   *
   * @param window truncation window k (0 = full BPTT)
   */
  public double computeGradient(INDArray x, INDArray y, int steps, int batch, int window) {
    return computeGradient(x, y, steps, batch, window, true);
  }

  /**
   * As {@link #computeGradient(INDArray, INDArray, int, int, int)}; without {@code inputGradient} the bottom layer
   * skips dL/dx (a product over all steps that only the gradient profile reads), and {@link #inputGradient()} is
   * zero.
   */
  public double computeGradient(INDArray x, INDArray y, int steps, int batch, int window, boolean inputGradient) {
    return computeGradient(x, y, null, steps, batch, window, inputGradient);
  }

  /**
   * As {@link #computeGradient(INDArray, INDArray, int, int, int, boolean)}, with the target rows weighted by
   * {@code mask} (one weight >= 0 per row of {@code y}, null = all 1): the loss is sum_r w_r l_r / sum_r w_r
   * ({@link Head#loss}); a row of weight 0 adds nothing to the loss or the gradient.
   */
  public double computeGradient(INDArray x, INDArray y, double[] mask, int steps, int batch, int window,
      boolean inputGradient) {
    if (window < 0 || window > steps) {
      throw new IllegalArgumentException("window " + window + " outside 0.." + steps);
    }
    if (mask != null || !spec.head().equals(Head.LAST_STEP_MSE)) {
      return headGradient(x, y, mask, steps, batch, window, inputGradient);
    }
    INDArray out = forwardTrain(x, steps, batch);
    checkTargets(y, out);
    INDArray dy = mseGradient(out, y.ordering() == 'c' && !y.isView() ? y : y.dup('c'), headDb);
    double loss = lastLoss;
    Blas.gemm(lastHidden, dy, headDw, true, false, 1.0, 0.0);
    INDArray dOut = dOutBuf; // rows before the last step stay zero: only the last step's rows are ever written
    INDArray lastRows = dOutLast;
    Blas.gemm(dy, headW, lastRows, false, true, 1.0, 0.0);
    backward(dOut, steps, window, inputGradient);
    return loss;
  }

  /** The general head: loss and dLoss/dz in Java (double), then the same backward pass. */
  private double headGradient(INDArray x, INDArray y, double[] mask, int steps, int batch, int window,
      boolean inputGradient) {
    INDArray z = forwardTrain(x, steps, batch);
    checkTargets(y, z);
    int rows = (int) z.rows();
    int k = spec.outputSize();
    double[] dz = new double[rows * k];
    double loss = spec.head().loss(doubles(z), doubles(y), mask, rows, k, dz);
    INDArray dy = Nd4j.create(dz, new long[] {rows, k}, DataType.DOUBLE);
    if (dtype != DataType.DOUBLE) {
      dy = dy.castTo(dtype);
    }
    Blas.gemm(lastHidden, dy, headDw, true, false, 1.0, 0.0);
    headDb.assign(dy.sum(true, 0));
    INDArray dOut = dOutBuf; // written whole (every step) or only at the last step's rows (the others stay zero)
    INDArray target = rows == steps * batch ? dOut
        : dOutLast;
    Blas.gemm(dy, headW, target, false, true, 1.0, 0.0);
    backward(dOut, steps, window, inputGradient);
    return loss;
  }

  private void backward(INDArray dOut, int steps, int window, boolean inputGradient) {
    int first = window == 0 ? 0 : steps - window;
    for (int l = layers.size() - 1; l >= 0; l--) {
      layers.get(l).setInputGradientWanted(l > 0 || inputGradient);
      layers.get(l).backwardInto(dOut, first, dxBuf[l]);
      dOut = dxBuf[l];
    }
    lastInputGradient = dOut;
  }

  private void checkTargets(INDArray y, INDArray z) {
    if (y.rank() != 2 || y.rows() != z.rows() || y.columns() != z.columns()) {
      throw new IllegalArgumentException("targets must be " + java.util.Arrays.toString(z.shape()) + " for a "
          + spec.head().readout() + " head, got " + java.util.Arrays.toString(y.shape()));
    }
  }

  private static double[] doubles(INDArray a) {
    return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
  }

  /** Sum of the squares of a float or double array's elements, in double. */
  /** The loss of the last {@link #mseGradient}. */
  private double lastLoss;

  /**
   * The last-step MSE head in one Java pass over its [B, k] output (a few ND4J calls cost 20-50 us each, as much as
   * a tenth of a step at hidden 64, batch 32): out becomes dL/dout = (out - y) 2 / (B k), {@code db} its column
   * sums, {@link #lastLoss} the mean of (out - y)^2. Arithmetic in double, stored in the arrays' type (for float,
   * the same as float arithmetic for the difference).
   */
  private INDArray mseGradient(INDArray out, INDArray y, INDArray db) {
    Buf ob = Buf.of(out);
    Buf yb = Buf.of(y);
    Buf dbb = Buf.of(db);
    int rows = (int) out.rows();
    int k = (int) out.columns();
    double scale = 2.0 / ((double) rows * k);
    double sq = 0;
    double[] colSums = new double[k];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < k; j++) {
        int e = i * k + j;
        ob.set(e, ob.get(e) - yb.get(e));
        double d = ob.get(e); // rounded to the array's type
        sq += d * d;
        ob.set(e, d * scale);
        colSums[j] += ob.get(e);
      }
    }
    for (int j = 0; j < k; j++) {
      dbb.set(j, colSums[j]);
    }
    lastLoss = sq / ((double) rows * k);
    return out;
  }

  /** a[i, :] += b[0, :] for every row ([rows, k] and [1, k], c-ordered), in Java (no ND4J call). */
  private static void addBias(INDArray a, INDArray b) {
    Buf ab = Buf.of(a);
    Buf bb = Buf.of(b);
    int rows = (int) a.rows();
    int k = (int) a.columns();
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < k; j++) {
        ab.add(i * k + j, bb.get(j));
      }
    }
  }

  /**
   * dL/dx of the last {@link #computeGradient} call, [T*B, inputSize]; the network's own buffer, valid until the
   * next call.
   */
  public INDArray inputGradient() {
    return lastInputGradient;
  }
}
