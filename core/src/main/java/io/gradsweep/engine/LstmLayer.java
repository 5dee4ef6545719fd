package io.gradsweep.engine;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * LSTM layer without peepholes. Gate blocks in the order i, f, g, o:
 * i = sigma(.), f = sigma(.), g = tanh(.), o = sigma(.); c_t = f c_{t-1} + i g; h_t = o tanh(c_t).
 * The forget-gate bias starts at {@code forgetBias} (1.0 by default, Jozefowicz et al. 2015).
 */
public final class LstmLayer extends RecurrentLayer {
  private final double forgetBias;
  /**
   * x W, then x W + h R, per step, [T*B, 4H]; allocated by the first pass that needs it (not the float path with a
   * small input, see {@link #foldedInput()}).
   */
  private INDArray z;
  private INDArray[] zStep;
  /** h_{t-1} R of one step on the float path with a small input, [B, 4H]. */
  private INDArray zRows;
  /**
   * Largest number of floats (T*B*6H + B*H) for which the float path keeps what the backward pass reads on the heap
   * ({@link #heapState}): 16 MiB, e.g. hidden 128, batch 64, T 80.
   */
  static final long HEAP_STATE_MAX = 1L << 22;
  /** {@link #HEAP_STATE_MAX} of this layer; tests lower it to run the copying path at small shapes. */
  private long heapStateMax = HEAP_STATE_MAX;
  /**
   * Whether the last forward pass kept the activated gates, tanh(c_t) and c_0..c_T in {@link #gatesH},
   * {@link #tanhCH}, {@link #csH} (the float path of a training layer, up to {@link #HEAP_STATE_MAX}) instead of
   * {@link #gates}, {@link #tanhC}, {@link #cs} (which then hold only c_0 and c_T): the step loops work on them in
   * place, with no copy between native memory and the heap.
   */
  private boolean heapState;
  private float[] gatesH;
  private float[] tanhCH;
  private float[] csH;
  /** Activated gates per step, [T*B, 4H]. */
  private INDArray gates;
  /** c_0..c_T, [(T+1)*B, H]. */
  private INDArray cs;
  /** tanh(c_t), [T*B, H]. */
  private INDArray tanhC;
  /** dL/dc_t of the last backward pass, [T*B, H]. */
  private INDArray dC;
  /** dL/dc_{t+1} * f_{t+1} (the whole dL/dc_{t+1} after an absent step), carried to step t. */
  private double[] carry;
  /** Whether c_0 is non-zero (given with the initial state). */
  private boolean hasInitialCell;
  /** dL/dc_0 of the last backward pass that reached step 0 from a given initial state, [B, H]. */
  private INDArray dC0;

  public LstmLayer(String name, int in, int hidden, double forgetBias, DataType dtype) {
    super(name, in, hidden, 4, dtype);
    this.forgetBias = forgetBias;
  }

  @Override
  public void init(SplittableRandom rng, InitScheme scheme) {
    InitScheme.xavier(w, in, 4L * hidden, rng);
    scheme.initRecurrent(r, hidden, 4, rng);
    b.assign(0);
    b.get(NDArrayIndex.all(), NDArrayIndex.interval(hidden, 2L * hidden)).assign(forgetBias);
  }

  @Override
  public String[] gateNames() {
    return new String[] {"i", "f", "g", "o"};
  }

  @Override
  public java.util.Map<String, Double> health() {
    java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
    double[] means = heapState ? blockMeans(gatesH, 4, hidden) : blockMeans(gates, 4, hidden); // i, f, g, o
    m.put("gate_i_mean", means[0]);
    m.put("gate_f_mean", means[1]);
    m.put("gate_o_mean", means[3]);
    return m;
  }

  @Override
  protected void allocate() {
    long rows = (long) steps * batch;
    z = null;
    zStep = null;
    zRows = null;
    heapState = false;
    gatesH = null;
    tanhCH = null;
    csH = null;
    gates = zeros(rows, 4L * hidden);
    cs = zeros((long) (steps + 1) * batch, hidden);
    tanhC = zeros(rows, hidden);
    dC = null;
    carry = null;
    dC0 = null;
    hasInitialCell = false;
  }

  @Override
  protected void allocateBackward() {
    dC = zeros((long) steps * batch, hidden);
    carry = new double[batch * hidden];
    dC0 = zeros(batch, hidden);
  }

