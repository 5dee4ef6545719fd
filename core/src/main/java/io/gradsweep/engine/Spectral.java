package io.gradsweep.engine;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Spectral measures of a square weight matrix, in double precision, computed in plain Java on a row-major copy
 * (one native copy per matrix; the matrices of a recurrent layer are small, so many small ND4J calls would cost
 * more than the arithmetic).
 *
 * <ul>
 *   <li>Spectral radius rho(A) = max |eigenvalue|, by Gelfand's formula rho = lim ||A^k||^(1/k) with k = 2^j
 *       reached by repeated squaring (renormalised each time, the scale kept as a logarithm). Unlike power
 *       iteration on a vector it also converges when the dominant eigenvalues are a complex pair. The estimate's
 *       error halves with each squaring; it stops when successive log-estimates differ by less than
 *       {@value #RHO_TOLERANCE} (a relative error of about that size), after at most {@value #RHO_MAX_SQUARINGS}
 *       squarings.
 *   <li>Largest singular value sigma_max(A) = ||A||_2, by power iteration on A^T A, until the estimate of
 *       sigma^2 changes by at most {@value #SIGMA_TOLERANCE} relative, at most {@value #SIGMA_MAX_ITERATIONS}
 *       iterations.
 * </ul>
 * Pascanu et al. 2013 (eq. 6-7): ||dh_{k+1}/dh_k|| <= sigma_max(R) * max f', so sigma_max below 1/max f' makes
 * long-range gradient terms shrink geometrically; rho is the asymptotic growth rate of R^k.
 */
public final class Spectral {
  /** Stop when successive estimates of log rho differ by less than this. */
  static final double RHO_TOLERANCE = 1e-13;
  static final int RHO_MAX_SQUARINGS = 40;
  /** Relative residual below which a vector counts as spanning an invariant subspace. */
  static final double EIG_TOLERANCE = 1e-12;
  /** Stop when successive estimates of sigma^2 differ by at most this, relative. */
  static final double SIGMA_TOLERANCE = 1e-12;
  static final int SIGMA_MAX_ITERATIONS = 500;

  private Spectral() {}

  /** Spectral radius of a square matrix (any data type; computed in double). */
  public static double spectralRadius(INDArray a) {
    requireSquare(a);
    return spectralRadius(rowMajor(a), (int) a.rows());
  }

  /** Largest singular value (spectral norm) of a matrix. */
  public static double maxSingularValue(INDArray a) {
    if (a.rank() != 2) {
      throw new IllegalArgumentException("matrix expected, got " + java.util.Arrays.toString(a.shape()));
    }
    return maxSingularValue(rowMajor(a), (int) a.rows(), (int) a.columns());
  }

  /** The elements of a matrix as a new row-major double array (one native copy). */
  public static double[] rowMajor(INDArray a) {
    INDArray d = a.dataType() == DataType.DOUBLE ? a.dup('c') : a.castTo(DataType.DOUBLE);
    if (d.ordering() != 'c' || d.offset() != 0 || d.data().length() != d.length()) {
      d = d.dup('c');
    }
    return d.data().asDouble();
  }

  /**
   * Spectral radius of the n x n matrix {@code a} (row-major, not changed).
   *
   * <p>Repeated squaring as described in the class comment, with two early exits that only need O(n^2) work per
   * squaring: (1) the normalised power M = A^k / ||A^k|| maps a fixed start vector into the dominant invariant
   * subspace; when that vector x is an eigenvector of A (residual of A x - mu x below {@value #EIG_TOLERANCE}
   * relative), rho = |mu|, and when x, A x, A^2 x span a two-dimensional invariant subspace (a complex pair, or
   * two real eigenvalues of equal or nearly equal modulus), rho is the largest modulus of the eigenvalues of A
   * restricted to it. (2) Richardson extrapolation of the Gelfand estimate (error c/k with k = 2^j): when two
   * successive extrapolated values agree to {@value #RHO_TOLERANCE}, twice in a row, it has converged (e.g. a
   * scaled orthogonal matrix). Otherwise the plain estimate after the last squaring is returned.
   */
  public static double spectralRadius(double[] a, int n) {
    check(a, n, n);
    double norm = frobenius(a);
    if (norm == 0.0) {
      return 0.0;
    }
    if (!Double.isFinite(norm)) {
      return Double.NaN;
    }
    double[] m = new double[n * n];
    double[] sq = new double[n * n];
    double inv = 1.0 / norm;
    for (int i = 0; i < m.length; i++) {
      m[i] = a[i] * inv;
    }
    double[] v = startVector(n);
    double[][] scratch = new double[3][n];
    double logScale = Math.log(norm); // log of the scale of A^(2^j), divided by 2^j
    double power = 1.0;
    double previousExtrapolated = Double.NaN;
    int agreeing = 0;
    for (int j = 0; j < RHO_MAX_SQUARINGS; j++) {
      double direct = dominantModulus(a, m, v, n, scratch);
      if (!Double.isNaN(direct)) {
        return direct;
      }
      multiply(m, m, sq, n);
      double s = frobenius(sq);
      if (s == 0.0 || !Double.isFinite(s)) {
        return s == 0.0 ? 0.0 : Math.exp(logScale);
      }
      power *= 2.0;
      double next = logScale + Math.log(s) / power;
      double invS = 1.0 / s;
      for (int i = 0; i < sq.length; i++) {
        sq[i] *= invS;
      }
      double[] t = m;
      m = sq;
      sq = t;
      double extrapolated = 2 * next - logScale;
      if (Math.abs(extrapolated - previousExtrapolated) < RHO_TOLERANCE) {
        if (++agreeing >= 2) {
          return Math.exp(extrapolated);
        }
      } else {
        agreeing = 0;
      }
      previousExtrapolated = extrapolated;
      boolean done = Math.abs(next - logScale) < RHO_TOLERANCE;
      logScale = next;
      if (done) {
        break;
      }
    }
    return Math.exp(logScale);
  }

  /**
   * The largest eigenvalue modulus of A on the Krylov space of x = M v, if x, A x (and A^2 x) span an invariant
   * subspace of dimension 1 or 2 to within {@value #EIG_TOLERANCE}; NaN otherwise.
   */
  private static double dominantModulus(double[] a, double[] m, double[] v, int n, double[][] scratch) {
    double[] x1 = scratch[0];
    double[] x2 = scratch[1];
    double[] x3 = scratch[2];
    matVec(m, v, x1, n);
    double n1 = frobenius(x1);
    if (n1 == 0.0 || !Double.isFinite(n1)) {
      return Double.NaN;
    }
    for (int i = 0; i < n; i++) {
      x1[i] /= n1;
    }
    matVec(a, x1, x2, n);
    double n2 = frobenius(x2);
    if (n2 == 0.0 || !Double.isFinite(n2)) {
      return Double.NaN;
    }
    double mu = dot(x1, x2, n);
    double r1 = 0;
    for (int i = 0; i < n; i++) {
      double d = x2[i] - mu * x1[i];
      r1 += d * d;
    }
    if (Math.sqrt(r1) <= EIG_TOLERANCE * n2) {
      return Math.abs(mu);
    }
    matVec(a, x2, x3, n);
    double n3 = frobenius(x3);
    if (n3 == 0.0 || !Double.isFinite(n3)) {
      return Double.NaN;
    }
    // least squares x3 ~ alpha x1 + beta x2 (x1 has unit norm)
    double g12 = mu;
    double g22 = n2 * n2;
    double det = g22 - g12 * g12;
    if (!(det > 1e-12 * g22)) {
      return Double.NaN; // x1 and x2 nearly parallel, but not an eigenvector: not converged
    }
    double b1 = dot(x1, x3, n);
    double b2 = dot(x2, x3, n);
    double alpha = (g22 * b1 - g12 * b2) / det;
    double beta = (b2 - g12 * b1) / det;
    double r3 = 0;
    for (int i = 0; i < n; i++) {
      double d = x3[i] - alpha * x1[i] - beta * x2[i];
      r3 += d * d;
    }
    if (!(Math.sqrt(r3) <= EIG_TOLERANCE * n3)) {
      return Double.NaN;
    }
    // eigenvalues of the restriction: roots of z^2 - beta z - alpha
    double disc = beta * beta + 4 * alpha;
    if (disc < 0) {
      return Math.sqrt(-alpha); // complex pair: |z|^2 = z * conj(z) = -alpha
    }
    double sq = Math.sqrt(disc);
    return Math.max(Math.abs(beta + sq), Math.abs(beta - sq)) / 2;
  }

  private static double[] startVector(int n) {
    // a fixed pseudo-random start: not orthogonal to the dominant subspace except by accident
    java.util.SplittableRandom rng = new java.util.SplittableRandom(0x5EC7);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = 0.5 + rng.nextDouble();
    }
    return v;
  }

  private static void matVec(double[] m, double[] x, double[] out, int n) {
    for (int i = 0; i < n; i++) {
      double s = 0;
      int ri = i * n;
      for (int j = 0; j < n; j++) {
        s += m[ri + j] * x[j];
      }
      out[i] = s;
    }
  }

  private static double dot(double[] x, double[] y, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) {
      s += x[i] * y[i];
    }
    return s;
  }

  /** Largest singular value of the rows x cols matrix {@code a} (row-major, not changed). */
  public static double maxSingularValue(double[] a, int rows, int cols) {
    check(a, rows, cols);
    int n = cols;
    // A^T A, n x n, symmetric
    double[] ata = new double[n * n];
    for (int k = 0; k < rows; k++) {
      int rk = k * cols;
      for (int i = 0; i < n; i++) {
        double aki = a[rk + i];
        if (aki == 0.0) {
          continue;
        }
        int ri = i * n;
        for (int j = 0; j < n; j++) {
          ata[ri + j] += aki * a[rk + j];
        }
      }
    }
    // a fixed pseudo-random start: not orthogonal to the top singular vector except by accident
    double[] v = startVector(n);
    double vn = norm(v);
    for (int i = 0; i < n; i++) {
      v[i] /= vn;
    }
    double[] w = new double[n];
    double lambda = 0;
    for (int it = 0; it < SIGMA_MAX_ITERATIONS; it++) {
      for (int i = 0; i < n; i++) {
        double s = 0;
        int ri = i * n;
        for (int j = 0; j < n; j++) {
          s += ata[ri + j] * v[j];
        }
        w[i] = s;
      }
      double next = norm(w);
      if (next == 0.0) {
        return 0.0;
      }
      double inv = 1.0 / next;
      for (int i = 0; i < n; i++) {
        v[i] = w[i] * inv;
      }
      boolean done = Math.abs(next - lambda) <= SIGMA_TOLERANCE * next;
      lambda = next;
      if (done) {
        break;
      }
    }
    return Math.sqrt(lambda);
  }

  /** c = a * b for n x n row-major matrices (c is overwritten; must not alias a or b). */
  static void multiply(double[] a, double[] b, double[] c, int n) {
    java.util.Arrays.fill(c, 0, n * n, 0.0);
    for (int i = 0; i < n; i++) {
      int ri = i * n;
      for (int k = 0; k < n; k++) {
        double aik = a[ri + k];
        if (aik == 0.0) {
          continue;
        }
        int rk = k * n;
        for (int j = 0; j < n; j++) {
          c[ri + j] += aik * b[rk + j];
        }
      }
    }
  }

  private static double frobenius(double[] a) {
    // scaled sum of squares: no overflow or underflow for entries of any size
    double scale = 0;
    for (double x : a) {
      scale = Math.max(scale, Math.abs(x));
    }
    if (scale == 0.0 || !Double.isFinite(scale)) {
      return scale;
    }
    double inv = 1.0 / scale;
    double s = 0;
    for (double x : a) {
      double y = x * inv;
      s += y * y;
    }
    return scale * Math.sqrt(s);
  }

  private static double norm(double[] v) {
    return frobenius(v);
  }

  private static void check(double[] a, int rows, int cols) {
    if (rows < 0 || cols < 0 || a.length < (long) rows * cols) {
      throw new IllegalArgumentException("a " + rows + " x " + cols + " matrix needs " + (long) rows * cols
          + " elements, got " + a.length);
    }
  }

  private static void requireSquare(INDArray a) {
    if (a.rank() != 2 || a.rows() != a.columns()) {
      throw new IllegalArgumentException("square matrix expected, got " + java.util.Arrays.toString(a.shape()));
    }
  }
}
