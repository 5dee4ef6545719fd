package io.gradsweep.engine;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
 * <p>Initial state: a forward pass starts from h_0 = 0 (and c_0 = 0) unless a {@link RecurrentState} is given;
 * {@link #finalState()} returns h_T (and c_T), so a sequence run in segments with the state carried gives the
 * outputs of one pass. With a given initial state, a backward pass that reaches step 0 also yields dL/dh_0 (and
 * dL/dc_0) in {@link #initialStateGradient()}; the initial state itself is a constant of the pass.
 *
 * <p>Presence mask (optional, {@code present[t * batch + i]}): at an absent step the layer does not exist for that
 * example. Its state is carried through unchanged (h_t = h_{t-1}, c_t = c_{t-1}), its output
 * ({@link #forward(INDArray, int, int, RecurrentState, boolean[])}) is zero, the gradient arriving at that output
 * is ignored, the state gradient passes through to step t-1 unchanged, and the input of that step gets a zero
 * gradient and adds nothing to the weight gradients. {@link #hiddenGradients()} holds the state gradient.
 *
 * <p>Truncation: {@code backward(dOut, first)} propagates gradients only through steps {@code first..T-1};
 * the gradient reaching earlier steps, and their contribution to the weight gradients, is exactly zero.
 *
 * <p>Call order: {@link #bind} (or the network's flat-vector binding), {@link #init} once, then any number of
 * {@code forward} / {@code backward} pairs; a backward pass uses the buffers of the latest forward pass.
 * Not thread-safe: a layer belongs to one network, used by one thread.
 *
 * <p>Threads: given {@link EngineThreads} ({@link #useThreads}), a pass on the single-precision fast path (FLOAT,
 * no presence mask) that is large enough is split into contiguous slices of the batch, one per thread. The
 * recurrence is independent per example, so each thread runs the whole step loop for its rows (per-step products
 * on its row blocks, the element-wise kernels on its rows) without waiting for the others; the weight-gradient
 * products after the loop are split by output columns (and dL/dx by rows), and the small-input dW/db that the loop
 * accumulates is summed over the slices in slice order. The same thread count gives the same results bit for bit;
 * one thread (or a pass below the threshold) gives the results of a layer without threads.
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
  /** h_0..h_T, [(T+1)*B, hidden]; h_0 = 0 unless an initial state is given. */
  protected INDArray hs;
  protected INDArray[] hsStep;
  /** View of h_1..h_T in {@link #hs}, [T*B, hidden]. */
  private INDArray hOut;
  /** dL/dh_t of the last backward pass, [T*B, hidden]. */
  protected INDArray dH;
  /** Gradient of the pre-activations (inputs of the gates), [T*B, G]. */
  protected INDArray dZ;
  protected INDArray[] dzStep;
  /** Recurrent gradient into one step, [B, hidden]. */
  protected INDArray dRec;
  /** [1, T*B] of ones: column sums of time-major arrays as one GEMM. */
  private INDArray onesRow;
  /** dL/dh_0 of the last backward pass that reached step 0 from a given initial state, [B, hidden]. */
  protected INDArray dH0;
  /**
   * Gradient into h_{t-1} that does not pass through R: an absent step hands its whole state gradient on. Only
   * used with a presence mask (the GRU keeps its own carry, which also covers the z path).
   */
  protected double[] hCarry;
  /** Presence of (step, example) at row t*B+i in the last forward pass; null = every step present. */
  protected boolean[] present;
  /** Whether the last forward pass started from a given initial state (else from zeros). */
  protected boolean hasInitialState;
  /** Whether the last backward pass computed {@link #initialStateGradient()}. */
  protected boolean hasInitialGradient;
  protected int steps = -1;
  protected int batch = -1;
  /** The threads of the network's passes; null = the calling thread alone. */
  private EngineThreads threads;

  protected RecurrentLayer(String name, int in, int hidden, int gateBlocks, DataType dtype) {
    if (dtype != DataType.FLOAT && dtype != DataType.DOUBLE) {
      throw new IllegalArgumentException("recurrent layer " + name + ": data type must be FLOAT or DOUBLE, got "
          + dtype);
    }
    if (in < 1 || hidden < 1) {
      throw new IllegalArgumentException("recurrent layer " + name + ": sizes must be >= 1, got in " + in
          + ", hidden " + hidden);
    }
    this.name = name;
    this.in = in;
    this.hidden = hidden;
    this.gateBlocks = gateBlocks;
    this.dtype = dtype;
  }

  public String name() {
    return name;
  }

  /** Lets the layer split its float passes over these threads (null: the calling thread alone). */
  void useThreads(EngineThreads threads) {
    this.threads = threads;
  }

  /**
   * Slices of the batch for the pass over the current shape: 1 off the float fast path, without threads or below
   * their threshold; else one per thread, at most one per example.
   */
  protected int slices() {
    if (threads == null || !floatFastPath()) {
      return 1;
    }
    return threads.slices(batch, (long) steps * batch * hidden * hidden * gateBlocks);
  }

  /** Runs {@code body} for slices 0..n-1 on the threads (n = 1: on this thread) and waits for all of them. */
  protected void parallel(int n, java.util.function.IntConsumer body) {
    if (n == 1) {
      body.accept(0);
    } else {
      threads.run(n, body);
    }
  }

  /**
   * Slices of hidden units for a float pass split by units instead of examples ({@link #together}): more than 1 when
   * the layer supports it ({@link #splitsByUnits()}), the pass is on the float fast path with the input folded into
   * its steps, the hidden size is at least {@link EngineThreads#unitSplitMinHidden()} (256 by default) and the threads would split the pass
   * anyway ({@link #slices()} > 1) and run their slices at the same time. Split by examples, each thread's per-step
   * product multiplies half the batch by the whole of R, and the sgemm packs all of R for each of them; split by
   * units, each multiplies the whole batch by its part of R, so R is packed once per step over all threads, at the
   * price of a barrier per step. Slices start on 16-unit bounds ({@link #columnLo}); where that would leave a slice
   * without units (a small hidden size), fewer slices.
   */
  protected int unitSlices() {
    if (!splitsByUnits() || threads == null || !foldedInput() || hidden < threads.unitSplitMinHidden()
        || !threads.concurrent()) {
      return 1;
    }
    for (int n = slices(); n > 1; n--) {
      boolean empty = false;
      for (int s = 0; s < n; s++) {
        empty |= columnLo(s + 1, n, hidden) == columnLo(s, n, hidden);
      }
      if (!empty) {
        return n;
      }
    }
    return 1;
  }

  /** Whether this layer has a pass split by hidden units ({@link #unitSlices()}); none by default. */
  protected boolean splitsByUnits() {
    return false;
  }

  /** One slice of a pass split by hidden units: units lo..hi-1, with the barrier all slices share. */
  protected interface UnitSlice {
    void run(int lo, int hi, int s, EngineThreads.StepBarrier barrier);
  }

  /**
   * Runs a pass split into n slices of hidden units, all at the same time, sharing one barrier; a slice that fails
   * breaks the barrier so the others end too.
   */
  protected void together(int n, UnitSlice body) {
    EngineThreads.StepBarrier barrier = new EngineThreads.StepBarrier(n);
    threads.run(n, s -> {
      try {
        body.run(columnLo(s, n, hidden), columnLo(s + 1, n, hidden), s, barrier);
      } catch (RuntimeException | Error e) {
        barrier.breakBarrier();
        throw e;
      }
    });
  }

  /** Per slice of units: the step's product h R for the slice's gates, [B, gateBlocks * units]. */
  protected INDArray[] unitZ;
  /** Per slice of units: the columns of R of the slice's gates, [hidden, gateBlocks * units], copied at each pass. */
  protected INDArray[] unitR;

  /**
   * Allocates the per-slice buffers of the passes split by units, {@link #unitZ} and {@link #unitR} (on the calling
   * thread: no ND4J calls in slices).
   */
  protected void ensureUnitBuffers(int n) {
    if (unitZ != null && unitZ.length == n && unitZ[0].rows() == batch && unitR[0].rows() == hidden) {
      return;
    }
    unitZ = new INDArray[n];
    unitR = new INDArray[n];
    for (int s = 0; s < n; s++) {
      long units = columnLo(s + 1, n, hidden) - columnLo(s, n, hidden);
      unitZ[s] = zeros(batch, gateBlocks * units);
      unitR[s] = zeros(hidden, gateBlocks * units);
    }
  }

  /**
   * Copies the columns of R of units lo..hi-1 (slice s), in the compact layout of {@link #readUnitGates}, into
   * {@link #unitR}[s] and returns it.
   */
  protected INDArray unitRecurrent(int lo, int hi, int s) {
    int u = hi - lo;
    int g = gateBlocks * hidden;
    int gs = gateBlocks * u;
    INDArray rS = unitR[s];
    FloatBuffer rb = Buf.floats(r);
    FloatBuffer rsb = Buf.floats(rS);
    float[] row = new float[gs];
    for (int a = 0; a < hidden; a++) {
      readUnitGates(r, rb, a * g, lo, row, 0, u);
      Buf.write(rS, rsb, a * gs, row, gs);
    }
    return rS;
  }

  /** The columns of units lo..hi-1 of a float [rows, G] array (W, b), in the compact layout, on the heap. */
  protected float[] unitColumns(INDArray a, int lo, int hi) {
    int u = hi - lo;
    int rows = (int) a.rows();
    int g = gateBlocks * hidden;
    int gs = gateBlocks * u;
    float[] out = new float[rows * gs];
    FloatBuffer fb = Buf.floats(a);
    for (int k = 0; k < rows; k++) {
      readUnitGates(a, fb, k * g, lo, out, k * gs, u);
    }
    return out;
  }

  /** The reverse of {@link #unitColumns}: a slice's compact [rows, gateBlocks * u] into its units' columns of a. */
  protected void writeUnitColumns(INDArray a, float[] src, int lo, int hi) {
    int u = hi - lo;
    int rows = (int) a.rows();
    int g = gateBlocks * hidden;
    int gs = gateBlocks * u;
    FloatBuffer fb = Buf.floats(a);
    for (int k = 0; k < rows; k++) {
      writeUnitGates(a, fb, k * g, lo, src, k * gs, u);
    }
  }

  /**
   * Copies units lo..lo+u-1 of the gate blocks of a row (blocks {@code hidden} apart, the row starting at element
   * {@code from} of {@code a}) into the compact layout of a slice split by units (blocks {@code u} apart, from
   * {@code at} in {@code dst}).
   */
  protected void readUnitGates(INDArray a, FloatBuffer fb, int from, int lo, float[] dst, int at, int u) {
    for (int g = 0; g < gateBlocks; g++) {
      Buf.read(a, fb, from + g * hidden + lo, dst, at + g * u, u);
    }
  }

  /** The reverse of {@link #readUnitGates}: a slice's compact gate blocks into its units' columns of a row of a. */
  protected void writeUnitGates(INDArray a, FloatBuffer fb, int from, int lo, float[] src, int at, int u) {
    for (int g = 0; g < gateBlocks; g++) {
      Buf.write(a, fb, from + g * hidden + lo, src, at + g * u, u);
    }
  }

  /** First example (row within a step) of slice s of n. */
  protected int sliceLo(int s, int n) {
    return EngineThreads.lo(s, n, batch);
  }

  /**
   * z = x W for all steps: one product, or with n slices n products on contiguous blocks of the T*B rows, in
   * parallel.
   */
  protected void projectInput(INDArray z, int n) {
    if (n == 1) {
      Blas.gemm(x, w, z, false, false, 1.0, 0.0);
      return;
    }
    int rows = steps * batch;
    int g = (int) z.columns();
    parallel(n, s -> {
      int r0 = EngineThreads.lo(s, n, rows);
      int r1 = EngineThreads.lo(s + 1, n, rows);
      Blas.gemmBlock(x, r0, 0, false, w, 0, 0, false, z, r0, 0, r1 - r0, g, in, 1.0, 0.0);
    });
  }

  /**
   * {@code out} rows outRow..outRow+rows = beta * out + {@code a} rows aRow..aRow+rows times R ({@code a} of width
   * hidden, e.g. h_t in hs; {@code out} of width G), or times R^T with {@code transR} ({@code a} of width G, e.g.
   * dz_t in dZ; {@code out} of width hidden; R^T is the copy {@link #rT} of the current backward pass). A step's
   * rows, or a slice of them.
   */
  protected void stepProduct(INDArray a, long aRow, boolean transR, INDArray out, long outRow, int rows,
      double beta) {
    int g = hidden * gateBlocks;
    if (transR) {
      Blas.gemmBlock(a, aRow, 0, false, rT, 0, 0, false, out, outRow, 0, rows, hidden, g, 1.0, beta);
    } else {
      Blas.gemmBlock(a, aRow, 0, false, r, 0, 0, false, out, outRow, 0, rows, g, hidden, 1.0, beta);
    }
  }

  public int inputSize() {
    return in;
  }

  public int hiddenSize() {
    return hidden;
  }

  /** Number of gate blocks of W, R and b (1 for a vanilla RNN, 4 for an LSTM, 3 for a GRU). */
  public int gateBlocks() {
    return gateBlocks;
  }

  public DataType dataType() {
    return dtype;
  }

  /**
   * Parameter arrays in layout order, by type (the {@link ParamBlock#type()} words): {@code W [in, G]},
   * {@code R [hidden, G]}, {@code b [1, G]}, and cell-specific extras (a GRU's {@code Rb [1, hidden]}).
   */
  public Map<String, long[]> paramShapes() {
    long g = (long) hidden * gateBlocks;
    Map<String, long[]> m = new LinkedHashMap<>();
    m.put("W", new long[] {in, g});
    m.put("R", new long[] {hidden, g});
    m.put("b", new long[] {1, g});
    return m;
  }

  /** Total number of parameters: the sum over {@link #paramShapes()}. */
  public long paramCount() {
    long n = 0;
    for (long[] s : paramShapes().values()) {
      n += s[0] * s[1];
    }
    return n;
  }

  /** Points the parameter and gradient arrays at slices of the flat vectors, starting at {@code offset}. */
  long bind(INDArray params, INDArray grads, long offset) {
    for (Map.Entry<String, long[]> e : paramShapes().entrySet()) {
      int rows = (int) e.getValue()[0];
      int cols = (int) e.getValue()[1];
      setBlock(e.getKey(), view(params, offset, rows, cols), view(grads, offset, rows, cols));
      offset += (long) rows * cols;
    }
    return offset;
  }

  /**
   * Points the parameters, and the gradients, at the given arrays, keyed by the {@link #paramShapes()} words.
   * Each array must have exactly the shape given there, this layer's data type, and row-major layout with unit
   * column stride (as the direct BLAS calls need); it is used in place, not copied. {@code grads} may be null
   * while only forward passes (or {@link #init}) are needed.
   */
  public void bind(Map<String, INDArray> params, Map<String, INDArray> grads) {
    for (Map.Entry<String, long[]> e : paramShapes().entrySet()) {
      String key = e.getKey();
      INDArray p = requireBindable(params, key, e.getValue(), "parameter");
      INDArray g = grads == null ? null : requireBindable(grads, key, e.getValue(), "gradient");
      setBlock(key, p, g);
    }
  }

  private INDArray requireBindable(Map<String, INDArray> m, String key, long[] shape, String what) {
    INDArray a = m.get(key);
    if (a == null) {
      throw new IllegalArgumentException(name + ": no " + what + " array for " + key + "; keys given: "
          + m.keySet());
    }
    if (a.rank() != 2 || a.rows() != shape[0] || a.columns() != shape[1]) {
      throw new IllegalArgumentException(name + ": " + what + " " + key + " must have shape "
          + Arrays.toString(shape) + ", got " + Arrays.toString(a.shape()));
    }
    if (a.dataType() != dtype) {
      throw new IllegalArgumentException(name + ": " + what + " " + key + " must be " + dtype + ", got "
          + a.dataType());
    }
    boolean rowMajor = (a.columns() == 1 || a.stride(1) == 1) && (a.rows() == 1 || a.stride(0) == a.columns());
    if (!rowMajor) {
      throw new IllegalArgumentException(name + ": " + what + " " + key
          + " must be a contiguous row-major array, got " + a.shapeInfoToString());
    }
    return a;
  }

  /** Sets the parameter and gradient array of one block (gradient may be null). */
  protected void setBlock(String key, INDArray p, INDArray g) {
    switch (key) {
      case "W" -> {
        w = p;
        dw = g;
      }
      case "R" -> {
        r = p;
        dr = g;
      }
      case "b" -> {
        b = p;
        db = g;
      }
      default -> throw new IllegalArgumentException(name + ": unknown parameter block " + key);
    }
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
   * ReLU units, mean gate values of gated cells. Keys are short names, e.g. {@code saturated_frac}. Absent
   * (masked) steps count with the carried state and zero gates.
   */
  public abstract java.util.Map<String, Double> health();

  /** The hidden states h_1..h_T of the last forward pass, a view [T*B, hidden]. */
  protected INDArray hiddenStates() {
    return hOut;
  }

  /**
   * Means of the gate blocks 0..blocks-1 of a contiguous c-ordered [rows, blocks*hidden] array of activated gates,
   * in one pass in Java (no native calls).
   */
  protected static double[] blockMeans(INDArray gates, int blocks, int hidden) {
    Buf g = Buf.of(gates);
    int rows = (int) gates.rows();
    int width = (int) gates.columns();
    double[] sum = new double[blocks];
    for (int row = 0; row < rows; row++) {
      int o = row * width;
      for (int k = 0; k < blocks; k++) {
        int ok = o + k * hidden;
        double s = 0;
        for (int j = 0; j < hidden; j++) {
          s += g.get(ok + j);
        }
        sum[k] += s;
      }
    }
    for (int k = 0; k < blocks; k++) {
      sum[k] /= (double) rows * hidden;
    }
    return sum;
  }

  /** {@link #blockMeans(INDArray, int, int)} of a heap array [rows, blocks*hidden], with the same sums. */
  protected static double[] blockMeans(float[] g, int blocks, int hidden) {
    int width = blocks * hidden;
    int rows = g.length / width;
    double[] sum = new double[blocks];
    for (int row = 0; row < rows; row++) {
      int o = row * width;
      for (int k = 0; k < blocks; k++) {
        int ok = o + k * hidden;
        double s = 0;
        for (int j = 0; j < hidden; j++) {
          s += g[ok + j];
        }
        sum[k] += s;
      }
    }
    for (int k = 0; k < blocks; k++) {
      sum[k] /= (double) rows * hidden;
    }
    return sum;
  }

  /**
   * Initialises the parameters (after binding) with the given scheme: input weights Xavier, recurrent weights by
   * the scheme, biases zero except for cell-specific ones (an LSTM's forget-gate bias).
   */
  public abstract void init(SplittableRandom rng, InitScheme scheme);

  /** Forward over all steps from a zero state; returns the hidden states h_1..h_T as [T*B, hidden] (a copy). */
  public final INDArray forward(INDArray x, int steps, int batch) {
    return forward(x, steps, batch, null, null);
  }

  /**
   * Forward over all steps; returns the outputs as a new [T*B, hidden] array: h_t, and zero at absent steps.
   *
   * @param initial h_0 (and c_0) as [batch, hidden] arrays, copied in; null = zeros
   * @param present presence of (step t, example i) at index t*batch+i; null = all present. Kept by reference
   *     until the next forward pass (the backward pass reads it): do not change it in between
   */
  public final INDArray forward(INDArray x, int steps, int batch, RecurrentState initial, boolean[] present) {
    forwardView(x, steps, batch, initial, present);
    INDArray out = hOut.dup();
    if (present != null) {
      Buf ob = Buf.of(out);
      for (int row = 0; row < present.length; row++) {
        if (!present[row]) {
          int o = row * hidden;
          for (int j = 0; j < hidden; j++) {
            ob.set(o + j, 0.0);
          }
        }
      }
    }
    return out;
  }

  /**
   * As {@link #forward(INDArray, int, int, RecurrentState, boolean[])}, but returns the layer's own view of the
   * states h_1..h_T ([T*B, hidden], valid until the next forward pass) without copying it. At absent steps the
   * view holds the carried state, not zero.
   */
  public final INDArray forwardView(INDArray x, int steps, int batch, RecurrentState initial, boolean[] present) {
    if (steps < 1 || batch < 1) {
      throw new IllegalArgumentException(name + ": steps and batch must be >= 1, got " + steps + ", " + batch);
    }
    if (x.rank() != 2 || x.rows() != (long) steps * batch || x.columns() != in) {
      throw new IllegalArgumentException(name + ": input must be [" + ((long) steps * batch) + ", " + in
          + "] (steps*batch, in), got " + Arrays.toString(x.shape()));
    }
    if (present != null && present.length != steps * batch) {
      throw new IllegalArgumentException(name + ": presence mask must have steps*batch = " + (steps * batch)
          + " entries, got " + present.length);
    }
    ensureShape(x, steps, batch);
    this.present = present;
    setInitialState(initial);
    hasInitialGradient = false;
    forwardSteps();
    return hOut;
  }

  /** The per-step loop of the forward pass, over the buffers set up by {@link #ensureShape}. */
  protected abstract void forwardSteps();

  /**
   * Backward over steps {@code first..T-1}, given dL/d(output h_t) from above in {@code dOut} ([T*B, hidden]).
   * Writes the parameter gradients (overwriting) and returns dL/dx ([T*B, in], a new array).
   */
  public final INDArray backward(INDArray dOut, int first) {
    INDArray dx = zeros((long) steps * batch, in);
    backwardInto(dOut, first, dx);
    return dx;
  }

  /** As {@link #backward(INDArray, int)}, writing dL/dx into the given [T*B, in] row-major array. */
  public final void backwardInto(INDArray dOut, int first, INDArray dx) {
    if (steps < 0) {
      throw new IllegalStateException(name + ": backward pass before any forward pass");
    }
    if (forwardOnly) {
      throw new IllegalStateException(name + ": a forward-only layer has no backward pass");
    }
    if (dw == null) {
      throw new IllegalStateException(name + ": no gradient arrays bound");
    }
    if (first < 0 || first > steps) {
      throw new IllegalArgumentException(name + ": first step " + first + " outside 0.." + steps);
    }
    if (dOut.rank() != 2 || dOut.rows() != (long) steps * batch || dOut.columns() != hidden) {
      throw new IllegalArgumentException(name + ": output gradient must be [" + ((long) steps * batch) + ", "
          + hidden + "], got " + Arrays.toString(dOut.shape()));
    }
    if (dx.rank() != 2 || dx.rows() != (long) steps * batch || dx.columns() != in) {
      throw new IllegalArgumentException(name + ": input gradient must be [" + ((long) steps * batch) + ", " + in
          + "], got " + Arrays.toString(dx.shape()));
    }
    ensureBackwardBuffers();
    if (present != null) {
      Arrays.fill(hCarry, 0.0);
    }
    weightGradientsDone = false;
    recurrentGradientDone = false;
    transposeRecurrent();
    backwardSteps(dOut, first);
    finishBackward(dx);
    hasInitialGradient = first == 0 && hasInitialState;
    if (hasInitialGradient) {
      initialGradient();
    }
  }

  /**
   * R^T ([G, hidden], row-major), refreshed at the start of each backward pass: the per-step products
   * dz_{t+1} R^T read it without a transposition flag, which OpenBLAS runs about 1.5x faster at the small shapes
   * (hidden 64, batch 32: 8.3 against 12.6 microseconds per product).
   */
  protected INDArray rT;

  private float[] rHeap;
  private float[] rTHeap;

  private void transposeRecurrent() {
    int g = hidden * gateBlocks;
    if (rT == null) {
      rT = zeros(g, hidden);
    }
    int ro = (int) r.offset();
    int to = (int) rT.offset();
    if (dtype == DataType.FLOAT) { // on heap copies: element access to native memory cost 75-220 us at hidden 64
      if (rHeap == null || rHeap.length != hidden * g) {
        rHeap = new float[hidden * g];
        rTHeap = new float[hidden * g];
      }
      Buf.read(r, Buf.floats(r), 0, rHeap, hidden * g);
      for (int i = 0; i < hidden; i++) {
        for (int j = 0; j < g; j++) {
          rTHeap[j * hidden + i] = rHeap[i * g + j];
        }
      }
      Buf.write(rT, Buf.floats(rT), 0, rTHeap, hidden * g);
    } else {
      java.nio.DoubleBuffer src = r.data().asNioDouble();
      java.nio.DoubleBuffer dst = rT.data().asNioDouble();
      for (int i = 0; i < hidden; i++) {
        for (int j = 0; j < g; j++) {
          dst.put(to + j * hidden + i, src.get(ro + i * g + j));
        }
      }
    }
  }

  /** The per-step loop of the backward pass: fills dH, dZ (and cell-specific buffers) for steps first..T-1. */
  protected abstract void backwardSteps(INDArray dOut, int first);

  /** Computes dL/dh_0 (and dL/dc_0) after a backward pass that reached step 0. */
  protected void initialGradient() {
    Blas.gemm(dzStep[0], rT, dH0, false, false, 1.0, 0.0);
    if (present != null) {
      addCarry(dH0, hCarry);
    }
  }

  /** a += carry, element by element ({@code a} contiguous [B, hidden]). */
  protected static void addCarry(INDArray a, double[] carry) {
    Buf ab = Buf.of(a);
    for (int e = 0; e < carry.length; e++) {
      ab.add(e, carry[e]);
    }
  }

  /**
   * dL/dh_0 (and dL/dc_0 for an LSTM) of the last backward pass, as views [batch, hidden] valid until the next
   * pass; null unless that pass reached step 0 and its forward pass started from a given initial state.
   */
  public RecurrentState initialStateGradient() {
    return hasInitialGradient ? RecurrentState.of(dH0) : null;
  }

  /**
   * dL/dh_t of the last backward pass, [T*B, hidden] (rows of steps before the window are zero); zeros before the
   * first backward pass at the current shape; null for a forward-only layer.
   */
  public INDArray hiddenGradients() {
    if (dH == null && steps > 0 && !forwardOnly) {
      ensureBackwardBuffers();
    }
    return dH;
  }

  /**
   * Whether the layer carries a cell state c next to h (an LSTM): then {@link RecurrentState#c()} is set in
   * {@link #finalState()} and {@link #initialStateGradient()} and may be given as an initial state; for other
   * layers it is null and giving one fails.
   */
  public boolean hasCellState() {
    return false;
  }

  /**
   * Per-step gradients of the layer's state other than h, by short name, of the last backward pass, each
   * [T*B, hidden] and valid until the next pass: {@code dc} (dL/dc_t) for a layer with a cell state; empty for a
   * layer whose only state is h. The gradient profiles log each as {@code <layer>/<name>} next to
   * {@code <layer>/dh}.
   */
  public Map<String, INDArray> extraStateGradients() {
    return Map.of();
  }

  /**
   * The state after the last step of the last forward pass (h_T, and c_T for an LSTM), as new arrays
   * [batch, hidden]. At an example whose last steps are absent this is the state after its last present step.
   */
  public RecurrentState finalState() {
    requireForward();
    return RecurrentState.of(hsStep[steps].dup());
  }

  protected void requireForward() {
    if (steps < 0) {
      throw new IllegalStateException(name + ": no forward pass yet");
    }
  }

  /** Copies the initial state into step 0 of the state buffers, or zeroes them. */
  protected void setInitialState(RecurrentState initial) {
    if (initial == null) {
      if (hasInitialState) {
        hsStep[0].assign(0);
        setInitialCell(null);
      }
      hasInitialState = false;
      return;
    }
    hsStep[0].assign(checkState(initial.h(), "h"));
    setInitialCell(initial.c());
    hasInitialState = true;
  }

  /** Sets c_0 (null = zero); only an LSTM has a cell state. */
  protected void setInitialCell(INDArray c) {
    if (c != null) {
      throw new IllegalArgumentException(name + ": this cell has no cell state, but an initial c was given");
    }
  }

  protected INDArray checkState(INDArray s, String what) {
    if (s.rank() != 2 || s.rows() != batch || s.columns() != hidden) {
      throw new IllegalArgumentException(name + ": initial state " + what + " must be [" + batch + ", " + hidden
          + "] (batch, hidden), got " + Arrays.toString(s.shape()));
    }
    return s.dataType() == dtype ? s : s.castTo(dtype);
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
    hOut = hs.get(NDArrayIndex.interval((long) batch, (long) (steps + 1) * batch), NDArrayIndex.all());
    dH = null;
    dZ = null;
    dzStep = null;
    dRec = null;
    dH0 = null;
    onesRow = null;
    hCarry = null;
    backwardBuffers = false;
    hasInitialState = false;
    allocate();
  }

  /**
   * A layer for forward passes only (the network's evaluation layers): the float path does not store what only the
   * backward pass reads (an LSTM's gates, tanh(c) and c_1..c_{T-1}, a GRU's gates and candidate inputs), and a
   * backward pass is refused.
   */
  protected boolean forwardOnly;

  /** Makes this a forward-only layer ({@link #forwardOnly}); for {@link RecurrentNet}'s evaluation layers. */
  void setForwardOnly() {
    forwardOnly = true;
  }

  /** Whether the backward buffers fit the current shape ({@link #ensureBackwardBuffers}). */
  private boolean backwardBuffers;

  /**
   * Allocates the buffers of the backward pass for the current shape, on the first backward pass at that shape: a
   * layer that only runs forward passes (the network's evaluation layers) never holds gradient state.
   */
  private void ensureBackwardBuffers() {
    if (backwardBuffers) {
      return;
    }
    long rows = (long) steps * batch;
    dH = zeros(rows, hidden);
    dZ = zeros(rows, (long) hidden * gateBlocks);
    dzStep = stepViews(dZ, steps);
    dRec = zeros(batch, hidden);
    dH0 = zeros(batch, hidden);
    onesRow = Nd4j.ones(dtype, 1, rows);
    hCarry = new double[batch * hidden];
    allocateBackward();
    backwardBuffers = true;
  }

  /** Allocates the per-shape forward buffers of the subclass; called when the sequence shape changes. */
  protected abstract void allocate();

  /** Allocates the per-shape backward buffers of the subclass, on the first backward pass at a shape. */
  protected abstract void allocateBackward();

  /**
   * Whether the forward pass takes the single-precision fast path: FLOAT data and no presence mask. Each step's
   * rows are copied to heap arrays, activated there by {@link FloatKernels} (SIMD when available) and copied back.
   */
  /**
   * Which element-wise kernels the single-precision path uses in this JVM: {@code vector} (SIMD, JDK Vector API)
   * or {@code scalar}. Results are reproducible for a given value; the two agree to float rounding.
   */
  public static String floatKernels() {
    return FloatKernels.current().name();
  }

  /**
   * Which library computes the single-precision path's matrix products in this JVM: {@code onednn} or
   * {@code openblas} ({@code -Dgradsweep.gemm} or {@code GRADSWEEP_GEMM}; oneDNN when it loads). The two round
   * differently: results are reproducible for a given value.
   */
  public static String floatProducts() {
    try {
      return FloatGemm.current().word();
    } catch (IllegalArgumentException e) { // the trial's first product fails with the message
      return "invalid setting";
    }
  }

  /**
   * Chooses the element-wise kernels of this JVM's single-precision path from now on: {@code auto} the best it has
   * (vector when the JVM has jdk.incubator.vector), {@code scalar} plain Java loops.
   *
   * @throws IllegalArgumentException for another word
   */
  public static void useFloatKernels(String mode) {
    switch (mode) {
      case "auto" -> FloatKernels.use(false);
      case "scalar" -> FloatKernels.use(true);
      default -> throw new IllegalArgumentException("float kernels: expected auto or scalar, got '" + mode + "'");
    }
  }

  protected boolean floatFastPath() {
    return dtype == DataType.FLOAT && present == null;
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

  /**
   * Weight gradients from dZ ([T*B, G], the same for input and recurrent weights) and dL/dx into {@code dx} (zero
   * when not {@linkplain #setInputGradientWanted wanted}). dW and db are left alone when the step loop already
   * accumulated them ({@link #weightGradientsDone}).
   */
  protected void finishBackward(INDArray dx) {
    int n = slices();
    if (n > 1) {
      if (!inputGradientWanted) {
        dx.assign(0); // here: the slices make no ND4J calls
      }
      boolean weights = !weightGradientsDone;
      int g = hidden * gateBlocks;
      parallel(n, s -> {
        int c0 = columnLo(s, n, g);
        int c1 = columnLo(s + 1, n, g);
        if (c1 > c0) {
          if (weights) {
            weightGradientColumns(x, dZ, c0, dw, c0, c1 - c0);
            columnSums(dZ, c0, db, c0, c1 - c0);
          }
          weightGradientColumns(hs, dZ, c0, dr, c0, c1 - c0);
        }
        inputGradientRows(dx, s, n);
      });
      return;
    }
    if (!weightGradientsDone) {
      Blas.gemm(x, dZ, dw, true, false, 1.0, 0.0);
      columnSums(dZ, db);
    }
    if (!recurrentGradientDone) {
      INDArray hPrev = hs.get(NDArrayIndex.interval(0, (long) steps * batch), NDArrayIndex.all());
      Blas.gemm(hPrev, dZ, dr, true, false, 1.0, 0.0);
    }
    inputGradient(dx);
  }

  /**
   * Column {@code c0} of slice s of n over {@code cols} columns, on a multiple of 16 (64 bytes of floats) where
   * there are enough columns; slices may be empty.
   */
  protected static int columnLo(int s, int n, int cols) {
    if (s >= n) {
      return cols;
    }
    int c = (int) ((long) s * cols / n);
    return Math.min(cols, (c + 8) / 16 * 16);
  }

  /**
   * Columns c..c+cols of a weight gradient: {@code out[:, outCol..]} = {@code a[0..T*B)}^T {@code m[:, mCol..]}
   * ({@code a}: x, or hs whose first T*B rows are h_0..h_{T-1}).
   */
  protected void weightGradientColumns(INDArray a, INDArray m, int mCol, INDArray out, int outCol, int cols) {
    Blas.gemmBlock(a, 0, 0, true, m, 0, mCol, false, out, 0, outCol, (int) out.rows(), cols, steps * batch, 1.0,
        0.0);
  }

  /**
   * Columns of {@link #columnSums}: {@code out[0, outCol..outCol+cols]} = column sums of {@code m[:, mCol..]}
   * ({@code out} a [1, n] array, e.g. a bias gradient).
   */
  protected void columnSums(INDArray m, int mCol, INDArray out, int outCol, int cols) {
    Blas.gemmBlock(onesRow, 0, 0, false, m, 0, mCol, false, out, 0, outCol, 1, cols, steps * batch, 1.0, 0.0);
  }

  /**
   * Rows of slice s of n over the T*B rows of dx = dZ W^T; nothing when the input gradient is not wanted (the
   * caller zeroes dx).
   */
  protected void inputGradientRows(INDArray dx, int s, int n) {
    int rows = steps * batch;
    int r0 = EngineThreads.lo(s, n, rows);
    int r1 = EngineThreads.lo(s + 1, n, rows);
    if (r1 > r0 && inputGradientWanted) {
      Blas.gemmBlock(dZ, r0, 0, false, w, 0, 0, true, dx, r0, 0, r1 - r0, in, hidden * gateBlocks, 1.0, 0.0);
    }
  }

  /** Whether the current backward pass computes dL/dx. */
  protected boolean inputGradientWanted() {
    return inputGradientWanted;
  }

  /** dx = dZ W^T, or zero when the input gradient is not wanted. */
  protected void inputGradient(INDArray dx) {
    if (inputGradientWanted) {
      Blas.gemm(dZ, w, dx, false, true, 1.0, 0.0);
    } else {
      zero(dx);
    }
  }

  /**
   * Whether the next backward passes compute dL/dx (default true). A bottom layer whose input gradient nobody
   * reads skips a product over all steps.
   */
  public void setInputGradientWanted(boolean wanted) {
    this.inputGradientWanted = wanted;
  }

  private boolean inputGradientWanted = true;

  /** Set by a step loop that accumulated dR itself ({@link #accumulateRecurrentGradient}). */
  protected boolean recurrentGradientDone;

  /**
   * Whether a one-slice step loop should accumulate dR step by step ({@link #accumulateRecurrentGradient}): when R
   * has at most {@value #STEPWISE_DR_MAX} elements (256 KiB of floats, e.g. hidden 128 of an LSTM), so that dR stays in
   * the cache between steps; a larger dR would be read and written whole at every step.
   */
  protected boolean stepwiseRecurrentGradient() {
    return (long) hidden * hidden * gateBlocks <= STEPWISE_DR_MAX;
  }

  /** Largest R (elements) for {@link #stepwiseRecurrentGradient()}. */
  static final long STEPWISE_DR_MAX = 1L << 16;

  /**
   * dR += h_{t-1}^T dz_t for step t's rows (all of the batch), from the step loop of a float backward pass on one
   * slice, right after it wrote dz_t: the operands are still in the cache, where the one product over all steps
   * after the loop reads [T*B, G] of dZ back from memory (measured at hidden 64, batch 32, T 100: 0.82-0.92 ms for
   * the 100 products against 1.03-1.35 ms for the one). {@code firstStep}: the pass's first step (t = T-1), which
   * overwrites dR. Steps the pass does not reach add nothing, as with the product over all steps. The arrays: hs, dZ
   * and dR held by the loop ({@link Blas.FloatMat}).
   */
  protected void accumulateRecurrentGradient(Blas.FloatMat hsM, Blas.FloatMat dzM, Blas.FloatMat drM, int t,
      boolean firstStep) {
    int g = hidden * gateBlocks;
    Blas.sgemm(hsM, (long) t * batch, 0, true, dzM, (long) t * batch, 0, false, drM, 0, 0, hidden, g, batch, 1f,
        firstStep ? 0f : 1f);
    recurrentGradientDone = true;
  }

  /** Set by a step loop that accumulated dW and db itself (see {@link #fusedWeightGradients()}). */
  protected boolean weightGradientsDone;

  /** Largest input size for which the float step loop accumulates dW and db itself. */
  static final int FUSED_MAX_INPUT = 8;

  /**
   * Whether the float step loop should accumulate dW and db from each step's dZ rows while they are in heap
   * arrays: for a small input (the tasks' inputs have 2 or 3 features) those products are skinny, memory-bound
   * passes over all of dZ, which cost as much as reading dZ three times more.
   */
  protected boolean fusedWeightGradients() {
    return in <= FUSED_MAX_INPUT && x.dataType() == DataType.FLOAT && x.ordering() == 'c' && x.stride(1) == 1
        && x.stride(0) == in;
  }

  /**
   * Whether the float forward loop adds x_t W + b to each step's h R itself (a few fused multiply-adds per element
   * for a small input) instead of a product x W over all steps before the loop: the pass on the single-precision fast
   * path with the input of {@link #fusedWeightGradients()}.
   */
  protected boolean foldedInput() {
    return floatFastPath() && fusedWeightGradients();
  }

  /**
   * One step of the fused weight gradients: for the given rows of the step (all B, or a slice's), db += dz_i and
   * dW[k] += x_ik dz_i ({@code dz} is [rows, G] at offset 0, {@code xt} the rows' inputs [rows, in]).
   */
  protected void accumulateWeightGradients(FloatKernels k, float[] dz, float[] xt, float[] dwAcc, float[] dbAcc,
      int g, int rows) {
    for (int i = 0; i < rows; i++) {
      k.add(dbAcc, 0, dz, i * g, g);
      for (int kk = 0; kk < in; kk++) {
        k.axpy(dwAcc, kk * g, xt[i * in + kk], dz, i * g, g);
      }
    }
  }

  /** One slice of a float backward loop: examples lo..hi-1, writing its fused dW and db at index s of the parts. */
  protected interface SliceBackward {
    void run(int lo, int hi, boolean fused, float[][] dwParts, float[][] dbParts, int s);
  }

  /**
   * Runs a float backward loop over the batch's slices (one or more threads) and stores the fused dW and db the
   * slices accumulated, if the loop fuses them.
   */
  protected void backwardFloatSlices(SliceBackward body) {
    int n = slices();
    boolean fused = fusedWeightGradients();
    float[][] dwParts = new float[n][];
    float[][] dbParts = new float[n][];
    parallel(n, s -> body.run(sliceLo(s, n), sliceLo(s + 1, n), fused, dwParts, dbParts, s));
    if (fused) {
      storeWeightGradients(dwParts, dbParts);
    }
  }

  /**
   * Writes the fused dW and db of the slices into the gradient arrays: slice 0's as they are when alone, else the
   * sum over the slices in slice order (the same order every time).
   */
  protected void storeWeightGradients(float[][] dwParts, float[][] dbParts) {
    float[] dwAcc = dwParts[0];
    float[] dbAcc = dbParts[0];
    if (dwParts.length > 1) {
      FloatKernels k = FloatKernels.current();
      dwAcc = dwAcc.clone();
      dbAcc = dbAcc.clone();
      for (int s = 1; s < dwParts.length; s++) {
        k.add(dwAcc, 0, dwParts[s], 0, dwAcc.length);
        k.add(dbAcc, 0, dbParts[s], 0, dbAcc.length);
      }
    }
    storeWeightGradients(dwAcc, dbAcc);
  }

  /** Writes the fused dW and db into the gradient arrays. */
  protected void storeWeightGradients(float[] dwAcc, float[] dbAcc) {
    Buf.write(dw, Buf.floats(dw), 0, dwAcc, dwAcc.length);
    Buf.write(db, Buf.floats(db), 0, dbAcc, dbAcc.length);
    weightGradientsDone = true;
  }

  /**
   * {@code out} ([1, cols]) = the column sums of {@code m} ([T*B, cols], unit column stride), as one GEMM with a
   * row of ones: a reduction along the rows of a row-major array is a strided walk for ND4J's reduce op, and at
   * T*B = 25600 rows that cost more than the weight-gradient GEMMs.
   */
  protected void columnSums(INDArray m, INDArray out) {
    Blas.gemm(onesRow, m, out.reshape(1, out.length()), false, false, 1.0, 0.0);
  }

  /** a = 0; in Java for a float base array (an ND4J call costs 20-50 us), else through ND4J. */
  protected static void zero(INDArray a) {
    if (a.dataType() != DataType.FLOAT || a.isView() || a.ordering() != 'c') {
      a.assign(0);
      return;
    }
    java.nio.FloatBuffer fb = Buf.floats(a);
    int o = Buf.base(a);
    int n = (int) a.length();
    for (int e = 0; e < n; e++) {
      fb.put(o + e, 0f);
    }
  }

  /**
   * Zeroes rows [0, first * batch) of a time-major array: the steps a truncated backward pass does not reach
   * (the steps it reaches are all written by the cell's backward loop).
   */
  protected void zeroStepsBefore(INDArray a, int first) {
    if (first > 0) {
      a.get(NDArrayIndex.interval(0, (long) first * batch), NDArrayIndex.all()).assign(0);
    }
  }
}
