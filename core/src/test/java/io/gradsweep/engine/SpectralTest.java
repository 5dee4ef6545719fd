package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.inverse.InvertMatrix;

class SpectralTest {

  @ParameterizedTest
  @ValueSource(doubles = {0.3, 1.0, 1.7})
  void scaledIdentity(double a) {
    INDArray m = Nd4j.eye(6).castTo(DataType.DOUBLE).muli(a);
    assertEquals(a, Spectral.spectralRadius(m), 1e-9);
    assertEquals(a, Spectral.maxSingularValue(m), 1e-9);
  }

  @Test
  void complexDominantPairIsHandled() {
    // a rotation by 90 degrees scaled by 0.8 has eigenvalues +-0.8i: power iteration on a vector never settles
    INDArray m = Nd4j.create(new double[][] {{0, -0.8, 0}, {0.8, 0, 0}, {0, 0, 0.5}});
    assertEquals(0.8, Spectral.spectralRadius(m), 1e-9);
  }

  @Test
  void knownEigenvaluesOfANonNormalMatrix() {
    // A = P D P^-1 with eigenvalues 0.9, -0.5, 0.2, 0.1: rho = 0.9 while sigma_max is larger
    SplittableRandom rng = new SplittableRandom(3);
    double[][] p = new double[4][4];
    for (int i = 0; i < 4; i++) {
      for (int j = 0; j < 4; j++) {
        p[i][j] = (i == j ? 2 : 0) + rng.nextDouble() - 0.5;
      }
    }
    INDArray pm = Nd4j.create(p);
    INDArray d = Nd4j.diag(Nd4j.create(new double[] {0.9, -0.5, 0.2, 0.1}));
    INDArray a = pm.mmul(d).mmul(InvertMatrix.invert(pm, false));
    assertEquals(0.9, Spectral.spectralRadius(a), 1e-7);
  }

  @Test
  void singularValueOfADiagonalAndOfAnOrthogonalMatrix() {
    INDArray d = Nd4j.diag(Nd4j.create(new double[] {0.3, -2.5, 1.0}));
    assertEquals(2.5, Spectral.maxSingularValue(d), 1e-9);
    INDArray q = InitScheme.orthogonal(16, new SplittableRandom(1)).muli(1.3);
    assertEquals(1.3, Spectral.maxSingularValue(q), 1e-9);
    assertEquals(1.3, Spectral.spectralRadius(q), 1e-7);
  }

  @Test
  void agreesWithAnEigendecompositionOnARandomLayerSizedMatrix() {
    SplittableRandom rng = new SplittableRandom(11);
    int n = 64;
    double[][] a = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) {
        a[i][j] = (rng.nextDouble() - 0.5) * 0.4;
      }
    }
    INDArray m = Nd4j.create(a);
    INDArray ata = m.transpose().mmul(m);
    INDArray eig = org.nd4j.linalg.eigen.Eigen.symmetricGeneralizedEigenvalues(ata.dup(), true);
    double sigma = Math.sqrt(eig.maxNumber().doubleValue());
    assertEquals(sigma, Spectral.maxSingularValue(m), 1e-9 * sigma);
    assertEquals(sigma, Spectral.maxSingularValue(m.castTo(DataType.FLOAT)), 1e-6 * sigma);
    // a symmetric matrix: rho = largest |eigenvalue|
    INDArray sym = m.add(m.transpose()).muli(0.5);
    INDArray ev = org.nd4j.linalg.eigen.Eigen.symmetricGeneralizedEigenvalues(sym.dup(), true);
    double rho = Math.max(Math.abs(ev.maxNumber().doubleValue()), Math.abs(ev.minNumber().doubleValue()));
    assertEquals(rho, Spectral.spectralRadius(sym), 1e-8 * rho);
  }

  @Test
  void viewsOfAWiderMatrixAreReadCorrectly() {
    INDArray wide = Nd4j.zeros(DataType.FLOAT, 3, 9);
    wide.putScalar(0, 3, 0.5).putScalar(1, 4, -0.7).putScalar(2, 5, 0.2);
    INDArray blk = wide.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
        org.nd4j.linalg.indexing.NDArrayIndex.interval(3, 6));
    assertEquals(0.7, Spectral.spectralRadius(blk), 1e-6);
    assertEquals(0.7, Spectral.maxSingularValue(blk), 1e-6);
  }

  /** The plain Gelfand estimate by 40 squarings, without early exits: the reference for the fast paths. */
  private static double gelfand(double[] a, int n) {
    double[] m = a.clone();
    double norm = 0;
    for (double x : m) {
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    for (int i = 0; i < m.length; i++) {
      m[i] /= norm;
    }
    double log = Math.log(norm);
    double power = 1;
    double[] sq = new double[n * n];
    for (int j = 0; j < 40; j++) {
      Spectral.multiply(m, m, sq, n);
      double s = 0;
      for (double x : sq) {
        s += x * x;
      }
      s = Math.sqrt(s);
      power *= 2;
      log += Math.log(s) / power;
      for (int i = 0; i < sq.length; i++) {
        m[i] = sq[i] / s;
      }
    }
    return Math.exp(log);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 5, 8, 16, 32, 64})
  void fastPathsAgreeWithPlainRepeatedSquaring(int n) {
    SplittableRandom rng = new SplittableRandom(n);
    for (int trial = 0; trial < 20; trial++) {
      double[] a = new double[n * n];
      double scale = 0.2 + 2 * rng.nextDouble();
      for (int i = 0; i < a.length; i++) {
        a[i] = scale * (rng.nextDouble() - 0.5) / Math.sqrt(n);
      }
      if (trial % 4 == 1) { // strongly non-normal: upper triangular part amplified
        for (int i = 0; i < n; i++) {
          for (int j = i + 1; j < n; j++) {
            a[i * n + j] *= 5;
          }
        }
      } else if (trial % 4 == 2 && n > 1) { // a dominant rotation block: complex pair
        a[0] = 0;
        {
          a[1] = -1.5 * scale;
          a[n] = 1.5 * scale;
          a[n + 1] = 0;
        }
      } else if (trial % 4 == 3) { // a dominant +-lambda pair
        a[0] = 1.5 * scale;
        if (n > 1) {
          a[n + 1] = -1.5 * scale;
        }
      }
      double want = gelfand(a, n);
      assertEquals(want, Spectral.spectralRadius(a, n), 1e-9 * want, "n=" + n + " trial " + trial);
    }
  }
}
