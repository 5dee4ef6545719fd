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
 * Matrix products straight through a BLAS library's sgemm/dgemm, on the memory of ND4J arrays: float products go
 * to {@link FloatGemm#current()} (oneDNN by default), double products to OpenBLAS's CBLAS (the library ND4J's CPU
 * backend itself uses). {@code Nd4j.gemm} goes through ND4J's op machinery, whose fixed cost per call dominates the
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
      FloatGemm.current().sgemm(transA, transB, m, n, k, (float) alpha, fp(a), lda, fp(b), ldb, (float) beta, fp(c),
          ldc);
    } else if (dt == DataType.DOUBLE) {
      openblas_nolapack.cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, dp(a), lda, dp(b), ldb, beta, dp(c),
          ldc);
    } else {
      throw new IllegalArgumentException("unsupported data type " + dt);
    }
  }

  /**
   * A product on blocks of arrays, without ND4J views: {@code C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C},
   * where each operand is the block of its array starting at element (row, col) and as large as op needs (A is
   * stored as [k, m] when transposed, [m, k] otherwise; likewise B). Row strides are the arrays' own. Blocks must lie
   * inside their arrays. Safe to call from several threads at once on disjoint blocks of C.
   */
  static void gemmBlock(INDArray a, long aRow, long aCol, boolean transA, INDArray b, long bRow, long bCol,
      boolean transB, INDArray c, long cRow, long cCol, int m, int n, int k, double alpha, double beta) {
    int lda = leading(a);
    int ldb = leading(b);
    int ldc = leading(c);
    inside(a, aRow, aCol, transA ? k : m, transA ? m : k, "a");
    inside(b, bRow, bCol, transB ? n : k, transB ? k : n, "b");
    inside(c, cRow, cCol, m, n, "c");
    DataType dt = c.dataType();
    if (a.dataType() != dt || b.dataType() != dt) {
      throw new IllegalArgumentException("gemm data types differ: " + a.dataType() + ", " + b.dataType() + ", " + dt);
    }
    int ta = transA ? CblasTrans : CblasNoTrans;
    int tb = transB ? CblasTrans : CblasNoTrans;
    if (dt == DataType.FLOAT) {
      FloatGemm.current().sgemm(transA, transB, m, n, k, (float) alpha, fp(a).position(fp0(a) + aRow * lda + aCol),
          lda, fp(b).position(fp0(b) + bRow * ldb + bCol), ldb, (float) beta,
          fp(c).position(fp0(c) + cRow * ldc + cCol), ldc);
    } else if (dt == DataType.DOUBLE) {
      openblas_nolapack.cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha,
          dp(a).position(fp0(a) + aRow * lda + aCol), lda, dp(b).position(fp0(b) + bRow * ldb + bCol), ldb, beta,
          dp(c).position(fp0(c) + cRow * ldc + cCol), ldc);
    } else {
      throw new IllegalArgumentException("unsupported data type " + dt);
    }
  }

  /**
   * A float array's memory held for repeated products ({@link #sgemm}): the pointer to its first element, its row
   * stride and shape, read once. {@link #gemmBlock} reads them from the array at every call, which costs 1-2
   * microseconds (measured on this machine, one thread), as much as a tenth of a step's product at hidden 64, batch
   * 32. Not thread-safe (each product moves the pointer): one per array and thread, e.g. per pass and slice.
   */
  static final class FloatMat {
    private final FloatPointer p;
    private final long first;
    private final int ld;
    private final long rows;
    private final long cols;

    FloatMat(INDArray a) {
      if (a.dataType() != DataType.FLOAT) {
        throw new IllegalArgumentException("FloatMat needs a FLOAT array, got " + a.dataType());
      }
      ld = leading(a);
      p = fp(a);
      first = p.position();
      rows = a.rows();
      cols = a.columns();
    }

    private FloatPointer at(long row, long col, long nRows, long nCols, String what) {
      if (row < 0 || col < 0 || nRows < 1 || nCols < 1 || row + nRows > rows || col + nCols > cols) {
        throw new IllegalArgumentException("gemm block of " + what + " [" + row + ".." + (row + nRows) + ", " + col
            + ".." + (col + nCols) + ") outside its array [" + rows + ", " + cols + "]");
      }
      return p.position(first + row * ld + col);
    }
  }

  /** {@link #gemmBlock} on held float arrays: the same product, the same results. */
  static void sgemm(FloatMat a, long aRow, long aCol, boolean transA, FloatMat b, long bRow, long bCol,
      boolean transB, FloatMat c, long cRow, long cCol, int m, int n, int k, float alpha, float beta) {
    FloatPointer pa = a.at(aRow, aCol, transA ? k : m, transA ? m : k, "a");
    FloatPointer pb = b.at(bRow, bCol, transB ? n : k, transB ? k : n, "b");
    FloatPointer pc = c.at(cRow, cCol, m, n, "c");
    FloatGemm.current().sgemm(transA, transB, m, n, k, alpha, pa, a.ld, pb, b.ld, beta, pc, c.ld);
  }

  private static void inside(INDArray a, long row, long col, long rows, long cols, String what) {
    if (row < 0 || col < 0 || rows < 1 || cols < 1 || row + rows > a.rows() || col + cols > a.columns()) {
      throw new IllegalArgumentException("gemm block of " + what + " [" + row + ".." + (row + rows) + ", " + col
          + ".." + (col + cols) + ") outside its array " + a.shapeInfoToString());
    }
  }

  /** The single number of threads OpenBLAS uses per call in this process (ND4J sets it from OMP_NUM_THREADS). */
  static int blasThreads() {
    return org.bytedeco.openblas.presets.openblas_nolapack.blas_get_num_threads();
  }

  /**
   * Makes OpenBLAS run each call on the calling thread alone, for the whole process: the engine's own threads each
   * run their products, and OpenBLAS's threads on top would oversubscribe the cores (there is no per-call setting in
   * this OpenBLAS). ND4J set the count from OMP_NUM_THREADS when it loaded (all cores when unset).
   */
  static void singleThreadedBlas() {
    if (blasThreads() != 1) {
      org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(1);
    }
  }

  private static long fp0(INDArray a) {
    return a.offset() - a.data().offset();
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
