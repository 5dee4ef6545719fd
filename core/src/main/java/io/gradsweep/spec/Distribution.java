package io.gradsweep.spec;

import io.gradsweep.util.Canon;
import java.util.List;

/**
 * A range an axis is sampled from by a sampled search strategy ({@code random}, {@code sobol}), written in the
 * spec as a one-key mapping, e.g. {@code lr: {log_uniform: [1e-4, 1e-1]}}. Only a value: the parser checks its
 * bounds against the axis ({@link Axis#distributions()}), the search package draws from it. A YAML list on an
 * axis is not a distribution but a choice: each value equally likely.
 */
public sealed interface Distribution permits Distribution.Uniform, Distribution.LogUniform,
    Distribution.IntUniform, Distribution.LogIntUniform {

  /** Every distribution word, in the order listed in messages. */
  List<String> WORDS = List.of(Uniform.WORD, LogUniform.WORD, IntUniform.WORD, LogIntUniform.WORD);

  /** The YAML word, e.g. {@code log_uniform}. */
  String word();

  /** The lower bound (inclusive). */
  double lowBound();

  /** The upper bound (inclusive). */
  double highBound();

  /** Whether the values are integers. */
  boolean integer();

  /** Canonical text, as written in flow YAML with canonical numbers: {@code {log_uniform: [0.0001, 0.1]}}. */
  default String canonical() {
    String lo = integer() ? Long.toString((long) lowBound()) : Canon.num(lowBound());
    String hi = integer() ? Long.toString((long) highBound()) : Canon.num(highBound());
    return "{" + word() + ": [" + lo + ", " + hi + "]}";
  }

  /** Uniform on [low, high]. */
  record Uniform(double low, double high) implements Distribution {
    public static final String WORD = "uniform";

    public Uniform {
      checkReal(low, high);
    }

    @Override
    public String word() {
      return WORD;
    }

    @Override
    public double lowBound() {
      return low;
    }

    @Override
    public double highBound() {
      return high;
    }

    @Override
    public boolean integer() {
      return false;
    }
  }

  /** Log-uniform on [low, high], 0 < low: the logarithm is uniform (as likely in [1e-4, 1e-3] as in [1e-3, 1e-2]). */
  record LogUniform(double low, double high) implements Distribution {
    public static final String WORD = "log_uniform";

    public LogUniform {
      checkReal(low, high);
      if (low <= 0) {
        throw new IllegalArgumentException("log_uniform needs low > 0, got " + low);
      }
    }

    @Override
    public String word() {
      return WORD;
    }

    @Override
    public double lowBound() {
      return low;
    }

    @Override
    public double highBound() {
      return high;
    }

    @Override
    public boolean integer() {
      return false;
    }
  }

  /** Each integer of low..high (both included) equally likely. */
  record IntUniform(int low, int high) implements Distribution {
    public static final String WORD = "int_uniform";

    public IntUniform {
      checkInt(low, high);
    }

    @Override
    public String word() {
      return WORD;
    }

    @Override
    public double lowBound() {
      return low;
    }

    @Override
    public double highBound() {
      return high;
    }

    @Override
    public boolean integer() {
      return true;
    }
  }

  /**
   * Integers of low..high, 1 <= low, drawn log-uniformly: integer k has probability log((k + 1) / k) /
   * log((high + 1) / low), so 16..31 is as likely as 32..63.
   */
  record LogIntUniform(int low, int high) implements Distribution {
    public static final String WORD = "log_int_uniform";

    public LogIntUniform {
      checkInt(low, high);
      if (low < 1) {
        throw new IllegalArgumentException("log_int_uniform needs low >= 1, got " + low);
      }
    }

    @Override
    public String word() {
      return WORD;
    }

    @Override
    public double lowBound() {
      return low;
    }

    @Override
    public double highBound() {
      return high;
    }

    @Override
    public boolean integer() {
      return true;
    }
  }

  private static void checkReal(double low, double high) {
    if (!Double.isFinite(low) || !Double.isFinite(high) || !(low < high)) {
      throw new IllegalArgumentException("need finite bounds low < high, got [" + low + ", " + high + "]");
    }
  }

  private static void checkInt(int low, int high) {
    if (low >= high) {
      throw new IllegalArgumentException("need bounds low < high, got [" + low + ", " + high + "]");
    }
  }
}
