package io.gradsweep.train;

import io.gradsweep.engine.ParamBlock;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * L2 norms of a gradient, per parameter block, per layer and over everything. Reduced to doubles at once: no
 * array references are kept.
 *
 * @param blocks per block ({@code layer0/W}, ..., {@code head/b}), in layout order
 * @param layers per layer ({@code layer0}, ..., {@code head})
 * @param global over all parameters
 */
public record GradientNorms(Map<String, Double> blocks, Map<String, Double> layers, double global) {

  /**
   * Measures the gradient views of {@code blocks}: one pass per block over its memory from Java, summing squares in
   * double (an ND4J reduction per block cost a fixed 20-50 microseconds each, a tenth of a small trial's step).
   */
  public static GradientNorms measure(List<ParamBlock> blocks) {
    Map<String, Double> perBlock = new LinkedHashMap<>();
    for (ParamBlock b : blocks) {
      perBlock.put(b.key(), norm2(b.grad()));
    }
    return fromBlocks(blocks, perBlock);
  }

  /** The L2 norm of a contiguous float or double array (another layout goes through ND4J's reduction). */
  static double norm2(INDArray a) {
    long n = a.length();
    boolean contiguous = a.ordering() == 'c' && (a.rank() < 2 || a.stride(a.rank() - 1) == 1)
        && (a.rank() < 2 || a.rows() == 1 || a.stride(0) == a.columns());
    if (!contiguous || a.rank() > 2 || n > Integer.MAX_VALUE) {
      return a.norm2Number().doubleValue();
    }
    int o = (int) a.offset(); // as Buf: the NIO view spans the whole allocation
    double s = 0;
    if (a.dataType() == DataType.FLOAT) {
      FloatBuffer fb = a.data().asNioFloat();
      for (int e = 0; e < n; e++) {
        double v = fb.get(o + e);
        s += v * v;
      }
    } else if (a.dataType() == DataType.DOUBLE) {
      DoubleBuffer db = a.data().asNioDouble();
      for (int e = 0; e < n; e++) {
        double v = db.get(o + e);
        s += v * v;
      }
    } else {
      return a.norm2Number().doubleValue();
    }
    return Math.sqrt(s);
  }

  /** Combines per-block norms into per-layer and global norms (sqrt of sums of squares). */
  static GradientNorms fromBlocks(List<ParamBlock> blocks, Map<String, Double> perBlock) {
    Map<String, Double> sq = new LinkedHashMap<>();
    double total = 0;
    for (ParamBlock b : blocks) {
      double n = perBlock.get(b.key());
      sq.merge(b.layer(), n * n, Double::sum);
      total += n * n;
    }
    Map<String, Double> perLayer = new LinkedHashMap<>();
    sq.forEach((k, v) -> perLayer.put(k, Math.sqrt(v)));
    return new GradientNorms(Map.copyOf(perBlock), perLayer, Math.sqrt(total));
  }

  public boolean finite() {
    return Double.isFinite(global);
  }
}
