package io.gradsweep.engine;

import io.gradsweep.util.Canon;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Weight initialisation of a recurrent layer.
 *
 * <ul>
 *   <li>{@code default}: DL4J's default, Xavier — normal with standard deviation sqrt(2 / (fanIn + fanOut)) — for
 *       input and recurrent weights; biases zero (an LSTM's forget-gate bias is set by the layer).
 *   <li>{@code identity}: as default, but each recurrent gate block is the identity (IRNN, Le et al. 2015).
 *   <li>{@code orthogonal}: as default, but each recurrent gate block is a random orthogonal matrix.
 * </ul>
 * Any of them may carry a spectral radius: each recurrent gate block is then rescaled to have that spectral
 * radius. The canonical text is the scheme's word, optionally followed by {@code :rho=<value>}, e.g.
 * {@code orthogonal:rho=0.9}.
 *
 * @param kind the scheme
 * @param spectralRadius target spectral radius of each recurrent gate block, or NaN to keep the scheme's own
 */
public record InitScheme(Kind kind, double spectralRadius) {
  public static final InitScheme DEFAULT = new InitScheme(Kind.DEFAULT, Double.NaN);

  /** The scheme's base kind. */
  public enum Kind {
    DEFAULT("default"),
    IDENTITY("identity"),
    ORTHOGONAL("orthogonal");

    private final String word;

    Kind(String word) {
      this.word = word;
    }

    public String word() {
      return word;
    }
  }

  public InitScheme {
    if (kind == null) {
      throw new IllegalArgumentException("init kind must not be null");
    }
    if (!Double.isNaN(spectralRadius) && !(spectralRadius > 0 && Double.isFinite(spectralRadius))) {
      throw new IllegalArgumentException("spectral radius must be a finite number > 0, got " + spectralRadius);
    }
  }

  public boolean scaled() {
    return !Double.isNaN(spectralRadius);
  }

  /** Canonical text, e.g. {@code default} or {@code orthogonal:rho=0.9}. */
  public String canonical() {
    return scaled() ? kind.word() + ":rho=" + Canon.num(spectralRadius) : kind.word();
  }

  /** The known scheme words. */
  public static String allowed() {
    return "default, identity, orthogonal";
  }

  /** Parses the canonical text. */
  public static InitScheme fromWord(String text) {
    String word = text;
    double rho = Double.NaN;
    int colon = text.indexOf(':');
    if (colon >= 0) {
      word = text.substring(0, colon);
      String rest = text.substring(colon + 1);
      if (!rest.startsWith("rho=")) {
        throw new IllegalArgumentException("unknown init option '" + rest + "' in '" + text + "'; allowed: rho=<number>");
      }
      try {
        rho = Double.parseDouble(rest.substring(4));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("spectral radius in '" + text + "' is not a number");
      }
    }
    for (Kind k : Kind.values()) {
      if (k.word.equals(word)) {
        return new InitScheme(k, rho);
      }
    }
    throw new IllegalArgumentException("unknown init '" + word + "'; allowed: " + allowed());
  }

  /** Initialises the recurrent matrix {@code r} ([hidden, blocks*hidden]) block by block. */
  void initRecurrent(INDArray r, int hidden, int blocks, SplittableRandom rng) {
    switch (kind) {
      case DEFAULT -> xavier(r, hidden, (long) hidden * blocks, rng);
      case IDENTITY -> {
        for (int k = 0; k < blocks; k++) {
          block(r, hidden, k).assign(Nd4j.eye(hidden).castTo(r.dataType()));
        }
      }
      case ORTHOGONAL -> {
        for (int k = 0; k < blocks; k++) {
          block(r, hidden, k).assign(orthogonal(hidden, rng).castTo(r.dataType()));
        }
      }
    }
    if (scaled()) {
      for (int k = 0; k < blocks; k++) {
        INDArray blk = block(r, hidden, k);
        double rho = Spectral.spectralRadius(blk);
        if (rho > 0) {
          blk.muli(spectralRadius / rho);
        }
      }
    }
  }

  private static INDArray block(INDArray r, int hidden, int k) {
    return r.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
        org.nd4j.linalg.indexing.NDArrayIndex.interval((long) k * hidden, (long) (k + 1) * hidden));
  }

  /** A random orthogonal n x n matrix: modified Gram-Schmidt on the columns of a Gaussian matrix. */
  static INDArray orthogonal(int n, SplittableRandom rng) {
    double[][] q = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        q[j][i] = gaussian(rng); // q[j] is column j
      }
    }
    for (int j = 0; j < n; j++) {
      for (int p = 0; p < j; p++) {
        double dot = 0;
        for (int i = 0; i < n; i++) {
          dot += q[p][i] * q[j][i];
        }
        for (int i = 0; i < n; i++) {
          q[j][i] -= dot * q[p][i];
        }
      }
      double norm = 0;
      for (int i = 0; i < n; i++) {
        norm += q[j][i] * q[j][i];
      }
      norm = Math.sqrt(norm);
      for (int i = 0; i < n; i++) {
        q[j][i] /= norm;
      }
    }
    double[][] rows = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        rows[i][j] = q[j][i];
      }
    }
    return Nd4j.create(rows).castTo(DataType.DOUBLE);
  }

  /** Fills {@code a} ([fanIn, fanOut]) with Xavier-normal values from {@code rng}. */
  static void xavier(INDArray a, long fanIn, long fanOut, SplittableRandom rng) {
    double std = Math.sqrt(2.0 / (fanIn + fanOut));
    long rows = a.rows();
    long cols = a.columns();
    double[] v = new double[(int) (rows * cols)];
    for (int i = 0; i < v.length; i++) {
      v[i] = std * gaussian(rng);
    }
    a.assign(Nd4j.create(v, new long[] {rows, cols}, DataType.DOUBLE).castTo(a.dataType()));
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
