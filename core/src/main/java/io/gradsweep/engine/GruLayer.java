package io.gradsweep.engine;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * GRU layer with the equations of PyTorch's {@code nn.GRU}, gate blocks in the order r, z, n:
 * <pre>
 * r = sigma(x W_r + b_r + h R_r)      z = sigma(x W_z + b_z + h R_z)
 * n = tanh(x W_n + b_n + r * (h R_n + bh_n))
 * h' = (1 - z) * n + z * h
 * </pre>
 * The reset gate multiplies {@code h R_n + bh_n}, so the recurrent bias of the candidate ({@code Rb}, [1, H]) is a
 * parameter of its own; PyTorch's separate recurrent biases of r and z are folded into {@code b}.
 */
public final class GruLayer extends RecurrentLayer {
  private INDArray bh;
  private INDArray dbh;
  /** x W per step, [T*B, 3H]. */
  private INDArray z;
  /** Activated gates r, z, n per step, [T*B, 3H]. */
  private INDArray gates;
  /** h R_n + bh_n per step, [T*B, H]. */
  private INDArray hn;
  /** h_{t-1} R for the current step, [B, 3H]. */
  private INDArray hr;
  /** Gradient of the recurrent pre-activations (h R + [0, 0, bh]), [T*B, 3H]. */
  private INDArray dHR;
  private INDArray[] dhrStep;
  /** dL/dh_{t+1} * z_{t+1} (the whole dL/dh_{t+1} after an absent step), carried to step t. */
  private double[] carry;

  public GruLayer(String name, int in, int hidden, DataType dtype) {
    super(name, in, hidden, 3, dtype);
  }

  @Override
  public Map<String, long[]> paramShapes() {
    Map<String, long[]> m = super.paramShapes();
    m.put("Rb", new long[] {1, hidden});
    return m;
  }

  @Override
  protected void setBlock(String key, INDArray p, INDArray g) {
    if ("Rb".equals(key)) {
      bh = p;
      dbh = g;
    } else {
      super.setBlock(key, p, g);
    }
  }

  @Override
  public List<ParamBlock> blocks() {
    List<ParamBlock> out = new ArrayList<>(super.blocks());
    out.add(new ParamBlock(name, "Rb", bh, dbh));
    return out;
  }

  @Override
  public void init(SplittableRandom rng, InitScheme scheme) {
    InitScheme.xavier(w, in, 3L * hidden, rng);
    scheme.initRecurrent(r, hidden, 3, rng);
    b.assign(0);
    bh.assign(0);
  }

  @Override
  public String[] gateNames() {
    return new String[] {"r", "z", "n"};
  }

  @Override
  public java.util.Map<String, Double> health() {
    java.util.Map<String, Double> m = new java.util.LinkedHashMap<>();
    double[] means = blockMeans(gates, 3, hidden); // r, z, n
    m.put("gate_r_mean", means[0]);
    m.put("gate_z_mean", means[1]);
    return m;
  }

  @Override
  protected void allocate() {
    long rows = (long) steps * batch;
    z = null; // x W over all steps, made by the first pass that does not fold the input into its steps
    gates = zeros(rows, 3L * hidden);
    hn = zeros(rows, hidden);
    hr = zeros(batch, 3L * hidden);
    dHR = null;
    dhrStep = null;
    carry = null;
  }

  @Override
  protected void allocateBackward() {
    dHR = zeros((long) steps * batch, 3L * hidden);
    dhrStep = stepViews(dHR, steps);
    carry = new double[batch * hidden];
  }

  @Override
  protected boolean splitsByUnits() {
    return true;
  }

