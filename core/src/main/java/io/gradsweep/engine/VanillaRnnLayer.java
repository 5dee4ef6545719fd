package io.gradsweep.engine;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Vanilla ("Elman") recurrent layer: h_t = f(x_t W + h_{t-1} R + b). */
public final class VanillaRnnLayer extends RecurrentLayer {
  private final Activation activation;
  /** h_0..h_T, [(T+1)*B, hidden]; h_0 = 0. */
  private INDArray hs;

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
    InitScheme.xavier(r, hidden, hidden, rng);
    b.assign(0);
  }

  @Override
  INDArray forward(INDArray x, int steps, int batch) {
    this.x = x;
    this.steps = steps;
    this.batch = batch;
    INDArray z = zeros((long) steps * batch, hidden);
    Nd4j.gemm(x, w, z, false, false, 1.0, 0.0);
    z.addiRowVector(b);
    hs = zeros((long) (steps + 1) * batch, hidden);
    for (int t = 0; t < steps; t++) {
      INDArray zt = step(z, t);
      if (t > 0) {
        Nd4j.gemm(step(hs, t), r, zt, false, false, 1.0, 1.0);
      }
      activation.apply(zt, step(hs, t + 1));
    }
    // a copy, not a view: ND4J 1.0.0-M2.1 returns empty arrays for some sub-views of offset views
    return steps(hs, 1, steps + 1).dup();
  }

  @Override
  INDArray backward(INDArray dOut, int first) {
    dH = zeros((long) steps * batch, hidden);
    INDArray dZ = zeros((long) steps * batch, hidden);
    for (int t = steps - 1; t >= first; t--) {
      INDArray dht = step(dH, t);
      dht.assign(step(dOut, t));
      if (t < steps - 1) {
        Nd4j.gemm(step(dZ, t + 1), r, dht, false, true, 1.0, 1.0);
      }
      activation.backprop(step(hs, t + 1), dht, step(dZ, t));
    }
    return finishBackward(dZ, steps(hs, 0, steps));
  }
}
