package io.gradsweep.engine;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Vanilla ("Elman") recurrent layer: h_t = f(x_t W + h_{t-1} R + b). */
public final class VanillaRnnLayer extends RecurrentLayer {
  private final Activation activation;
  /** x W, then x W + h R, per step, [T*B, H]. */
  private INDArray z;
  private INDArray[] zStep;

  public VanillaRnnLayer(String name, int in, int hidden, Activation activation, DataType dtype) {
    super(name, in, hidden, 1, dtype);
    this.activation = activation;
  }

  public Activation activation() {
    return activation;
  }

  @Override
  public void init(SplittableRandom rng, InitScheme scheme) {
    InitScheme.xavier(w, in, hidden, rng);
    scheme.initRecurrent(r, hidden, 1, rng);
    b.assign(0);
  }

  @Override
  public String[] gateNames() {
    return new String[] {"h"};
  }

  @Override
  public java.util.Map<String, Double> health() {
    // one pass in Java over the hidden states (no native calls); thresholds compared in the array's precision
    INDArray h = hiddenStates();
    Buf hb = Buf.of(h);
    int n = (int) h.length();
    int units = hidden;
    boolean f32 = h.dataType() == DataType.FLOAT;
    double lo = f32 ? (float) 0.01 : 0.01;
    double hi = f32 ? (float) 0.99 : 0.99;
    return switch (activation) {
      case TANH -> {
        long saturated = 0;
        for (int i = 0; i < n; i++) {
          if (Math.abs(hb.get(i)) > hi) {
            saturated++;
          }
        }
        yield java.util.Map.of("saturated_frac", (double) saturated / n);
      }
      case SIGMOID -> {
        long saturated = 0;
        for (int i = 0; i < n; i++) {
          double v = hb.get(i);
          if (v < lo || v > hi) {
            saturated++;
          }
        }
        yield java.util.Map.of("saturated_frac", (double) saturated / n);
      }
      case RELU -> {
        // a unit is dead when it is zero at every step of every example
        boolean[] alive = new boolean[units];
        long zeros = 0;
        for (int i = 0; i < n; i++) {
          double v = hb.get(i);
          if (v > 0) {
            alive[i % units] = true;
          } else if (v == 0) {
            zeros++;
          }
        }
        int aliveUnits = 0;
        for (boolean a : alive) {
          aliveUnits += a ? 1 : 0;
        }
        yield java.util.Map.of("dead_frac", 1.0 - (double) aliveUnits / units, "zero_frac", (double) zeros / n);
      }
      case IDENTITY -> {
        double s = 0;
        for (int i = 0; i < n; i++) {
          s += Math.abs(hb.get(i));
        }
        yield java.util.Map.of("mean_abs_h", s / n);
      }
    };
  }

  @Override
  protected void allocate() {
    z = zeros((long) steps * batch, hidden);
    zStep = stepViews(z, steps);
  }

  @Override
  protected void allocateBackward() {
    // the vanilla RNN's backward pass needs only the common buffers
  }

  @Override
  protected void forwardSteps() {
    int ns = slices();
    projectInput(z, ns);
    if (floatFastPath()) {
      parallel(ns, s -> forwardFloat(sliceLo(s, ns), sliceLo(s + 1, ns)));
      return;
    }
    Buf zb = Buf.of(z);
    Buf hb = Buf.of(hs);
    Buf bb = Buf.of(b);
    boolean[] p = present;
    int h = hidden;
    int n = batch * h;
    for (int t = 0; t < steps; t++) {
      if (t > 0 || hasInitialState) {
        Blas.gemm(hsStep[t], r, zStep[t], false, false, 1.0, 1.0);
      }
      for (int i = 0; i < batch; i++) {
        int zo = t * n + i * h;
        int prev = zo;
        int next = zo + n;
        if (p != null && !p[t * batch + i]) {
          for (int j = 0; j < h; j++) {
            hb.set(next + j, hb.get(prev + j)); // absent step: the state is carried
          }
          continue;
        }
        for (int j = 0; j < h; j++) {
          hb.set(next + j, activation.value(zb.get(zo + j) + bb.get(j)));
        }
      }
    }
  }

