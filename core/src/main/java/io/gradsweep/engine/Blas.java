package io.gradsweep.engine;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Matrix products straight through OpenBLAS's CBLAS (the library ND4J's CPU backend itself uses), on the memory
 * of ND4J arrays. {@code Nd4j.gemm} goes through ND4J's op machinery, whose fixed cost per call dominates the
 * small per-time-step products of a recurrent layer; this path costs one JNI call.
 *
 * <p>All arrays must be row-major with unit column stride (base arrays, row-block views of them, and the
 * reshaped parameter views the engine uses) and of the same data type (FLOAT or DOUBLE).
 */
final class Blas {
  private Blas() {}

  /** c = alpha * op(a) * op(b) + beta * c, with op = transpose when the flag is set. */
  static void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha, double beta) {
    int m = (int) c.rows();
    int n = (int) c.columns();
    int k = (int) (transA ? a.rows() : a.columns());
    long ka = transA ? a.columns() : a.rows();
    long kb = transB ? b.columns() : b.rows();
    long nb = transB ? b.rows() : b.columns();
    if (ka != m || kb != k || nb != n) {
      throw new IllegalArgumentException("gemm shapes do not fit: a " + a.shapeInfoToString() + " b "
          + b.shapeInfoToString() + " c " + c.shapeInfoToString());
    }
    int lda = leading(a);
    int ldb = leading(b);
    int ldc = leading(c);
    int ta = transA ? CblasTrans : CblasNoTrans;
    int tb = transB ? CblasTrans : CblasNoTrans;
    DataType dt = c.dataType();
    if (a.dataType() != dt || b.dataType() != dt) {
      throw new IllegalArgumentException("gemm data types differ: " + a.dataType() + ", " + b.dataType() + ", " + dt);
    }
    if (dt == DataType.FLOAT) {
      openblas_nolapack.cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, (float) alpha, fp(a), lda, fp(b), ldb,
          (float) beta, fp(c), ldc);
    } else if (dt == DataType.DOUBLE) {
      openblas_nolapack.cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, dp(a), lda, dp(b), ldb, beta, dp(c),
          ldc);
    } else {
      throw new IllegalArgumentException("unsupported data type " + dt);
    }
  }

  private static int leading(INDArray a) {
    if (a.rank() != 2 || a.ordering() != 'c' && a.rows() > 1 || a.stride(1) != 1 && a.columns() > 1) {
      throw new IllegalArgumentException("gemm needs row-major matrices with unit column stride: "
          + a.shapeInfoToString());
    }
    return (int) Math.max(a.rows() > 1 ? a.stride(0) : a.columns(), 1);
  }

  // A view's data buffer already starts at the view's offset (its addressPointer includes it); anything beyond
  // the buffer's own offset is added as the pointer's position.
  private static FloatPointer fp(INDArray a) {
    return new FloatPointer(a.data().addressPointer()).position(a.offset() - a.data().offset());
  }

  private static DoublePointer dp(INDArray a) {
    return new DoublePointer(a.data().addressPointer()).position(a.offset() - a.data().offset());
  }
}