  @Override
  protected void forwardSteps() {
    int ns = slices();
    int nu = unitSlices();
    if (nu > 1) {
      ensureUnitBuffers(nu);
      together(nu, this::forwardUnits);
      return;
    }
    if (foldedInput()) {
      parallel(ns, s -> forwardFloat(sliceLo(s, ns), sliceLo(s + 1, ns)));
      return;
    }
    if (z == null) {
      z = zeros((long) steps * batch, 3L * hidden);
    }
    projectInput(z, ns);
    if (floatFastPath()) {
      parallel(ns, s -> forwardFloat(sliceLo(s, ns), sliceLo(s + 1, ns)));
      return;
    }
    Buf zb = Buf.of(z);
    Buf ab = Buf.of(gates);
    Buf hnb = Buf.of(hn);
    Buf hrb = Buf.of(hr);
    Buf hb = Buf.of(hs);
    Buf bb = Buf.of(b);
    Buf bhb = Buf.of(bh);
    boolean[] p = present;
    int h = hidden;
    int g3 = 3 * h;
    for (int t = 0; t < steps; t++) {
      boolean fromPast = t > 0 || hasInitialState;
      if (fromPast) {
        Blas.gemm(hsStep[t], r, hr, false, false, 1.0, 0.0);
      }
      for (int i = 0; i < batch; i++) {
        int zr = (t * batch + i) * g3;
        int rr = i * g3;
        int row = (t * batch + i) * h;
        int next = row + batch * h;
        if (p != null && !p[t * batch + i]) {
          // absent step: the state is carried, the gates are closed
          for (int j = 0; j < h; j++) {
            hb.set(next + j, hb.get(row + j));
            hnb.set(row + j, 0.0);
          }
          for (int k = 0; k < g3; k++) {
            ab.set(zr + k, 0.0);
          }
          continue;
        }
        for (int j = 0; j < h; j++) {
          double rg = Buf.sigmoid(zb.get(zr + j) + bb.get(j) + (fromPast ? hrb.get(rr + j) : 0.0));
          double zg = Buf.sigmoid(zb.get(zr + h + j) + bb.get(h + j) + (fromPast ? hrb.get(rr + h + j) : 0.0));
          double hnv = (fromPast ? hrb.get(rr + 2 * h + j) : 0.0) + bhb.get(j);
          double ng = Buf.tanh(zb.get(zr + 2 * h + j) + bb.get(2 * h + j) + rg * hnv);
          ab.set(zr + j, rg);
          ab.set(zr + h + j, zg);
          ab.set(zr + 2 * h + j, ng);
          hnb.set(row + j, hnv);
          double hPrev = hb.get(row + j);
          hb.set(next + j, ng + zg * (hPrev - ng));
        }
      }
    }
  }

  /**
   * The forward loop on heap float arrays with {@link FloatKernels}, for examples lo..hi-1: same results as the loop
   * above, in float. With a small input ({@link #foldedInput()}) the kernel computes each step's x_t W + b itself
   * (a few fused multiply-adds per element) instead of a product x W over all steps before the loop, which for two
   * input features is a memory-bound pass over a [T*B, 3H] buffer.
   */
  private void forwardFloat(int lo, int hi) {
    FloatKernels k = FloatKernels.current();
    int nb = hi - lo;
    int h = hidden;
    int g3 = 3 * h;
    int bh3 = batch * g3;
    int n = batch * h;
    int sg = nb * g3;
    int sn = nb * h;
    int og = lo * g3;
    int oh = lo * h;
    boolean fold = foldedInput();
    FloatBuffer zb = fold ? null : Buf.floats(z);
    float[] wIn = null;
    float[] xT = null;
    FloatBuffer xb = null;
    if (fold) {
      wIn = new float[in * g3];
      Buf.read(w, Buf.floats(w), 0, wIn, in * g3);
      xT = new float[nb * in];
      xb = Buf.floats(x);
    }
    FloatBuffer ab = Buf.floats(gates);
    FloatBuffer hnb = Buf.floats(hn);
    FloatBuffer hrb = Buf.floats(hr);
    FloatBuffer hb = Buf.floats(hs);
    Blas.FloatMat hm = new Blas.FloatMat(hs);
    Blas.FloatMat rm = new Blas.FloatMat(r);
    Blas.FloatMat hrm = new Blas.FloatMat(hr);
    float[] bias = new float[g3];
    Buf.read(b, Buf.floats(b), 0, bias, g3);
    float[] biasH = new float[h];
    Buf.read(bh, Buf.floats(bh), 0, biasH, h);
    float[] zt = new float[sg];
    float[] hrt = new float[sg];
    float[] hnt = new float[sn];
    float[] hPrev = new float[sn];
    float[] hNext = new float[sn];
    Buf.read(hs, hb, oh, hPrev, sn);
    for (int t = 0; t < steps; t++) {
      boolean fromPast = t > 0 || hasInitialState;
      if (fromPast) {
        Blas.sgemm(hm, (long) t * batch + lo, 0, false, rm, 0, 0, false, hrm, lo, 0, nb, g3, h, 1f, 0f); // h R
        Buf.read(hr, hrb, og, hrt, sg);
      }
      if (fold) {
        Buf.read(x, xb, (t * batch + lo) * in, xT, 0, nb * in);
      } else {
        Buf.read(z, zb, t * bh3 + og, zt, sg);
      }
      for (int i = 0; i < nb; i++) {
        int o = i * g3;
        if (fold) {
          k.inputGates(zt, o, false, xT, i * in, in, wIn, bias, g3); // x W + b
        } else {
          k.add(zt, o, bias, 0, g3);
        }
        if (fromPast) {
          k.add(zt, o, hrt, o, 2 * h); // r and z see h_{t-1} R; the candidate sees r (h_{t-1} R_n + bh_n)
        }
        k.sigmoid(zt, o, 2 * h);
        k.gruState(zt, o, h, hrt, o, fromPast, biasH, hnt, hPrev, hNext, i * h);
      }
      if (!forwardOnly) { // what only the backward pass reads
        Buf.write(gates, ab, t * bh3 + og, zt, sg);
        Buf.write(hn, hnb, t * n + oh, hnt, sn);
      }
      Buf.write(hs, hb, (t + 1) * n + oh, hNext, sn);
      float[] swap = hPrev;
      hPrev = hNext;
      hNext = swap;
    }
  }

