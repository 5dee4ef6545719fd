package io.gradsweep.train;

import io.gradsweep.engine.ParamBlock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * L2 norms of a gradient, per parameter block, per layer and over everything. Reduced to doubles at once: no
 * array references are kept.
 *
 * @param blocks per block ({@code layer0/W}, ..., {@code head/b}), in layout order
 * @param layers per layer ({@code layer0}, ..., {@code head})
 * @param global over all parameters
 */
public record GradientNorms(Map<String, Double> blocks, Map<String, Double> layers, double global) {

  /** Measures the gradient views of {@code blocks}: one reduction per block. */
  public static GradientNorms measure(List<ParamBlock> blocks) {
    Map<String, Double> perBlock = new LinkedHashMap<>();
    for (ParamBlock b : blocks) {
      perBlock.put(b.key(), b.grad().norm2Number().doubleValue());
    }
    return fromBlocks(blocks, perBlock);
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