  /** Sets the largest state kept on the heap, in floats (0: never; for tests of the copying path). */
  void heapStateMax(long floats) {
    heapStateMax = floats;
  }

  public double forgetBias() {
    return forgetBias;
  }

  @Override
  protected void setInitialCell(INDArray c) {
    INDArray c0 = cs.get(NDArrayIndex.interval(0, batch), NDArrayIndex.all());
    if (c == null) {
      if (hasInitialCell) {
        c0.assign(0);
      }
      hasInitialCell = false;
    } else {
      c0.assign(checkState(c, "c"));
      hasInitialCell = true;
    }
  }

  /** h_T and c_T of the last forward pass, as new arrays [batch, hidden]. */
  @Override
  public RecurrentState finalState() {
    requireForward();
    return new RecurrentState(hsStep[steps].dup(),
        cs.get(NDArrayIndex.interval((long) steps * batch, (long) (steps + 1) * batch), NDArrayIndex.all()).dup());
  }

  @Override
  public RecurrentState initialStateGradient() {
    return hasInitialGradient ? new RecurrentState(dH0, dC0) : null;
  }

  @Override
  protected void initialGradient() {
    super.initialGradient();
    Buf cb = Buf.of(dC0);
    for (int e = 0; e < carry.length; e++) {
      cb.set(e, carry[e]);
    }
  }

  @Override
  protected boolean splitsByUnits() {
    return true;
  }

  @Override
  protected void forwardSteps() {
    int n = slices();
    int nu = unitSlices();
    long rows = (long) steps * batch;
    if (nu > 1) {
      heapState = false; // the passes split by units read and write the ND4J arrays
      ensureUnitBuffers(nu);
      together(nu, this::forwardUnits);
      return;
    }
    heapState = floatFastPath() && !forwardOnly && rows * 6 * hidden + (long) batch * hidden <= heapStateMax;
    if (heapState && gatesH == null) {
      gatesH = new float[(int) rows * 4 * hidden];
      tanhCH = new float[(int) rows * hidden];
      csH = new float[(int) (rows + batch) * hidden];
    }
    if (foldedInput()) {
      if (zRows == null) {
        zRows = zeros(batch, 4L * hidden);
      }
      parallel(n, s -> forwardFloat(sliceLo(s, n), sliceLo(s + 1, n)));
      return;
    }
    if (z == null) {
      z = zeros((long) steps * batch, 4L * hidden);
      zStep = stepViews(z, steps);
    }
    projectInput(z, n);
    if (floatFastPath()) {
      parallel(n, s -> forwardFloat(sliceLo(s, n), sliceLo(s + 1, n)));
      return;
    }
    Buf zb = Buf.of(z);
    Buf ab = Buf.of(gates);
    Buf cb = Buf.of(cs);
    Buf tcb = Buf.of(tanhC);
    Buf hb = Buf.of(hs);
    Buf bb = Buf.of(b);
    boolean[] p = present;
    int h = hidden;
    int g4 = 4 * h;
    for (int t = 0; t < steps; t++) {
      if (t > 0 || hasInitialState) {
        Blas.gemm(hsStep[t], r, zStep[t], false, false, 1.0, 1.0);
      }
      for (int i = 0; i < batch; i++) {
        int zr = (t * batch + i) * g4;
        int hr = (t * batch + i) * h;
        int prev = hr;
        int next = hr + batch * h;
        if (p != null && !p[t * batch + i]) {
          // absent step: h and c are carried, the gates are closed
          for (int j = 0; j < h; j++) {
            cb.set(next + j, cb.get(prev + j));
            hb.set(next + j, hb.get(prev + j));
            tcb.set(hr + j, 0.0);
          }
          for (int k = 0; k < g4; k++) {
            ab.set(zr + k, 0.0);
          }
          continue;
        }
        for (int j = 0; j < h; j++) {
          double ig = Buf.sigmoid(zb.get(zr + j) + bb.get(j));
          double fg = Buf.sigmoid(zb.get(zr + h + j) + bb.get(h + j));
          double gg = Buf.tanh(zb.get(zr + 2 * h + j) + bb.get(2 * h + j));
          double og = Buf.sigmoid(zb.get(zr + 3 * h + j) + bb.get(3 * h + j));
          ab.set(zr + j, ig);
          ab.set(zr + h + j, fg);
          ab.set(zr + 2 * h + j, gg);
          ab.set(zr + 3 * h + j, og);
          double c = fg * cb.get(prev + j) + ig * gg;
          double tc = Buf.tanh(c);
          cb.set(next + j, c);
          tcb.set(hr + j, tc);
          hb.set(next + j, og * tc);
        }
      }
    }
  }