  /**
   * The float forward loop for hidden units lo..hi-1 of all examples (slice s of a pass split by units, see
   * {@link #unitSlices()}): the same operations on each element as {@link #forwardFloat} with the input folded in.
   * The slice works on a compact layout of its gates ([r z n] blocks of its units, per example) with its own copy of
   * the matching columns of R, W, b and of the candidate's recurrent bias, so that its candidate sees
   * r (h R_n + bh_n) of its own units; it writes its columns of the gates, h R_n + bh_n and h_t. Each step ends at
   * the barrier, because the next step's product needs all of h_t.
   */
  private void forwardUnits(int lo, int hi, int s, EngineThreads.StepBarrier barrier) {
    FloatKernels k = FloatKernels.current();
    int h = hidden;
    int g3 = 3 * h;
    int nb = batch;
    int u = hi - lo;
    int gs = 3 * u;
    INDArray rS = unitRecurrent(lo, hi, s);
    INDArray hrS = unitZ[s];
    float[] wS = unitColumns(w, lo, hi);
    float[] biasS = unitColumns(b, lo, hi);
    float[] biasH = new float[u];
    Buf.read(bh, Buf.floats(bh), lo, biasH, u);
    FloatBuffer xb = Buf.floats(x);
    FloatBuffer hrsb = Buf.floats(hrS);
    FloatBuffer ab = Buf.floats(gates);
    FloatBuffer hnb = Buf.floats(hn);
    FloatBuffer hb = Buf.floats(hs);
    Blas.FloatMat hm = new Blas.FloatMat(hs);
    Blas.FloatMat rm = new Blas.FloatMat(rS);
    Blas.FloatMat hrm = new Blas.FloatMat(hrS);
    float[] zt = new float[nb * gs];
    float[] hrt = new float[nb * gs];
    float[] hnt = new float[nb * u];
    float[] hPrev = new float[nb * u];
    float[] hNext = new float[nb * u];
    float[] xT = new float[nb * in];
    for (int i = 0; i < nb; i++) {
      Buf.read(hs, hb, i * h + lo, hPrev, i * u, u); // h_0
    }
    for (int t = 0; t < steps; t++) {
      boolean fromPast = t > 0 || hasInitialState;
      if (fromPast) {
        Blas.sgemm(hm, (long) t * nb, 0, false, rm, 0, 0, false, hrm, 0, 0, nb, gs, h, 1f, 0f); // h R, own gates
        Buf.read(hrS, hrsb, 0, hrt, nb * gs);
      }
      Buf.read(x, xb, t * nb * in, xT, 0, nb * in);
      for (int i = 0; i < nb; i++) {
        int o = i * gs;
        k.inputGates(zt, o, false, xT, i * in, in, wS, biasS, gs); // x W + b
        if (fromPast) {
          k.add(zt, o, hrt, o, 2 * u); // r and z see h_{t-1} R; the candidate sees r (h_{t-1} R_n + bh_n)
        }
        k.sigmoid(zt, o, 2 * u);
        k.gruState(zt, o, u, hrt, o, fromPast, biasH, hnt, hPrev, hNext, i * u);
      }
      for (int i = 0; i < nb; i++) {
        int row = t * nb + i;
        int e = i * u;
        if (!forwardOnly) { // what only the backward pass reads
          writeUnitGates(gates, ab, row * g3, lo, zt, i * gs, u);
          Buf.write(hn, hnb, row * h + lo, hnt, e, u);
        }
        Buf.write(hs, hb, (row + nb) * h + lo, hNext, e, u);
      }
      float[] swap = hPrev;
      hPrev = hNext;
      hNext = swap;
      barrier.await(); // h_t is whole before any slice's next product reads it
    }
  }

