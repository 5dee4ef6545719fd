package io.gradsweep.train;

import io.gradsweep.engine.ParamBlock;
import io.gradsweep.spec.ClipSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * Clips a gradient in place, before the optimizer sees it.
 *
 * <ul>
 *   <li>{@code global_norm}: Pascanu, Mikolov & Bengio 2013, Algorithm 1 — if ||g|| over all parameters exceeds
 *       the threshold, g is rescaled to norm = threshold.
 *   <li>{@code layer_norm}: the same rule for each layer's gradient separately (DL4J's ClipL2PerLayer).
 *   <li>{@code value}: every element clamped to [-threshold, threshold] (DL4J's ClipElementWiseAbsoluteValue).
 * </ul>
 */
public final class GradientClipper {

  /**
   * What clipping did.
   *
   * @param acted whether the gradient changed
   * @param after norms after clipping
   */
  public record Outcome(boolean acted, GradientNorms after) {}

  private GradientClipper() {}

  /**
   * Clips {@code flat} (the gradient vector the blocks view into) in place.
   *
   * @param before norms of the gradient as it is now
   */
  public static Outcome clip(ClipSpec clip, List<ParamBlock> blocks, INDArray flat, GradientNorms before) {
    double thr = clip.threshold();
    switch (clip.mode()) {
      case NONE:
        return new Outcome(false, before);
      case GLOBAL_NORM: {
        if (!(before.global() > thr)) {
          return new Outcome(false, before);
        }
        double scale = thr / before.global();
        flat.muli(scale);
        return new Outcome(true, scaled(blocks, before, layer -> scale));
      }
      case LAYER_NORM: {
        Map<String, Double> scales = new LinkedHashMap<>();
        boolean acted = false;
        for (Map.Entry<String, Double> e : before.layers().entrySet()) {
          double s = e.getValue() > thr ? thr / e.getValue() : 1.0;
          acted |= s != 1.0;
          scales.put(e.getKey(), s);
        }
        if (!acted) {
          return new Outcome(false, before);
        }
        for (ParamBlock b : blocks) {
          double s = scales.get(b.layer());
          if (s != 1.0) {
            b.grad().muli(s);
          }
        }
        return new Outcome(true, scaled(blocks, before, scales::get));
      }
      case VALUE: {
        if (!(flat.amaxNumber().doubleValue() > thr)) {
          return new Outcome(false, before);
        }
        BooleanIndexing.replaceWhere(flat, thr, Conditions.greaterThan(thr));
        BooleanIndexing.replaceWhere(flat, -thr, Conditions.lessThan(-thr));
        return new Outcome(true, GradientNorms.measure(blocks));
      }
      default:
        throw new IllegalStateException("unhandled clip mode " + clip.mode());
    }
  }

  private static GradientNorms scaled(List<ParamBlock> blocks, GradientNorms before,
      java.util.function.Function<String, Double> layerScale) {
    Map<String, Double> perBlock = new LinkedHashMap<>();
    for (ParamBlock b : blocks) {
      perBlock.put(b.key(), before.blocks().get(b.key()) * layerScale.apply(b.layer()));
    }
    return GradientNorms.fromBlocks(blocks, perBlock);
  }
}