  /**
   * The forward loop on heap float arrays with {@link FloatKernels}, for examples lo..hi-1: same results as the loop
   * above, in float. The gates are activated by separate kernel calls on purpose: one kernel doing all five
   * transcendental functions and the state update measured 1.5-2x slower per element (the JIT stops inlining the
   * vector exp and boxes the vectors). With a small input ({@link #foldedInput()}) the step's product goes to
   * {@link #zRows} and the kernel adds x_t W + b to it: no product over all steps, no [T*B, 4H] buffer. With
   * {@link #heapState} the kernels activate the gates and write tanh(c_t) and c_t in place in the heap arrays, which
   * the backward pass reads; else they work on per-step arrays copied to and from the ND4J ones.
   */
  private void forwardFloat(int lo, int hi) {
    FloatKernels k = FloatKernels.current();
    int nb = hi - lo;
    int h = hidden;
    int g4 = 4 * h;
    int bh = batch * h;
    int bg = batch * g4;
    int sh = nb * h;
    int sg = nb * g4;
    int oh = lo * h;
    int og = lo * g4;
    boolean fold = foldedInput();
    FloatBuffer zb = Buf.floats(fold ? zRows : z);
    float[] wIn = null;
    float[] xT = null;
    FloatBuffer xb = null;
    if (fold) {
      wIn = new float[in * g4];
      Buf.read(w, Buf.floats(w), 0, wIn, in * g4);
      xT = new float[nb * in];
      xb = Buf.floats(x);
    }
    FloatBuffer ab = Buf.floats(gates);
    FloatBuffer cb = Buf.floats(cs);
    FloatBuffer tcb = Buf.floats(tanhC);
    FloatBuffer hb = Buf.floats(hs);
    float[] bias = new float[g4];
    Buf.read(b, Buf.floats(b), 0, bias, g4);
    Blas.FloatMat hm = new Blas.FloatMat(hs);
    Blas.FloatMat rm = new Blas.FloatMat(r);
    Blas.FloatMat zm = new Blas.FloatMat(fold ? zRows : z);
    boolean heap = heapState;
    float[] zt = heap ? gatesH : new float[sg];
    float[] cPrev = heap ? csH : new float[sh];
    float[] cNext = heap ? csH : new float[sh];
    float[] tct = heap ? tanhCH : new float[sh];
    float[] ht = new float[sh];
    Buf.read(cs, cb, oh, cPrev, heap ? oh : 0, sh); // c_0
    for (int t = 0; t < steps; t++) {
      boolean past = t > 0 || hasInitialState;
      int zo = heap ? t * bg + og : 0; // step t's gates in zt
      int po = heap ? t * bh + oh : 0; // c_{t-1} in cPrev, tanh(c_t) in tct
      int co = heap ? po + bh : 0; // c_t in cNext
      if (fold) {
        if (past) {
          Blas.sgemm(hm, (long) t * batch + lo, 0, false, rm, 0, 0, false, zm, lo, 0, nb, g4, h, 1f, 0f); // h R
          Buf.read(zRows, zb, og, zt, zo, sg);
        }
        Buf.read(x, xb, (t * batch + lo) * in, xT, 0, nb * in);
      } else {
        if (past) {
          Blas.sgemm(hm, (long) t * batch + lo, 0, false, rm, 0, 0, false, zm, (long) t * batch + lo, 0, nb, g4, h,
              1f, 1f); // x W + h R
        }
        Buf.read(z, zb, t * bg + og, zt, zo, sg);
      }
      for (int i = 0; i < nb; i++) {
        int o = zo + i * g4;
        if (fold) {
          k.inputGates(zt, o, past, xT, i * in, in, wIn, bias, g4); // h R + (b + x W)
        } else {
          k.add(zt, o, bias, 0, g4);
        }
        k.sigmoid(zt, o, 2 * h); // i, f
        k.tanh(zt, o + 2 * h, h); // g
        k.sigmoid(zt, o + 3 * h, h); // o
        int e = i * h;
        k.lstmState(zt, o, h, cPrev, po + e, cNext, co + e, tct, po + e, ht, e);
      }
      if (heap) { // the gates, tanh(c_t) and c_t stay on the heap for the backward pass
        if (t == steps - 1) { // c_T: the final state
          Buf.write(cs, cb, (t + 1) * bh + oh, cNext, co, sh);
        }
        Buf.write(hs, hb, (t + 1) * bh + oh, ht, 0, sh);
        continue;
      }
      if (!forwardOnly) { // what only the backward pass reads
        Buf.write(gates, ab, t * bg + og, zt, sg);
        Buf.write(tanhC, tcb, t * bh + oh, tct, sh);
      }
      if (!forwardOnly || t == steps - 1) { // c_T: the final state
        Buf.write(cs, cb, (t + 1) * bh + oh, cNext, sh);
      }
      Buf.write(hs, hb, (t + 1) * bh + oh, ht, sh);
      float[] swap = cPrev;
      cPrev = cNext;
      cNext = swap;
    }
  }