  @Override
  protected void backwardSteps(INDArray dOut, int first) {
    zeroStepsBefore(dH, first);
    zeroStepsBefore(dZ, first);
    zeroStepsBefore(dHR, first);
    int nu = unitSlices();
    if (nu > 1) {
      ensureUnitBuffers(nu);
      together(nu, (lo, hi, s, barrier) -> backwardUnits(dOut, first, lo, hi, barrier));
      weightGradientsDone = true; // the input is folded, so the slices wrote dW, db and dRb
      biasHiddenDone = true;
      return;
    }
    int ns = slices();
    if (floatFastPath()) {
      float[][] dbhParts = new float[ns][];
      biasHiddenDone = false;
      backwardFloatSlices((lo, hi, fused, dwParts, dbParts, s) -> {
        dbhParts[s] = backwardFloat(dOut, first, lo, hi, fused, dwParts, dbParts, s);
      });
      if (dbhParts[0] != null) {
        float[] acc = dbhParts[0];
        if (ns > 1) {
          FloatKernels k = FloatKernels.current();
          acc = acc.clone();
          for (int s = 1; s < ns; s++) {
            k.add(acc, 0, dbhParts[s], 0, acc.length);
          }
        }
        Buf.write(dbh, Buf.floats(dbh), 0, acc, acc.length);
        biasHiddenDone = true;
      }
      return;
    }
    biasHiddenDone = false;
    parallel(ns, s -> backwardSlice(dOut, first, sliceLo(s, ns), sliceLo(s + 1, ns)));
  }

  /** The backward loop for examples lo..hi-1, in double through {@link Buf} (the masked and double paths). */
  private void backwardSlice(INDArray dOut, int first, int lo, int hi) {
    Buf dob = Buf.of(dOut);
    Buf dhb = Buf.of(dH);
    Buf dab = Buf.of(dZ);
    Buf dhrb = Buf.of(dHR);
    Buf ab = Buf.of(gates);
    Buf hnb = Buf.of(hn);
    Buf hb = Buf.of(hs);
    Buf rec = Buf.of(dRec);
    boolean[] p = present;
    int h = hidden;
    int g3 = 3 * h;
    for (int t = steps - 1; t >= first; t--) {
      boolean fromFuture = t < steps - 1;
      if (fromFuture) {
        stepProduct(dHR, (long) (t + 1) * batch + lo, true, dRec, lo, hi - lo, 0.0);
      }
      for (int i = lo; i < hi; i++) {
        int zr = (t * batch + i) * g3;
        int row = (t * batch + i) * h;
        int rr = i * h;
        if (p != null && !p[t * batch + i]) {
          // absent step: the state gradient passes to h_{t-1} unchanged
          for (int j = 0; j < h; j++) {
            double dh = fromFuture ? rec.get(rr + j) + carry[rr + j] : 0.0;
            dhb.set(row + j, dh);
            carry[rr + j] = dh;
          }
          for (int k = 0; k < g3; k++) {
            dab.set(zr + k, 0.0);
            dhrb.set(zr + k, 0.0);
          }
          continue;
        }
        for (int j = 0; j < h; j++) {
          double dh = dob.get(row + j) + (fromFuture ? rec.get(rr + j) + carry[rr + j] : 0.0);
          double rg = ab.get(zr + j);
          double zg = ab.get(zr + h + j);
          double ng = ab.get(zr + 2 * h + j);
          double hPrev = hb.get(row + j);
          double dn = dh * (1.0 - zg) * (1.0 - ng * ng);
          double dz = dh * (hPrev - ng) * zg * (1.0 - zg);
          double dr = dn * hnb.get(row + j) * rg * (1.0 - rg);
          dhb.set(row + j, dh);
          dab.set(zr + j, dr);
          dab.set(zr + h + j, dz);
          dab.set(zr + 2 * h + j, dn);
          dhrb.set(zr + j, dr);
          dhrb.set(zr + h + j, dz);
          dhrb.set(zr + 2 * h + j, dn * rg);
          carry[rr + j] = dh * zg;
        }
      }
    }
  }

