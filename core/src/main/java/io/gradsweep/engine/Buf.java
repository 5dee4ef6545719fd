package io.gradsweep.engine;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element access to a contiguous ND4J array's native memory from Java, for the engine's fused element-wise
 * kernels (one Java loop per time step instead of a dozen native calls). Index 0 is the array's first element;
 * the array must be contiguous in 'c' order. Reads and writes go straight to the array: no copy.
 */
abstract class Buf {
  final int base;

  private Buf(int base) {
    this.base = base;
  }

  abstract double get(int i);

  abstract void set(int i, double v);

  abstract void add(int i, double v);

  static Buf of(INDArray a) {
    if (a.ordering() != 'c' && a.rank() > 1 && !a.isVector()) {
      throw new IllegalArgumentException("Buf needs a c-ordered array");
    }
    int base = (int) a.offset();
    if (a.dataType() == DataType.DOUBLE) {
      return new D(a.data().asNioDouble(), base);
    }
    if (a.dataType() == DataType.FLOAT) {
      return new F(a.data().asNioFloat(), base);
    }
    throw new IllegalArgumentException("unsupported data type " + a.dataType());
  }

  private static final class D extends Buf {
    private final DoubleBuffer b;

    D(DoubleBuffer b, int base) {
      super(base);
      this.b = b;
    }

    @Override
    double get(int i) {
      return b.get(base + i);
    }

    @Override
    void set(int i, double v) {
      b.put(base + i, v);
    }

    @Override
    void add(int i, double v) {
      b.put(base + i, b.get(base + i) + v);
    }
  }

  private static final class F extends Buf {
    private final FloatBuffer b;

    F(FloatBuffer b, int base) {
      super(base);
      this.b = b;
    }

    @Override
    double get(int i) {
      return b.get(base + i);
    }

    @Override
    void set(int i, double v) {
      b.put(base + i, (float) v);
    }

    @Override
    void add(int i, double v) {
      b.put(base + i, (float) (b.get(base + i) + v));
    }
  }

  /** The float array's native memory as a buffer, indexed like {@link #of} plus {@link #base}. */
  static FloatBuffer floats(INDArray a) {
    if (a.dataType() != DataType.FLOAT) {
      throw new IllegalArgumentException("expected FLOAT, got " + a.dataType());
    }
    return a.data().asNioFloat();
  }

  /** Index of the array's first element in {@link #floats}. */
  static int base(INDArray a) {
    return (int) a.offset();
  }

  /** Copies {@code len} floats of {@code a} from element {@code from} into {@code dst}. */
  static void read(INDArray a, FloatBuffer fb, int from, float[] dst, int len) {
    fb.get(base(a) + from, dst, 0, len);
  }

  /** Copies {@code len} floats of {@code a} from element {@code from} into {@code dst} from {@code at}. */
  static void read(INDArray a, FloatBuffer fb, int from, float[] dst, int at, int len) {
    fb.get(base(a) + from, dst, at, len);
  }

  /** Copies {@code len} floats of {@code src} from {@code at} into {@code a} from element {@code from}. */
  static void write(INDArray a, FloatBuffer fb, int from, float[] src, int at, int len) {
    fb.put(base(a) + from, src, at, len);
  }

  /** Copies {@code len} floats of {@code src} into {@code a} from element {@code from}. */
  static void write(INDArray a, FloatBuffer fb, int from, float[] src, int len) {
    fb.put(base(a) + from, src, 0, len);
  }

  static double sigmoid(double x) {
    return 1.0 / (1.0 + Math.exp(-x));
  }

  /** tanh through one exp (Math.tanh is not an intrinsic); exact to double rounding. */
  static double tanh(double x) {
    double e = Math.exp(-2.0 * Math.abs(x));
    double t = (1.0 - e) / (1.0 + e);
    return x < 0 ? -t : t;
  }
}
