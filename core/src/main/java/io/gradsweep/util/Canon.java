package io.gradsweep.util;

import java.math.BigDecimal;

/** Canonical text forms of values, so that trial ids do not depend on how a number was written. */
public final class Canon {
  private Canon() {}

  /** Shortest exact decimal form: 1.0 -> "1", 0.0010 -> "0.001", 1e-4 -> "0.0001". */
  public static String num(double v) {
    if (!Double.isFinite(v)) {
      return Double.toString(v);
    }
    BigDecimal d = new BigDecimal(Double.toString(v)).stripTrailingZeros();
    return d.toPlainString();
  }
}