  @Override
  protected void backwardSteps(INDArray dOut, int first) {
    zeroStepsBefore(dH, first);
    zeroStepsBefore(dC, first);
    zeroStepsBefore(dZ, first);
    int nu = heapState ? 1 : unitSlices();
    if (nu > 1) {
      ensureUnitBuffers(nu);
      together(nu, (lo, hi, s, barrier) -> backwardUnits(dOut, first, lo, hi, barrier));
      weightGradientsDone = true; // the input is folded, so the slices wrote dW and db
      return;
    }
    if (floatFastPath()) {
      backwardFloatSlices((lo, hi, fused, dwParts, dbParts, s) ->
          backwardFloat(dOut, first, lo, hi, fused, dwParts, dbParts, s));
      return;
    }
    Buf dob = Buf.of(dOut);
    Buf dhb = Buf.of(dH);
    Buf dcb = Buf.of(dC);
    Buf dzb = Buf.of(dZ);
    Buf ab = Buf.of(gates);
    Buf cb = Buf.of(cs);
    Buf tcb = Buf.of(tanhC);
    Buf rec = Buf.of(dRec);
    boolean[] p = present;
    double[] hc = hCarry;
    int h = hidden;
    int g4 = 4 * h;
    for (int t = steps - 1; t >= first; t--) {
      boolean fromFuture = t < steps - 1;
      if (fromFuture) {
        Blas.gemm(dzStep[t + 1], rT, dRec, false, false, 1.0, 0.0);
      }
      for (int i = 0; i < batch; i++) {
        int zr = (t * batch + i) * g4;
        int hr = (t * batch + i) * h;
        int rr = i * h;
        if (p != null && !p[t * batch + i]) {
          // absent step: h and c gradients pass to step t-1 unchanged; no pre-activation gradient
          for (int j = 0; j < h; j++) {
            double dh = (fromFuture ? rec.get(rr + j) : 0.0) + hc[rr + j];
            double dc = fromFuture ? carry[rr + j] : 0.0;
            dhb.set(hr + j, dh);
            dcb.set(hr + j, dc);
            hc[rr + j] = dh;
            carry[rr + j] = dc;
          }
          for (int k = 0; k < g4; k++) {
            dzb.set(zr + k, 0.0);
          }
          continue;
        }
        for (int j = 0; j < h; j++) {
          double dh = dob.get(hr + j) + (fromFuture ? rec.get(rr + j) : 0.0);
          if (p != null) {
            dh += hc[rr + j];
            hc[rr + j] = 0.0;
          }
          double ig = ab.get(zr + j);
          double fg = ab.get(zr + h + j);
          double gg = ab.get(zr + 2 * h + j);
          double og = ab.get(zr + 3 * h + j);
          double tc = tcb.get(hr + j);
          double dc = dh * og * (1.0 - tc * tc) + (fromFuture ? carry[rr + j] : 0.0);
          dhb.set(hr + j, dh);
          dcb.set(hr + j, dc);
          dzb.set(zr + j, dc * gg * ig * (1.0 - ig));
          dzb.set(zr + h + j, dc * cb.get(hr + j) * fg * (1.0 - fg));
          dzb.set(zr + 2 * h + j, dc * ig * (1.0 - gg * gg));
          dzb.set(zr + 3 * h + j, dh * tc * og * (1.0 - og));
          carry[rr + j] = dc * fg;
        }
      }
    }
  }

