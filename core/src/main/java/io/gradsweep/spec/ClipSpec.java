package io.gradsweep.spec;

import io.gradsweep.util.Canon;
import java.io.Serializable;

/**
 * Clipping for one trial: a mode and a threshold (the threshold is ignored, and 0, for {@link ClipMode#NONE}).
 */
public record ClipSpec(ClipMode mode, double threshold) implements Serializable {
  public static final ClipSpec NONE = new ClipSpec(ClipMode.NONE, 0.0);

  public ClipSpec {
    if (mode == null) {
      throw new IllegalArgumentException("clip mode must not be null");
    }
    if (mode == ClipMode.NONE) {
      threshold = 0.0;
    } else if (!(threshold > 0.0) || !Double.isFinite(threshold)) {
      throw new IllegalArgumentException("clip threshold must be a finite number > 0, got " + threshold);
    }
  }

  public boolean enabled() {
    return mode != ClipMode.NONE;
  }

  /** Canonical text, e.g. {@code none} or {@code global_norm:1.0}; used in trial ids and run names. */
  public String canonical() {
    return mode == ClipMode.NONE ? "none" : mode.word() + ":" + Canon.num(threshold);
  }
}
