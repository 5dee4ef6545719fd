package io.gradsweep.spec;

import java.util.Objects;

/**
 * A clip option whose threshold is sampled by a sampled search strategy: written
 * {@code {mode: global_norm, threshold: {log_uniform: [0.1, 10]}}}. A drawn threshold makes a {@link ClipSpec}.
 *
 * @param mode a clip mode other than none
 * @param threshold a real distribution ({@code uniform} or {@code log_uniform}) with a lower bound > 0
 */
public record ClipRange(ClipMode mode, Distribution threshold) {
  public ClipRange {
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(threshold, "threshold");
    if (mode == ClipMode.NONE) {
      throw new IllegalArgumentException("clip mode none has no threshold to sample");
    }
    if (threshold.integer() || !(threshold.lowBound() > 0)) {
      throw new IllegalArgumentException("a clip threshold is sampled from a real distribution above 0, got "
          + threshold.canonical());
    }
  }

  /** Canonical text, e.g. {@code global_norm:{log_uniform: [0.1, 10]}}. */
  public String canonical() {
    return mode.word() + ":" + threshold.canonical();
  }
}
