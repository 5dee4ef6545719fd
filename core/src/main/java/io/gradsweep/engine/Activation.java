package io.gradsweep.engine;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Activation of a vanilla RNN cell. The derivative is computed from the activation's output, so the forward pass
 * does not need to keep pre-activations.
 */
public enum Activation {
  TANH("tanh", 1.0),
  RELU("relu", 1.0),
  SIGMOID("sigmoid", 0.25),
  IDENTITY("identity", 1.0);

  private final String word;
  private final double maxDerivative;

  Activation(String word, double maxDerivative) {
    this.word = word;
    this.maxDerivative = maxDerivative;
  }

  public String word() {
    return word;
  }

  /** sup f'(x): 1 for tanh, relu and identity, 1/4 for sigmoid (the gamma of Pascanu et al. 2013, eq. 7). */
  public double maxDerivative() {
    return maxDerivative;
  }

  public static Activation fromWord(String w) {
    for (Activation a : values()) {
      if (a.word.equals(w)) {
        return a;
      }
    }
    throw new IllegalArgumentException("unknown activation '" + w + "'; allowed: "
        + Arrays.stream(values()).map(Activation::word).collect(Collectors.joining(", ")));
  }

  /** out = f(z). {@code out} may be {@code z}. */
  void apply(INDArray z, INDArray out) {
    switch (this) {
      case TANH -> Nd4j.getExecutioner().exec(new Tanh(z, out));
      case SIGMOID -> Nd4j.getExecutioner().exec(new Sigmoid(z, out));
      case RELU -> Nd4j.getExecutioner().exec(new RectifiedLinear(z, out, 0.0));
      case IDENTITY -> {
        if (out != z) {
          out.assign(z);
        }
      }
    }
  }

  /** dz = dh * f'(z), with f'(z) written in terms of h = f(z). {@code dz} may alias {@code dh}. */
  void backprop(INDArray h, INDArray dh, INDArray dz) {
    switch (this) {
      case TANH -> {
        // 1 - h^2
        INDArray d = h.mul(h).rsubi(1.0);
        dh.mul(d, dz);
      }
      case SIGMOID -> {
        INDArray d = h.rsub(1.0).muli(h);
        dh.mul(d, dz);
      }
      case RELU -> {
        INDArray d = h.gt(0.0).castTo(h.dataType());
        dh.mul(d, dz);
      }
      case IDENTITY -> {
        if (dz != dh) {
          dz.assign(dh);
        }
      }
    }
  }
}
