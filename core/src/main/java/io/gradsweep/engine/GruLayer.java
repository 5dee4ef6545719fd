package io.gradsweep.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;
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
  /** x W + b per step, then activated gates r, z, n, [T*B, 3H]. */
  private INDArray gates;
  /** h R_n + bh_n per step, [T*B, H]. */
  private INDArray hn;
  /** h_0..h_T, [(T+1)*B, H]. */
  private INDArray hs;

  public GruLayer(String name, int in, int hidden, DataType dtype) {
    super(name, in, hidden, 3, dtype);
  }

  @Override
  long paramCount() {
    return super.paramCount() + hidden;
  }

  @Override
  long bind(INDArray params, INDArray grads, long offset) {
    long off = super.bind(params, grads, offset);
    bh = view(params, off, 1, hidden);
    dbh = view(grads, off, 1, hidden);
    return off + hidden;
  }

  @Override
  public List<ParamBlock> blocks() {
    List<ParamBlock> out = new ArrayList<>(super.blocks());
    out.add(new ParamBlock(name, "Rb", bh, dbh));
    return out;
  }

  @Override
  void init(SplittableRandom rng, InitScheme scheme) {
    InitScheme.xavier(w, in, 3L * hidden, rng);
    InitScheme.xavier(r, hidden, 3L * hidden, rng);
    b.assign(0);
    bh.assign(0);
  }

  private INDArray gate(INDArray a, int k) {
    return a.get(NDArrayIndex.all(), NDArrayIndex.interval((long) k * hidden, (long) (k + 1) * hidden));
  }

  @Override
  INDArray forward(INDArray x, int steps, int batch) {
    this.x = x;
    this.steps = steps;
    this.batch = batch;
    long rows = (long) steps * batch;
    gates = zeros(rows, 3L * hidden);
    Nd4j.gemm(x, w, gates, false, false, 1.0, 0.0);
    gates.addiRowVector(b);
    hn = zeros(rows, hidden);
    hs = zeros((long) (steps + 1) * batch, hidden);
    INDArray hr = zeros(batch, 3L * hidden);
    for (int t = 0; t < steps; t++) {
      INDArray at = step(gates, t);
      INDArray hPrev = step(hs, t);
      Nd4j.gemm(hPrev, r, hr, false, false, 1.0, 0.0);
      INDArray hnt = step(hn, t);
      hnt.assign(gate(hr, 2)).addiRowVector(bh);
      INDArray rz = at.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2L * hidden));
      rz.addi(hr.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 2L * hidden)));
      Nd4j.getExecutioner().exec(new Sigmoid(rz, rz));
      INDArray n = gate(at, 2);
      n.addi(gate(at, 0).mul(hnt));
      Nd4j.getExecutioner().exec(new Tanh(n, n));
      // h = n + z * (h_prev - n)
      INDArray ht = step(hs, t + 1);
      hPrev.sub(n, ht).muli(gate(at, 1)).addi(n);
    }
    // a copy, not a view: ND4J 1.0.0-M2.1 returns empty arrays for some sub-views of offset views
    return steps(hs, 1, steps + 1).dup();
  }

  @Override
  INDArray backward(INDArray dOut, int first) {
    long rows = (long) steps * batch;
    dH = zeros(rows, hidden);
    INDArray dA = zeros(rows, 3L * hidden);
    INDArray dHR = zeros(rows, 3L * hidden);
    INDArray carry = null;
    for (int t = steps - 1; t >= first; t--) {
      INDArray dht = step(dH, t);
      dht.assign(step(dOut, t));
      if (t < steps - 1) {
        Nd4j.gemm(step(dHR, t + 1), r, dht, false, true, 1.0, 1.0);
        dht.addi(carry);
      }
      INDArray at = step(gates, t);
      INDArray rg = gate(at, 0);
      INDArray z = gate(at, 1);
      INDArray n = gate(at, 2);
      INDArray hPrev = step(hs, t);
      INDArray hnt = step(hn, t);
      INDArray dat = step(dA, t);
      INDArray dhrt = step(dHR, t);
      // dn_pre = dh * (1 - z) * (1 - n^2)
      INDArray dnPre = gate(dat, 2);
      dht.mul(z.rsub(1.0), dnPre).muli(n.mul(n).rsubi(1.0));
      // dz_pre = dh * (h_prev - n) * z (1 - z)
      dht.mul(hPrev.sub(n), gate(dat, 1)).muli(z.rsub(1.0).muli(z));
      // dr_pre = dn_pre * hn * r (1 - r)
      dnPre.mul(hnt, gate(dat, 0)).muli(rg.rsub(1.0).muli(rg));
      gate(dhrt, 0).assign(gate(dat, 0));
      gate(dhrt, 1).assign(gate(dat, 1));
      dnPre.mul(rg, gate(dhrt, 2));
      carry = dht.mul(z);
    }
    Nd4j.gemm(x, dA, dw, true, false, 1.0, 0.0);
    db.assign(dA.sum(true, 0));
    Nd4j.gemm(steps(hs, 0, steps), dHR, dr, true, false, 1.0, 0.0);
    dbh.assign(gate(dHR, 2).sum(true, 0));
    INDArray dx = zeros(rows, in);
    Nd4j.gemm(dA, w, dx, false, true, 1.0, 0.0);
    return dx;
  }
}
