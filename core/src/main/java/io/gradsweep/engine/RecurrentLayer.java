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
 * The forward pass projects all time steps' inputs in one matrix product and keeps what the backward pass needs;
 * the backward pass writes dL/dh_t for every step into {@link #hiddenGradients()}, which is how the gradient
 * probes see the per-time-step profile without a second pass.
 *
 * <p>Truncation: {@code backward(dOut, first)} propagates gradients only through steps {@code first..T-1};
 * the gradient reaching earlier steps, and their contribution to the weight gradients, is exactly zero.
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
  /** dL/dh_t of the last backward pass, [T*B, hidden]. */
  protected INDArray dH;
  protected int steps;
  protected int batch;

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

  /** Initialises W, R and b. */
  abstract void init(SplittableRandom rng, InitScheme scheme);

  /** Forward over all steps; returns the hidden states h_1..h_T as [T*B, hidden]. */
  abstract INDArray forward(INDArray x, int steps, int batch);

  /**
   * Backward over steps {@code first..T-1}, given dL/d(output h_t) from above in {@code dOut} ([T*B, hidden]).
   * Writes the parameter gradients (overwriting) and returns dL/dx ([T*B, in]).
   */
  abstract INDArray backward(INDArray dOut, int first);

  /** dL/dh_t of the last backward pass, [T*B, hidden] (rows of steps before the window are zero). */
  public INDArray hiddenGradients() {
    return dH;
  }

  /** Rows of step t of a time-major [T*B, n] array: a view. */
  protected INDArray step(INDArray a, int t) {
    return a.get(NDArrayIndex.interval((long) t * batch, (long) (t + 1) * batch), NDArrayIndex.all());
  }

  /** Rows of steps [from, to) of a time-major array: a view. */
  protected INDArray steps(INDArray a, int from, int to) {
    return a.get(NDArrayIndex.interval((long) from * batch, (long) to * batch), NDArrayIndex.all());
  }

  protected INDArray zeros(long rows, long cols) {
    return Nd4j.zeros(dtype, rows, cols);
  }

  /** Weight gradients shared by all cells, from dZ ([T*B, G]) and the previous hidden states ([T*B, hidden]). */
  protected INDArray finishBackward(INDArray dZ, INDArray hPrev) {
    org.nd4j.linalg.factory.Nd4j.gemm(x, dZ, dw, true, false, 1.0, 0.0);
    org.nd4j.linalg.factory.Nd4j.gemm(hPrev, dZ, dr, true, false, 1.0, 0.0);
    db.assign(dZ.sum(true, 0));
    INDArray dx = zeros((long) steps * batch, in);
    org.nd4j.linalg.factory.Nd4j.gemm(dZ, w, dx, false, true, 1.0, 0.0);
    return dx;
  }
}
