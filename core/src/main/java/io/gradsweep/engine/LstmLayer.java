package io.gradsweep.engine;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * LSTM layer without peepholes. Gate blocks in the order i, f, g, o:
 * i = sigma(.), f = sigma(.), g = tanh(.), o = sigma(.); c_t = f c_{t-1} + i g; h_t = o tanh(c_t).
 * The forget-gate bias starts at {@code forgetBias} (1.0 by default, Jozefowicz et al. 2015).
 */
public final class LstmLayer extends RecurrentLayer {
  private final double forgetBias;
  /** x W, then x W + h R, per step, [T*B, 4H]. */
  private INDArray z;
  private INDArray[] zStep;
  /** Activated gates per step, [T*B, 4H]. */
  private INDArray gates;
  /** c_0..c_T, [(T+1)*B, H]. */
  private INDArray cs;
  /** tanh(c_t), [T*B, H]. */
  private INDArray tanhC;
  /** dL/dc_t of the last backward pass, [T*B, H]. */
  private INDArray dC;
  /** dL/dc_{t+1} * f_{t+1}, carried to step t. */
  private double[] carry;

  public LstmLayer(String name, int in, int hidden, double forgetBias, DataType dtype) {
    super(name, in, hidden, 4, dtype);
    this.forgetBias = forgetBias;
  }

  @Override
  void init(SplittableRandom rng, InitScheme scheme) {
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
    m.put("gate_i_mean", blockMean(gates, 0, hidden));
    m.put("gate_f_mean", blockMean(gates, 1, hidden));
    m.put("gate_o_mean", blockMean(gates, 3, hidden));
    return m;
  }

  @Override
  protected void allocate() {
    long rows = (long) steps * batch;
    z = zeros(rows, 4L * hidden);
    zStep = stepViews(z, steps);
    gates = zeros(rows, 4L * hidden);
    cs = zeros((long) (steps + 1) * batch, hidden);
    tanhC = zeros(rows, hidden);
    dC = zeros(rows, hidden);
    carry = new double[batch * hidden];
  }

  @Override
  INDArray forward(INDArray x, int steps, int batch) {
    ensureShape(x, steps, batch);
    Blas.gemm(x, w, z, false, false, 1.0, 0.0);
    Buf zb = Buf.of(z);
    Buf ab = Buf.of(gates);
    Buf cb = Buf.of(cs);
    Buf tcb = Buf.of(tanhC);
    Buf hb = Buf.of(hs);
    Buf bb = Buf.of(b);
    int h = hidden;
    int g4 = 4 * h;
    for (int t = 0; t < steps; t++) {
      if (t > 0) {
        Blas.gemm(hsStep[t], r, zStep[t], false, false, 1.0, 1.0);
      }
      for (int i = 0; i < batch; i++) {
        int zr = (t * batch + i) * g4;
        int hr = (t * batch + i) * h;
        int prev = hr;
        int next = hr + batch * h;
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
    return outputs();
  }

  @Override
  INDArray backward(INDArray dOut, int first) {
    dH.assign(0);
    dC.assign(0);
    dZ.assign(0);
    Buf dob = Buf.of(dOut);
    Buf dhb = Buf.of(dH);
    Buf dcb = Buf.of(dC);
    Buf dzb = Buf.of(dZ);
    Buf ab = Buf.of(gates);
    Buf cb = Buf.of(cs);
    Buf tcb = Buf.of(tanhC);
    Buf rec = Buf.of(dRec);
    int h = hidden;
    int g4 = 4 * h;
    for (int t = steps - 1; t >= first; t--) {
      boolean fromFuture = t < steps - 1;
      if (fromFuture) {
        Blas.gemm(dzStep[t + 1], r, dRec, false, true, 1.0, 0.0);
      }
      for (int i = 0; i < batch; i++) {
        int zr = (t * batch + i) * g4;
        int hr = (t * batch + i) * h;
        int rr = i * h;
        for (int j = 0; j < h; j++) {
          double dh = dob.get(hr + j) + (fromFuture ? rec.get(rr + j) : 0.0);
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
    return finishBackward();
  }

  /** dL/dc_t of the last backward pass, [T*B, hidden]. */
  public INDArray cellGradients() {
    return dC;
  }
}
