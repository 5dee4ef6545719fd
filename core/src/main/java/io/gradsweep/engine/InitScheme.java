package io.gradsweep.engine;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Weight initialisation. {@code default} is DL4J's default, Xavier: normal with standard deviation
 * sqrt(2 / (fanIn + fanOut)), biases zero (an LSTM's forget-gate bias is set by the layer).
 */
public enum InitScheme {
  DEFAULT("default");

  private final String word;

  InitScheme(String word) {
    this.word = word;
  }

  public String word() {
    return word;
  }

  public static InitScheme fromWord(String w) {
    for (InitScheme s : values()) {
      if (s.word.equals(w)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown init '" + w + "'; allowed: default");
  }

  /** Fills {@code a} ([fanIn, fanOut]) with Xavier-normal values from {@code rng}. */
  static void xavier(INDArray a, long fanIn, long fanOut, SplittableRandom rng) {
    double std = Math.sqrt(2.0 / (fanIn + fanOut));
    gaussian(a, std, rng);
  }

  static void gaussian(INDArray a, double std, SplittableRandom rng) {
    long rows = a.rows();
    long cols = a.columns();
    double[][] v = new double[(int) rows][(int) cols];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        v[i][j] = std * gaussian(rng);
      }
    }
    a.assign(org.nd4j.linalg.factory.Nd4j.create(v).castTo(a.dataType()));
  }

  /** Standard normal by Box-Muller, deterministic for a given generator state. */
  static double gaussian(SplittableRandom rng) {
    double u1 = rng.nextDouble();
    double u2 = rng.nextDouble();
    if (u1 < 1e-300) {
      u1 = 1e-300;
    }
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
  }
}