  /**
   * The backward loop on heap float arrays with {@link FloatKernels}, for examples lo..hi-1 (slice s): same results
   * as the loop above, in float. With {@code fused}, the slice's dW and db go to {@code dwParts[s]}, {@code dbParts[s]}.
   */
  private void backwardFloat(INDArray dOut, int first, int lo, int hi, boolean fused, float[][] dwParts,
      float[][] dbParts, int s) {
    FloatKernels k = FloatKernels.current();
    int nb = hi - lo;
    int h = hidden;
    int g4 = 4 * h;
    int bh = batch * h;
    int bg = batch * g4;
    int sh = nb * h;
    int sg = nb * g4;
    int oh = lo * h;
    int og = lo * g4;
    FloatBuffer dob = Buf.floats(dOut);
    FloatBuffer dhb = Buf.floats(dH);
    FloatBuffer dcb = Buf.floats(dC);
    FloatBuffer dzb = Buf.floats(dZ);
    FloatBuffer ab = Buf.floats(gates);
    FloatBuffer cb = Buf.floats(cs);
    FloatBuffer tcb = Buf.floats(tanhC);
    FloatBuffer recb = Buf.floats(dRec);
    float[] dOutT = new float[sh];
    float[] recT = new float[sh]; // zero at the last step: nothing comes from the future
    Blas.FloatMat dzm = new Blas.FloatMat(dZ); // dz_{t+1} R^T with R^T the copy rT (see stepProduct)
    Blas.FloatMat rtm = new Blas.FloatMat(rT);
    Blas.FloatMat recm = new Blas.FloatMat(dRec);
    boolean stepDr = nb == batch && stepwiseRecurrentGradient();
    Blas.FloatMat hm = stepDr ? new Blas.FloatMat(hs) : null;
    Blas.FloatMat drm = stepDr ? new Blas.FloatMat(dr) : null;
    boolean heap = heapState;
    float[] gT = heap ? gatesH : new float[sg];
    float[] tcT = heap ? tanhCH : new float[sh];
    float[] cPrevT = heap ? csH : new float[sh];
    float[] carryT = new float[sh];
    float[] dhT = new float[sh];
    float[] dcT = new float[sh];
    float[] dzT = new float[sg];
    FloatBuffer xb = fused ? Buf.floats(x) : null;
    float[] xT = fused ? new float[nb * in] : null;
    float[] dwAcc = fused ? new float[in * g4] : null;
    float[] dbAcc = fused ? new float[g4] : null;
    for (int t = steps - 1; t >= first; t--) {
      if (t < steps - 1) {
        Blas.sgemm(dzm, (long) (t + 1) * batch + lo, 0, false, rtm, 0, 0, false, recm, lo, 0, nb, h, g4, 1f, 0f);
        Buf.read(dRec, recb, oh, recT, sh);
      }
      Buf.read(dOut, dob, t * bh + oh, dOutT, sh);
      int go = heap ? t * bg + og : 0; // step t's gates in gT
      int po = heap ? t * bh + oh : 0; // tanh(c_t) in tcT, c_{t-1} in cPrevT
      if (!heap) {
        Buf.read(gates, ab, t * bg + og, gT, sg);
        Buf.read(tanhC, tcb, t * bh + oh, tcT, sh);
        Buf.read(cs, cb, t * bh + oh, cPrevT, sh); // c_{t-1}: cs holds c_0..c_T
      }
      for (int i = 0; i < nb; i++) {
        k.lstmBackward(gT, go + i * g4, h, dOutT, recT, tcT, po + i * h, cPrevT, po + i * h, carryT, dhT, dcT, dzT,
            i * g4, i * h);
      }
      Buf.write(dH, dhb, t * bh + oh, dhT, sh);
      Buf.write(dC, dcb, t * bh + oh, dcT, sh);
      Buf.write(dZ, dzb, t * bg + og, dzT, sg);
      if (stepDr) { // one slice, small R: dR step by step (else one product, per column block, after the loop)
        accumulateRecurrentGradient(hm, dzm, drm, t, t == steps - 1);
      }
      if (fused) {
        Buf.read(x, xb, (t * batch + lo) * in, xT, nb * in);
        accumulateWeightGradients(k, dzT, xT, dwAcc, dbAcc, g4, nb);
      }
    }
    if (fused) {
      dwParts[s] = dwAcc;
      dbParts[s] = dbAcc;
    }
    for (int e = 0; e < sh; e++) {
      carry[oh + e] = carryT[e];
    }
  }

