package io.gradsweep.spec;

import java.util.Arrays;
import java.util.stream.Collectors;

/** How a gradient is clipped before the optimizer sees it. The YAML word is {@link #word()}. */
public enum ClipMode {
  /** No clipping. */
  NONE("none"),
  /** Pascanu et al. 2013, Algorithm 1: if ||g||_2 over all parameters exceeds the threshold, rescale g to it. */
  GLOBAL_NORM("global_norm"),
  /** The same rule applied to each layer's gradient separately. */
  LAYER_NORM("layer_norm"),
  /** Each gradient element clamped to [-threshold, threshold]. */
  VALUE("value");

  private final String word;

  ClipMode(String word) {
    this.word = word;
  }

  public String word() {
    return word;
  }

  public static ClipMode fromWord(String w) {
    for (ClipMode m : values()) {
      if (m.word.equals(w)) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown clip mode '" + w + "'; allowed: " + allowed());
  }

  public static String allowed() {
    return Arrays.stream(values()).map(ClipMode::word).collect(Collectors.joining(", "));
  }
}