  /** Set by a float backward loop that accumulated the candidate's recurrent bias gradient dRb itself. */
  private boolean biasHiddenDone;

  /**
   * The backward loop on heap float arrays with {@link FloatKernels}, for examples lo..hi-1 (slice s): same results
   * as the loop above, in float. With {@code fused} (a small input, see {@link #fusedWeightGradients()}), the
   * slice's dW and db go to {@code dwParts[s]}, {@code dbParts[s]}, and its dRb is returned (else null): each step's
   * rows are added while they are in heap arrays, instead of products over all of dZ after the loop. With one slice
   * and a small R, dR is summed step by step as well ({@link #accumulateRecurrentGradient}).
   */
  private float[] backwardFloat(INDArray dOut, int first, int lo, int hi, boolean fused, float[][] dwParts,
      float[][] dbParts, int s) {
    FloatKernels k = FloatKernels.current();
    int nb = hi - lo;
    int h = hidden;
    int g3 = 3 * h;
    int n = batch * h;
    int bg = batch * g3;
    int sh = nb * h;
    int sg = nb * g3;
    int oh = lo * h;
    int og = lo * g3;
    FloatBuffer dob = Buf.floats(dOut);
    FloatBuffer dhb = Buf.floats(dH);
    FloatBuffer dzb = Buf.floats(dZ);
    FloatBuffer dhrb = Buf.floats(dHR);
    FloatBuffer ab = Buf.floats(gates);
    FloatBuffer hnb = Buf.floats(hn);
    FloatBuffer hb = Buf.floats(hs);
    FloatBuffer recb = Buf.floats(dRec);
    float[] dOutT = new float[sh];
    float[] recT = new float[sh];
    float[] carryT = new float[sh];
    float[] gT = new float[sg];
    float[] hPrevT = new float[sh];
    float[] hnT = new float[sh];
    float[] dhT = new float[sh];
    float[] dzT = new float[sg];
    float[] dhrT = new float[sg];
    Blas.FloatMat dhrm = new Blas.FloatMat(dHR); // dhr_{t+1} R^T with R^T the copy rT
    Blas.FloatMat rtm = new Blas.FloatMat(rT);
    Blas.FloatMat recm = new Blas.FloatMat(dRec);
    boolean stepDr = nb == batch && stepwiseRecurrentGradient();
    Blas.FloatMat hm = stepDr ? new Blas.FloatMat(hs) : null;
    Blas.FloatMat drm = stepDr ? new Blas.FloatMat(dr) : null;
    FloatBuffer xb = fused ? Buf.floats(x) : null;
    float[] xT = fused ? new float[nb * in] : null;
    float[] dwAcc = fused ? new float[in * g3] : null;
    float[] dbAcc = fused ? new float[g3] : null;
    float[] dbhAcc = fused ? new float[h] : null;
    for (int t = steps - 1; t >= first; t--) {
      boolean fromFuture = t < steps - 1;
      if (fromFuture) {
        Blas.sgemm(dhrm, (long) (t + 1) * batch + lo, 0, false, rtm, 0, 0, false, recm, lo, 0, nb, h, g3, 1f, 0f);
        Buf.read(dRec, recb, oh, recT, sh);
      }
      Buf.read(dOut, dob, t * n + oh, dOutT, sh);
      Buf.read(gates, ab, t * bg + og, gT, sg);
      Buf.read(hs, hb, t * n + oh, hPrevT, sh); // h_{t-1}: hs holds h_0..h_T
      Buf.read(hn, hnb, t * n + oh, hnT, sh);
      for (int i = 0; i < nb; i++) {
        k.gruBackward(gT, i * g3, h, dOutT, recT, fromFuture, carryT, hPrevT, hnT, dhT, dzT, dhrT, i * h);
      }
      Buf.write(dH, dhb, t * n + oh, dhT, sh);
      Buf.write(dZ, dzb, t * bg + og, dzT, sg);
      Buf.write(dHR, dhrb, t * bg + og, dhrT, sg);
      if (stepDr) { // one slice, small R: dR step by step (else one product, per column block, after the loop)
        accumulateRecurrentGradient(hm, dhrm, drm, t, t == steps - 1);
      }
      if (fused) {
        Buf.read(x, xb, (t * batch + lo) * in, xT, nb * in);
        accumulateWeightGradients(k, dzT, xT, dwAcc, dbAcc, g3, nb);
        for (int i = 0; i < nb; i++) {
          k.add(dbhAcc, 0, dhrT, i * g3 + 2 * h, h);
        }
      }
    }
    for (int e = 0; e < sh; e++) {
      carry[oh + e] = carryT[e];
    }
    if (!fused) {
      return null;
    }
    dwParts[s] = dwAcc;
    dbParts[s] = dbAcc;
    return dbhAcc;
  }