  /**
   * The float forward loop for hidden units lo..hi-1 of all examples (slice s of a pass split by units, see
   * {@link #unitSlices()}): the same operations on each element as {@link #forwardFloat} with the input folded in.
   * The slice works on a compact layout of its gates ([i f g o] blocks of its units, per example) with its own copy
   * of the matching columns of R, W and b, and writes its columns of the gates, tanh(c_t), c_t and h_t; each step ends
   * at the barrier, because the next step's product needs all of h_t.
   */
  private void forwardUnits(int lo, int hi, int s, EngineThreads.StepBarrier barrier) {
    FloatKernels k = FloatKernels.current();
    int h = hidden;
    int g4 = 4 * h;
    int nb = batch;
    int u = hi - lo;
    int gs = 4 * u;
    INDArray rS = unitRecurrent(lo, hi, s);
    INDArray zS = unitZ[s];
    float[] wS = unitColumns(w, lo, hi);
    float[] biasS = unitColumns(b, lo, hi);
    FloatBuffer xb = Buf.floats(x);
    FloatBuffer zsb = Buf.floats(zS);
    FloatBuffer ab = Buf.floats(gates);
    FloatBuffer cb = Buf.floats(cs);
    FloatBuffer tcb = Buf.floats(tanhC);
    FloatBuffer hb = Buf.floats(hs);
    Blas.FloatMat hm = new Blas.FloatMat(hs);
    Blas.FloatMat rm = new Blas.FloatMat(rS);
    Blas.FloatMat zm = new Blas.FloatMat(zS);
    float[] zt = new float[nb * gs];
    float[] cPrev = new float[nb * u];
    float[] cNext = new float[nb * u];
    float[] tct = new float[nb * u];
    float[] ht = new float[nb * u];
    float[] xT = new float[nb * in];
    for (int i = 0; i < nb; i++) {
      Buf.read(cs, cb, i * h + lo, cPrev, i * u, u); // c_0
    }
    for (int t = 0; t < steps; t++) {
      boolean past = t > 0 || hasInitialState;
      if (past) {
        Blas.sgemm(hm, (long) t * nb, 0, false, rm, 0, 0, false, zm, 0, 0, nb, gs, h, 1f, 0f); // h R, own gates
        Buf.read(zS, zsb, 0, zt, nb * gs);
      }
      Buf.read(x, xb, t * nb * in, xT, 0, nb * in);
      for (int i = 0; i < nb; i++) {
        int o = i * gs;
        int e = i * u;
        k.inputGates(zt, o, past, xT, i * in, in, wS, biasS, gs); // h R + (b + x W)
        k.sigmoid(zt, o, 2 * u); // i, f
        k.tanh(zt, o + 2 * u, u); // g
        k.sigmoid(zt, o + 3 * u, u); // o
        k.lstmState(zt, o, u, cPrev, e, cNext, e, tct, e, ht, e);
      }
      for (int i = 0; i < nb; i++) {
        int row = t * nb + i;
        int e = i * u;
        if (!forwardOnly) { // what only the backward pass reads
          writeUnitGates(gates, ab, row * g4, lo, zt, i * gs, u);
          Buf.write(tanhC, tcb, row * h + lo, tct, e, u);
        }
        if (!forwardOnly || t == steps - 1) { // c_T: the final state
          Buf.write(cs, cb, (row + nb) * h + lo, cNext, e, u);
        }
        Buf.write(hs, hb, (row + nb) * h + lo, ht, e, u);
      }
      float[] swap = cPrev;
      cPrev = cNext;
      cNext = swap;
      barrier.await(); // h_t is whole before any slice's next product reads it
    }
  }

