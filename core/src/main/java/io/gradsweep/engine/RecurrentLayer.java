package io.gradsweep.engine;

import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A recurrent layer of the BPTT engine: parameters {@code W [in, G]}, {@code R [hidden, G]}, {@code b [1, G]}
 * (G = hidden times the number of gate blocks), computed over a whole sequence at once.
 *
 * <p>Sequences are time-major and flattened: row {@code t * batch + i} of an array holds step t of example i.
 * The forward pass projects all time steps' inputs in one matrix product; each step then costs one matrix
 * product for the recurrence and one fused Java loop for the element-wise math, on buffers allocated once per
 * sequence shape. The backward pass writes dL/dh_t for every step into {@link #hiddenGradients()}, which is how
 * the gradient probes see the per-time-step profile without a second pass.
 *
 * <p>Truncation: {@code backward(dOut, first)} propagates gradients only through steps {@code first..T-1};
 * the gradient reaching earlier steps, and their contribution to the weight gradients, is exactly zero.
 *
 * <p>Not thread-safe: a layer belongs to one network, used by one thread.
 */
public abstract class RecurrentLayer {
  protected final String name;
  protected final int in;
  protected final int hidden;
  protected final int gateBlocks;
  protected final DataType dtype;
  protected INDArray w;
  protected INDArray r;
  protected INDArray b;
  protected INDArray dw;
  protected INDArray dr;
  protected INDArray db;
  /** Input of the last forward pass, [T*B, in]. */
  protected INDArray x;
  /** h_0..h_T, [(T+1)*B, hidden]; h_0 = 0. */
  protected INDArray hs;
  protected INDArray[] hsStep;
  /** dL/dh_t of the last backward pass, [T*B, hidden]. */
  protected INDArray dH;
  /** Gradient of the pre-activations (inputs of the gates), [T*B, G]. */
  protected INDArray dZ;
  protected INDArray[] dzStep;
  /** Recurrent gradient into one step, [B, hidden]. */
  protected INDArray dRec;
  protected int steps = -1;
  protected int batch = -1;

  protected RecurrentLayer(String name, int in, int hidden, int gateBlocks, DataType dtype) {
    this.name = name;
    this.in = in;
    this.hidden = hidden;
    this.gateBlocks = gateBlocks;
    this.dtype = dtype;
  }

  public String name() {
    return name;
  }

  public int inputSize() {
    return in;
  }

  public int hiddenSize() {
    return hidden;
  }

  long paramCount() {
    long g = (long) hidden * gateBlocks;
    return in * g + hidden * g + g;
  }

  /** Points the parameter and gradient arrays at slices of the flat vectors, starting at {@code offset}. */
  long bind(INDArray params, INDArray grads, long offset) {
    int g = hidden * gateBlocks;
    w = view(params, offset, in, g);
    dw = view(grads, offset, in, g);
    offset += (long) in * g;
    r = view(params, offset, hidden, g);
    dr = view(grads, offset, hidden, g);
    offset += (long) hidden * g;
    b = view(params, offset, 1, g);
    db = view(grads, offset, 1, g);
    return offset + g;
  }

  static INDArray view(INDArray flat, long offset, int rows, int cols) {
    return flat.get(NDArrayIndex.point(0), NDArrayIndex.interval(offset, offset + (long) rows * cols))
        .reshape('c', rows, cols);
  }

  public List<ParamBlock> blocks() {
    return List.of(new ParamBlock(name, "W", w, dw), new ParamBlock(name, "R", r, dr),
        new ParamBlock(name, "b", b, db));
  }

  /** The recurrent weight matrix R restricted to its gate block {@code k} ([hidden, hidden]). */
  public INDArray recurrentBlock(int k) {
    return r.get(NDArrayIndex.all(), NDArrayIndex.interval((long) k * hidden, (long) (k + 1) * hidden));
  }

  /** Names of the gate blocks of R, in order ({@code h} for a vanilla RNN). */
  public abstract String[] gateNames();

  /**
   * Activation health of the last forward pass, as fractions and means: saturation of tanh/sigmoid units, dead
   * ReLU units, mean gate values of gated cells. Keys are short names, e.g. {@code saturated_frac}.
   */
  public abstract java.util.Map<String, Double> health();

  /** The hidden states h_1..h_T of the last forward pass, a view [T*B, hidden]. */
  protected INDArray hiddenStates() {
    return hs.get(NDArrayIndex.interval((long) batch, (long) (steps + 1) * batch), NDArrayIndex.all());
  }

  /** Mean of gate block k of a [rows, blocks*hidden] array of activated gates. */
  protected static double blockMean(INDArray gates, int k, int hidden) {
    return gates.get(NDArrayIndex.all(), NDArrayIndex.interval((long) k * hidden, (long) (k + 1) * hidden))
        .meanNumber().doubleValue();
  }

  /** Initialises W, R and b. */
  abstract void init(SplittableRandom rng, InitScheme scheme);

  /** Forward over all steps; returns the hidden states h_1..h_T as [T*B, hidden] (a copy). */
  abstract INDArray forward(INDArray x, int steps, int batch);

  /**
   * Backward over steps {@code first..T-1}, given dL/d(output h_t) from above in {@code dOut} ([T*B, hidden]).
   * Writes the parameter gradients (overwriting) and returns dL/dx ([T*B, in]).
   */
  abstract INDArray backward(INDArray dOut, int first);

  /** Allocates the per-shape buffers of the subclass; called when the sequence shape changes. */
  protected abstract void allocate();

  /** dL/dh_t of the last backward pass, [T*B, hidden] (rows of steps before the window are zero). */
  public INDArray hiddenGradients() {
    return dH;
  }

  /** Makes sure the buffers fit T x B; they are reused while the shape stays the same. */
  protected void ensureShape(INDArray x, int steps, int batch) {
    this.x = x;
    if (steps == this.steps && batch == this.batch) {
      return;
    }
    this.steps = steps;
    this.batch = batch;
    long rows = (long) steps * batch;
    hs = zeros((long) (steps + 1) * batch, hidden);
    hsStep = stepViews(hs, steps + 1);
    dH = zeros(rows, hidden);
    dZ = zeros(rows, (long) hidden * gateBlocks);
    dzStep = stepViews(dZ, steps);
    dRec = zeros(batch, hidden);
    allocate();
  }

  /** Views of each step's rows of a time-major base array. */
  protected INDArray[] stepViews(INDArray a, int n) {
    INDArray[] v = new INDArray[n];
    for (int t = 0; t < n; t++) {
      v[t] = a.get(NDArrayIndex.interval((long) t * batch, (long) (t + 1) * batch), NDArrayIndex.all());
    }
    return v;
  }

  protected INDArray zeros(long rows, long cols) {
    return Nd4j.zeros(dtype, rows, cols);
  }

  /** The hidden states h_1..h_T as a new array. */
  protected INDArray outputs() {
    return hs.get(NDArrayIndex.interval((long) batch, (long) (steps + 1) * batch), NDArrayIndex.all()).dup();
  }

  /** Weight gradients from dZ ([T*B, G], the same for input and recurrent weights) and dL/dx. */
  protected INDArray finishBackward() {
    Blas.gemm(x, dZ, dw, true, false, 1.0, 0.0);
    INDArray hPrev = hs.get(NDArrayIndex.interval(0, (long) steps * batch), NDArrayIndex.all());
    Blas.gemm(hPrev, dZ, dr, true, false, 1.0, 0.0);
    db.assign(dZ.sum(true, 0));
    INDArray dx = zeros((long) steps * batch, in);
    Blas.gemm(dZ, w, dx, false, true, 1.0, 0.0);
    return dx;
  }
}