  /**
   * The float backward loop for hidden units lo..hi-1 of all examples (a slice of a pass split by units): the same
   * operations on each element as {@link #backwardFloat}. Each step's product dhr_{t+1} R^T (the slice's columns of
   * R^T) needs all of dhr_{t+1}, so each step ends at the barrier. The slice's columns of dW, db (input folded:
   * fused) and dRb are its own, written without a sum over slices; dR is the product over all steps after the loop,
   * split by columns ({@link #finishBackward}).
   */
  private void backwardUnits(INDArray dOut, int first, int lo, int hi, EngineThreads.StepBarrier barrier) {
    FloatKernels k = FloatKernels.current();
    int h = hidden;
    int g3 = 3 * h;
    int nb = batch;
    int u = hi - lo;
    int gs = 3 * u;
    FloatBuffer dob = Buf.floats(dOut);
    FloatBuffer dhb = Buf.floats(dH);
    FloatBuffer dzb = Buf.floats(dZ);
    FloatBuffer dhrb = Buf.floats(dHR);
    FloatBuffer ab = Buf.floats(gates);
    FloatBuffer hnb = Buf.floats(hn);
    FloatBuffer hb = Buf.floats(hs);
    FloatBuffer recb = Buf.floats(dRec);
    FloatBuffer xb = Buf.floats(x);
    Blas.FloatMat dhrm = new Blas.FloatMat(dHR);
    Blas.FloatMat rtm = new Blas.FloatMat(rT);
    Blas.FloatMat recm = new Blas.FloatMat(dRec);
    float[] dOutT = new float[nb * u];
    float[] recT = new float[nb * u];
    float[] carryT = new float[nb * u];
    float[] gT = new float[nb * gs];
    float[] hPrevT = new float[nb * u];
    float[] hnT = new float[nb * u];
    float[] dhT = new float[nb * u];
    float[] dzT = new float[nb * gs];
    float[] dhrT = new float[nb * gs];
    float[] xT = new float[nb * in];
    float[] dwS = new float[in * gs];
    float[] dbS = new float[gs];
    float[] dbhS = new float[u];
    for (int t = steps - 1; t >= first; t--) {
      boolean fromFuture = t < steps - 1;
      if (fromFuture) {
        Blas.sgemm(dhrm, (long) (t + 1) * nb, 0, false, rtm, 0, lo, false, recm, 0, lo, nb, u, g3, 1f, 0f);
        for (int i = 0; i < nb; i++) {
          Buf.read(dRec, recb, i * h + lo, recT, i * u, u);
        }
      }
      for (int i = 0; i < nb; i++) {
        int row = t * nb + i;
        int e = i * u;
        Buf.read(dOut, dob, row * h + lo, dOutT, e, u);
        readUnitGates(gates, ab, row * g3, lo, gT, i * gs, u);
        Buf.read(hs, hb, row * h + lo, hPrevT, e, u); // h_{t-1}: hs holds h_0..h_T
        Buf.read(hn, hnb, row * h + lo, hnT, e, u);
      }
      for (int i = 0; i < nb; i++) {
        k.gruBackward(gT, i * gs, u, dOutT, recT, fromFuture, carryT, hPrevT, hnT, dhT, dzT, dhrT, i * u);
      }
      for (int i = 0; i < nb; i++) {
        int row = t * nb + i;
        Buf.write(dH, dhb, row * h + lo, dhT, i * u, u);
        writeUnitGates(dZ, dzb, row * g3, lo, dzT, i * gs, u);
        writeUnitGates(dHR, dhrb, row * g3, lo, dhrT, i * gs, u);
      }
      Buf.read(x, xb, t * nb * in, xT, nb * in);
      accumulateWeightGradients(k, dzT, xT, dwS, dbS, gs, nb);
      for (int i = 0; i < nb; i++) {
        k.add(dbhS, 0, dhrT, i * gs + 2 * u, u);
      }
      barrier.await(); // dhr_t is whole before any slice's next product reads it
    }
    for (int i = 0; i < nb; i++) {
      for (int j = 0; j < u; j++) {
        carry[i * h + lo + j] = carryT[i * u + j];
      }
    }
    writeUnitColumns(dw, dwS, lo, hi);
    writeUnitColumns(db, dbS, lo, hi);
    Buf.write(dbh, Buf.floats(dbh), lo, dbhS, 0, u);
  }

