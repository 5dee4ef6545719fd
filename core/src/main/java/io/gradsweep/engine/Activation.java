package io.gradsweep.engine;

import java.util.Arrays;
import java.util.stream.Collectors;

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

  /** f(z). */
  double value(double z) {
    return switch (this) {
      case TANH -> Buf.tanh(z);
      case SIGMOID -> Buf.sigmoid(z);
      case RELU -> z > 0 ? z : 0.0;
      case IDENTITY -> z;
    };
  }

  /** f'(z) written in terms of h = f(z). */
  double derivativeFromOutput(double h) {
    return switch (this) {
      case TANH -> 1.0 - h * h;
      case SIGMOID -> h * (1.0 - h);
      case RELU -> h > 0 ? 1.0 : 0.0;
      case IDENTITY -> 1.0;
    };
  }
}