  /**
   * The forward loop on heap float arrays with {@link FloatKernels}, for examples lo..hi-1: same results as the loop
   * above, in float.
   */
  private void forwardFloat(int lo, int hi) {
    FloatKernels k = FloatKernels.current();
    int nb = hi - lo;
    int h = hidden;
    int n = batch * h;
    int sn = nb * h;
    int o = lo * h;
    FloatBuffer zb = Buf.floats(z);
    FloatBuffer hb = Buf.floats(hs);
    float[] bias = new float[h];
    Buf.read(b, Buf.floats(b), 0, bias, h);
    float[] zt = new float[sn];
    for (int t = 0; t < steps; t++) {
      if (t > 0 || hasInitialState) {
        stepProduct(hs, (long) t * batch + lo, false, z, (long) t * batch + lo, nb, 1.0);
      }
      Buf.read(z, zb, t * n + o, zt, sn);
      for (int i = 0; i < nb; i++) {
        k.add(zt, i * h, bias, 0, h);
      }
      k.activation(activation, zt, 0, sn);
      Buf.write(hs, hb, (t + 1) * n + o, zt, sn);
    }
  }

  @Override
  protected void backwardSteps(INDArray dOut, int first) {
    zeroStepsBefore(dH, first);
    zeroStepsBefore(dZ, first);
    if (floatFastPath()) {
      backwardFloatSlices((lo, hi, fused, dwParts, dbParts, s) ->
          backwardFloat(dOut, first, lo, hi, fused, dwParts, dbParts, s));
      return;
    }
    Buf dob = Buf.of(dOut);
    Buf dhb = Buf.of(dH);
    Buf dzb = Buf.of(dZ);
    Buf hb = Buf.of(hs);
    Buf rec = Buf.of(dRec);
    boolean[] p = present;
    double[] carry = hCarry;
    int h = hidden;
    int n = batch * h;
    for (int t = steps - 1; t >= first; t--) {
      boolean fromFuture = t < steps - 1;
      if (fromFuture) {
        Blas.gemm(dzStep[t + 1], rT, dRec, false, false, 1.0, 0.0);
      }
      for (int i = 0; i < batch; i++) {
        int o = t * n + i * h;
        int ho = o + n;
        int rr = i * h;
        if (p != null) {
          if (!p[t * batch + i]) {
            // absent step: no output, no pre-activation; the state gradient passes to h_{t-1} unchanged
            for (int j = 0; j < h; j++) {
              double dh = (fromFuture ? rec.get(rr + j) : 0.0) + carry[rr + j];
              dhb.set(o + j, dh);
              dzb.set(o + j, 0.0);
              carry[rr + j] = dh;
            }
            continue;
          }
          for (int j = 0; j < h; j++) {
            double dh = dob.get(o + j) + (fromFuture ? rec.get(rr + j) : 0.0) + carry[rr + j];
            carry[rr + j] = 0.0;
            dhb.set(o + j, dh);
            dzb.set(o + j, dh * activation.derivativeFromOutput(hb.get(ho + j)));
          }
          continue;
        }
        for (int j = 0; j < h; j++) {
          double dh = dob.get(o + j) + (fromFuture ? rec.get(rr + j) : 0.0);
          dhb.set(o + j, dh);
          dzb.set(o + j, dh * activation.derivativeFromOutput(hb.get(ho + j)));
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
    int n = batch * hidden;
    int sn = nb * hidden;
    int o = lo * hidden;
    FloatBuffer dob = Buf.floats(dOut);
    FloatBuffer dhb = Buf.floats(dH);
    FloatBuffer dzb = Buf.floats(dZ);
    FloatBuffer hb = Buf.floats(hs);
    FloatBuffer recb = Buf.floats(dRec);
    float[] dOutT = new float[sn];
    float[] recT = new float[sn]; // zero at the last step: nothing comes from the future
    float[] hT = new float[sn];
    float[] dhT = new float[sn];
    float[] dzT = new float[sn];
    FloatBuffer xb = fused ? Buf.floats(x) : null;
    float[] xT = fused ? new float[nb * in] : null;
    float[] dwAcc = fused ? new float[in * hidden] : null;
    float[] dbAcc = fused ? new float[hidden] : null;
    for (int t = steps - 1; t >= first; t--) {
      if (t < steps - 1) {
        stepProduct(dZ, (long) (t + 1) * batch + lo, true, dRec, lo, nb, 0.0);
        Buf.read(dRec, recb, o, recT, sn);
      }
      Buf.read(dOut, dob, t * n + o, dOutT, sn);
      Buf.read(hs, hb, (t + 1) * n + o, hT, sn); // h_t, the step's output
      k.rnnBackward(activation, dOutT, recT, hT, dhT, dzT, sn);
      Buf.write(dH, dhb, t * n + o, dhT, sn);
      Buf.write(dZ, dzb, t * n + o, dzT, sn);
      if (fused) {
        Buf.read(x, xb, (t * batch + lo) * in, xT, nb * in);
        accumulateWeightGradients(k, dzT, xT, dwAcc, dbAcc, hidden, nb);
      }
    }
    if (fused) {
      dwParts[s] = dwAcc;
      dbParts[s] = dbAcc;
    }
  }
}