  @Override
  protected void finishBackward(INDArray dx) {
    int ns = slices();
    if (ns > 1) {
      if (!inputGradientWanted()) {
        dx.assign(0); // here: the slices make no ND4J calls
      }
      int g3 = 3 * hidden;
      boolean weights = !weightGradientsDone;
      boolean biasH = !biasHiddenDone;
      parallel(ns, s -> {
        int c0 = columnLo(s, ns, g3);
        int c1 = columnLo(s + 1, ns, g3);
        if (c1 > c0) {
          if (weights) {
            weightGradientColumns(x, dZ, c0, dw, c0, c1 - c0);
            columnSums(dZ, c0, db, c0, c1 - c0);
          }
          weightGradientColumns(hs, dHR, c0, dr, c0, c1 - c0);
        }
        int h0 = columnLo(s, ns, hidden);
        int h1 = columnLo(s + 1, ns, hidden);
        if (h1 > h0 && biasH) {
          columnSums(dHR, 2 * hidden + h0, dbh, h0, h1 - h0);
        }
        inputGradientRows(dx, s, ns);
      });
      return;
    }
    if (!weightGradientsDone) {
      Blas.gemm(x, dZ, dw, true, false, 1.0, 0.0);
      columnSums(dZ, db);
    }
    if (!recurrentGradientDone) {
      Blas.gemm(hs.get(NDArrayIndex.interval(0, (long) steps * batch), NDArrayIndex.all()), dHR, dr, true, false,
          1.0, 0.0);
    }
    if (!biasHiddenDone) {
      columnSums(dHR.get(NDArrayIndex.all(), NDArrayIndex.interval(2L * hidden, 3L * hidden)), dbh);
    }
    inputGradient(dx);
  }

  @Override
  protected void initialGradient() {
    // dL/dh_0 = (gradient of h_0 R + [0, 0, bh]) R^T + the z path (or the whole gradient past an absent step)
    Blas.gemm(dhrStep[0], rT, dH0, false, false, 1.0, 0.0);
    addCarry(dH0, carry);
  }
}