  /**
   * The float backward loop for hidden units lo..hi-1 of all examples (a slice of a pass split by units): the same
   * operations on each element as {@link #backwardFloat}. Each step's product dz_{t+1} R^T needs all of dz_{t+1},
   * so each step ends at the barrier. The slice's dW and db columns (input folded: fused) are its own, written
   * without a sum over slices; dR is the product over all steps after the loop, split by columns.
   */
  private void backwardUnits(INDArray dOut, int first, int lo, int hi, EngineThreads.StepBarrier barrier) {
    FloatKernels k = FloatKernels.current();
    int h = hidden;
    int g4 = 4 * h;
    int nb = batch;
    int u = hi - lo;
    int gs = 4 * u;
    FloatBuffer dob = Buf.floats(dOut);
    FloatBuffer dhb = Buf.floats(dH);
    FloatBuffer dcb = Buf.floats(dC);
    FloatBuffer dzb = Buf.floats(dZ);
    FloatBuffer ab = Buf.floats(gates);
    FloatBuffer cb = Buf.floats(cs);
    FloatBuffer tcb = Buf.floats(tanhC);
    FloatBuffer recb = Buf.floats(dRec);
    FloatBuffer xb = Buf.floats(x);
    Blas.FloatMat dzm = new Blas.FloatMat(dZ);
    Blas.FloatMat rtm = new Blas.FloatMat(rT);
    Blas.FloatMat recm = new Blas.FloatMat(dRec);
    float[] dOutT = new float[nb * u];
    float[] recT = new float[nb * u]; // zero at the last step: nothing comes from the future
    float[] gT = new float[nb * gs];
    float[] tcT = new float[nb * u];
    float[] cPrevT = new float[nb * u];
    float[] carryT = new float[nb * u];
    float[] dhT = new float[nb * u];
    float[] dcT = new float[nb * u];
    float[] dzT = new float[nb * gs];
    float[] xT = new float[nb * in];
    float[] dwS = new float[in * gs];
    float[] dbS = new float[gs];
    for (int t = steps - 1; t >= first; t--) {
      if (t < steps - 1) {
        Blas.sgemm(dzm, (long) (t + 1) * nb, 0, false, rtm, 0, lo, false, recm, 0, lo, nb, u, g4, 1f, 0f);
        for (int i = 0; i < nb; i++) {
          Buf.read(dRec, recb, i * h + lo, recT, i * u, u);
        }
      }
      for (int i = 0; i < nb; i++) {
        int row = t * nb + i;
        int e = i * u;
        Buf.read(dOut, dob, row * h + lo, dOutT, e, u);
        readUnitGates(gates, ab, row * g4, lo, gT, i * gs, u);
        Buf.read(tanhC, tcb, row * h + lo, tcT, e, u);
        Buf.read(cs, cb, row * h + lo, cPrevT, e, u); // c_{t-1}: cs holds c_0..c_T
      }
      for (int i = 0; i < nb; i++) {
        k.lstmBackward(gT, i * gs, u, dOutT, recT, tcT, i * u, cPrevT, i * u, carryT, dhT, dcT, dzT, i * gs, i * u);
      }
      for (int i = 0; i < nb; i++) {
        int row = t * nb + i;
        int e = i * u;
        Buf.write(dH, dhb, row * h + lo, dhT, e, u);
        Buf.write(dC, dcb, row * h + lo, dcT, e, u);
        writeUnitGates(dZ, dzb, row * g4, lo, dzT, i * gs, u);
      }
      Buf.read(x, xb, t * nb * in, xT, nb * in);
      accumulateWeightGradients(k, dzT, xT, dwS, dbS, gs, nb);
      barrier.await(); // dz_t is whole before any slice's next product reads it
    }
    for (int i = 0; i < nb; i++) {
      for (int j = 0; j < u; j++) {
        carry[i * h + lo + j] = carryT[i * u + j];
      }
    }
    writeUnitColumns(dw, dwS, lo, hi);
    writeUnitColumns(db, dbS, lo, hi);
  }

  /** dL/dc_t of the last backward pass, [T*B, hidden]. */
  public INDArray cellGradients() {
    hiddenGradients(); // allocates the backward buffers (zeros) before the first backward pass at this shape
    return dC;
  }

  @Override
  public boolean hasCellState() {
    return true;
  }

  /** {@code dc}: dL/dc_t of the last backward pass, [T*B, hidden]. */
  @Override
  public java.util.Map<String, INDArray> extraStateGradients() {
    hiddenGradients(); // allocates the backward buffers (zeros) before the first backward pass at this shape
    return dC == null ? java.util.Map.of() : java.util.Map.of("dc", dC);
  }
}
