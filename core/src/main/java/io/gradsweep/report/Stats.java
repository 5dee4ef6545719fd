package io.gradsweep.report;

import java.util.Arrays;

/** The few statistics the report needs; NaN values are ignored, and an empty input gives NaN. */
public final class Stats {
  private Stats() {}

  /** A mean with its two-sided 95% confidence interval (NaN bounds when {@code n < 2}). */
  public record Interval(double mean, double low, double high, int n) {
    public boolean hasInterval() {
      return n >= 2 && Double.isFinite(low) && Double.isFinite(high);
    }

    /** Half the width of the interval (NaN without one). */
    public double halfWidth() {
      return (high - low) / 2;
    }
  }

  /** Two-sided 95% quantiles of Student's t, t_{0.975, df}, for df = 1..30. */
  private static final double[] T975 = {12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624,
      2.306004, 2.262157, 2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816,
      2.100922, 2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
      2.048407, 2.045230, 2.042272};

  /** Standard normal quantile z_{0.975}. */
  private static final double Z975 = 1.959964;

  /**
   * t_{0.975, df}: a table for df <= 30, beyond it the Cornish-Fisher expansion around the normal quantile (its
   * error is below 1e-5 there).
   */
  public static double t975(int df) {
    if (df < 1) {
      throw new IllegalArgumentException("degrees of freedom must be >= 1: " + df);
    }
    if (df <= T975.length) {
      return T975[df - 1];
    }
    double z = Z975;
    double z3 = z * z * z;
    double z5 = z3 * z * z;
    double z7 = z5 * z * z;
    double n = df;
    return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n)
        + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * n * n * n);
  }

  /** The finite values of {@code v}. */
  static double[] finite(double[] v) {
    return Arrays.stream(v).filter(Double::isFinite).toArray();
  }

  public static double mean(double[] v) {
    double[] f = finite(v);
    return f.length == 0 ? Double.NaN : Arrays.stream(f).sum() / f.length;
  }

  public static double median(double[] v) {
    double[] f = finite(v);
    if (f.length == 0) {
      return Double.NaN;
    }
    Arrays.sort(f);
    int m = f.length / 2;
    return f.length % 2 == 1 ? f[m] : (f[m - 1] + f[m]) / 2;
  }

  /** Sample standard deviation (n - 1 in the denominator); NaN for fewer than two values. */
  public static double sd(double[] v) {
    double[] f = finite(v);
    if (f.length < 2) {
      return Double.NaN;
    }
    double m = mean(f);
    double ss = 0;
    for (double x : f) {
      ss += (x - m) * (x - m);
    }
    return Math.sqrt(ss / (f.length - 1));
  }

  /** The mean of {@code v} with a t-interval: mean +- t_{0.975, n-1} * sd / sqrt(n). */
  public static Interval tInterval(double[] v) {
    double[] f = finite(v);
    double m = mean(f);
    if (f.length < 2) {
      return new Interval(m, Double.NaN, Double.NaN, f.length);
    }
    double half = t975(f.length - 1) * sd(f) / Math.sqrt(f.length);
    return new Interval(m, m - half, m + half, f.length);
  }
}
