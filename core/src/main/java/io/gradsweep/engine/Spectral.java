package io.gradsweep.engine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Spectral measures of a square weight matrix, in double precision.
 *
 * <ul>
 *   <li>Spectral radius rho(A) = max |eigenvalue|, by Gelfand's formula rho = lim ||A^k||^(1/k) with k = 2^j
 *       reached by repeated squaring (renormalised each time, the scale kept as a logarithm). Unlike power
 *       iteration on a vector it also converges when the dominant eigenvalues are a complex pair.
 *   <li>Largest singular value sigma_max(A) = ||A||_2, by power iteration on A^T A.
 * </ul>
 * Pascanu et al. 2013 (eq. 6-7): ||dh_{k+1}/dh_k|| <= sigma_max(R) * max f', so sigma_max below 1/max f' makes
 * long-range gradient terms shrink geometrically; rho is the asymptotic growth rate of R^k.
 */
public final class Spectral {
  private Spectral() {}

  /** Spectral radius of a square matrix (any data type; computed in double). */
  public static double spectralRadius(INDArray a) {
    requireSquare(a);
    INDArray m = a.castTo(DataType.DOUBLE).dup();
    double norm = m.norm2Number().doubleValue();
    if (norm == 0.0) {
      return 0.0;
    }
    double logScale = Math.log(norm); // log of the scale of A^(2^j), divided by 2^j
    m.divi(norm);
    double power = 1.0;
    for (int j = 0; j < 40; j++) {
      INDArray sq = m.mmul(m);
      double n = sq.norm2Number().doubleValue();
      if (n == 0.0 || !Double.isFinite(n)) {
        return n == 0.0 ? 0.0 : Math.exp(logScale);
      }
      power *= 2.0;
      double next = logScale + Math.log(n) / power;
      sq.divi(n);
      m = sq;
      if (Math.abs(next - logScale) < 1e-13) {
        logScale = next;
        break;
      }
      logScale = next;
    }
    return Math.exp(logScale);
  }

  /** Largest singular value (spectral norm) of a matrix. */
  public static double maxSingularValue(INDArray a) {
    INDArray m = a.castTo(DataType.DOUBLE);
    INDArray ata = m.transpose().mmul(m);
    long n = ata.rows();
    // a fixed pseudo-random start: not orthogonal to the top singular vector except by accident
    java.util.SplittableRandom rng = new java.util.SplittableRandom(0x5EC7);
    double[] start = new double[(int) n];
    for (int i = 0; i < n; i++) {
      start[i] = 0.5 + rng.nextDouble();
    }
    INDArray v = Nd4j.create(start, new long[] {n, 1}, DataType.DOUBLE);
    v.divi(v.norm2Number());
    double lambda = 0;
    for (int i = 0; i < 500; i++) {
      INDArray w = ata.mmul(v);
      double norm = w.norm2Number().doubleValue();
      if (norm == 0.0) {
        return 0.0;
      }
      double next = norm;
      v = w.divi(norm);
      if (Math.abs(next - lambda) <= 1e-12 * next) {
        lambda = next;
        break;
      }
      lambda = next;
    }
    return Math.sqrt(lambda);
  }

  private static void requireSquare(INDArray a) {
    if (a.rank() != 2 || a.rows() != a.columns()) {
      throw new IllegalArgumentException("square matrix expected, got " + java.util.Arrays.toString(a.shape()));
    }
  }
}
