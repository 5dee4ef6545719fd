package io.gradsweep.engine;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
  void init(SplittableRandom rng, InitScheme scheme) {
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
    INDArray h = hiddenStates();
    return switch (activation) {
      case TANH -> java.util.Map.of("saturated_frac", frac(org.nd4j.linalg.ops.transforms.Transforms.abs(h, true)
          .gt(0.99)));
      case SIGMOID -> java.util.Map.of("saturated_frac", frac(h.lt(0.01)) + frac(h.gt(0.99)));
      case RELU -> {
        // a unit is dead when it is zero at every step of every example
        INDArray alive = h.gt(0.0).castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).max(0);
        yield java.util.Map.of("dead_frac", 1.0 - alive.meanNumber().doubleValue(), "zero_frac",
            frac(h.eq(0.0)));
      }
      case IDENTITY -> java.util.Map.of("mean_abs_h", h.ameanNumber().doubleValue());
    };
  }

  private static double frac(INDArray mask) {
    return mask.castTo(org.nd4j.linalg.api.buffer.DataType.DOUBLE).meanNumber().doubleValue();
  }

  @Override
  protected void allocate() {
    z = zeros((long) steps * batch, hidden);
    zStep = stepViews(z, steps);
  }

  @Override
  INDArray forward(INDArray x, int steps, int batch) {
    ensureShape(x, steps, batch);
    Blas.gemm(x, w, z, false, false, 1.0, 0.0);
    Buf zb = Buf.of(z);
    Buf hb = Buf.of(hs);
    Buf bb = Buf.of(b);
    int n = batch * hidden;
    for (int t = 0; t < steps; t++) {
      if (t > 0) {
        Blas.gemm(hsStep[t], r, zStep[t], false, false, 1.0, 1.0);
      }
      int zo = t * n;
      int ho = (t + 1) * n;
      for (int e = 0; e < n; e++) {
        hb.set(ho + e, activation.value(zb.get(zo + e) + bb.get(e % hidden)));
      }
    }
    return outputs();
  }

  @Override
  INDArray backward(INDArray dOut, int first) {
    dH.assign(0);
    dZ.assign(0);
    Buf dob = Buf.of(dOut);
    Buf dhb = Buf.of(dH);
    Buf dzb = Buf.of(dZ);
    Buf hb = Buf.of(hs);
    Buf rec = Buf.of(dRec);
    int n = batch * hidden;
    for (int t = steps - 1; t >= first; t--) {
      boolean fromFuture = t < steps - 1;
      if (fromFuture) {
        Blas.gemm(dzStep[t + 1], r, dRec, false, true, 1.0, 0.0);
      }
      int o = t * n;
      int ho = (t + 1) * n;
      for (int e = 0; e < n; e++) {
        double dh = dob.get(o + e) + (fromFuture ? rec.get(e) : 0.0);
        dhb.set(o + e, dh);
        dzb.set(o + e, dh * activation.derivativeFromOutput(hb.get(ho + e)));
      }
    }
    return finishBackward();
  }
}
