package io.gradsweep.engine;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * LSTM layer without peepholes. Gate blocks in the order i, f, g, o:
 * i = sigma(.), f = sigma(.), g = tanh(.), o = sigma(.); c_t = f c_{t-1} + i g; h_t = o tanh(c_t).
 * The forget-gate bias starts at {@code forgetBias} (1.0 by default, Jozefowicz et al. 2015).
 */
public final class LstmLayer extends RecurrentLayer {
  private final double forgetBias;
  /** Activated gates per step, [T*B, 4H]. */
  private INDArray gates;
  /** c_0..c_T, [(T+1)*B, H]. */
  private INDArray cs;
  /** tanh(c_t), [T*B, H]. */
  private INDArray tanhC;
  /** h_0..h_T, [(T+1)*B, H]. */
  private INDArray hs;
  /** dL/dc_t of the last backward pass, [T*B, H]. */
  private INDArray dC;

  public LstmLayer(String name, int in, int hidden, double forgetBias, DataType dtype) {
    super(name, in, hidden, 4, dtype);
    this.forgetBias = forgetBias;
  }

  @Override
  void init(SplittableRandom rng, InitScheme scheme) {
    InitScheme.xavier(w, in, 4L * hidden, rng);
    InitScheme.xavier(r, hidden, 4L * hidden, rng);
    b.assign(0);
    gate(b, 1).assign(forgetBias);
  }

  /** Columns of gate block k (0=i, 1=f, 2=g, 3=o) of a [rows, 4H] array: a view. */
  private INDArray gate(INDArray a, int k) {
    return a.get(NDArrayIndex.all(), NDArrayIndex.interval((long) k * hidden, (long) (k + 1) * hidden));
  }

  @Override
  INDArray forward(INDArray x, int steps, int batch) {
    this.x = x;
    this.steps = steps;
    this.batch = batch;
    long rows = (long) steps * batch;
    gates = zeros(rows, 4L * hidden);
    Nd4j.gemm(x, w, gates, false, false, 1.0, 0.0);
    gates.addiRowVector(b);
    cs = zeros((long) (steps + 1) * batch, hidden);
    hs = zeros((long) (steps + 1) * batch, hidden);
    tanhC = zeros(rows, hidden);
    for (int t = 0; t < steps; t++) {
      INDArray at = step(gates, t);
      if (t > 0) {
        Nd4j.gemm(step(hs, t), r, at, false, false, 1.0, 1.0);
      }
      INDArray g = gate(at, 2);
      INDArray gPre = g.dup();
      Nd4j.getExecutioner().exec(new Sigmoid(at, at));
      Nd4j.getExecutioner().exec(new Tanh(gPre, g));
      INDArray ct = step(cs, t + 1);
      gate(at, 1).mul(step(cs, t), ct);
      ct.addi(gate(at, 0).mul(g));
      INDArray tct = step(tanhC, t);
      Nd4j.getExecutioner().exec(new Tanh(ct, tct));
      gate(at, 3).mul(tct, step(hs, t + 1));
    }
    // a copy, not a view: ND4J 1.0.0-M2.1 returns empty arrays for some sub-views of offset views
    return steps(hs, 1, steps + 1).dup();
  }

  @Override
  INDArray backward(INDArray dOut, int first) {
    long rows = (long) steps * batch;
    dH = zeros(rows, hidden);
    dC = zeros(rows, hidden);
    INDArray dZ = zeros(rows, 4L * hidden);
    INDArray carry = null;
    for (int t = steps - 1; t >= first; t--) {
      INDArray dht = step(dH, t);
      dht.assign(step(dOut, t));
      if (t < steps - 1) {
        Nd4j.gemm(step(dZ, t + 1), r, dht, false, true, 1.0, 1.0);
      }
      INDArray at = step(gates, t);
      INDArray i = gate(at, 0);
      INDArray f = gate(at, 1);
      INDArray g = gate(at, 2);
      INDArray o = gate(at, 3);
      INDArray tc = step(tanhC, t);
      INDArray dct = step(dC, t);
      // dc_t = dh_t * o * (1 - tanh(c)^2) + dc_{t+1} * f_{t+1}
      dht.mul(o, dct).muli(tc.mul(tc).rsubi(1.0));
      if (carry != null) {
        dct.addi(carry);
      }
      INDArray dzt = step(dZ, t);
      gate(dzt, 3).assign(dht.mul(tc).muli(o.rsub(1.0).muli(o)));
      gate(dzt, 0).assign(dct.mul(g).muli(i.rsub(1.0).muli(i)));
      gate(dzt, 1).assign(dct.mul(step(cs, t)).muli(f.rsub(1.0).muli(f)));
      gate(dzt, 2).assign(dct.mul(i).muli(g.mul(g).rsubi(1.0)));
      carry = dct.mul(f);
    }
    return finishBackward(dZ, steps(hs, 0, steps));
  }

  /** dL/dc_t of the last backward pass, [T*B, hidden]. */
  public INDArray cellGradients() {
    return dC;
  }
}
