package io.gradsweep.report;

import java.util.Arrays;
import org.apache.commons.math3.distribution.TDistribution;

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

  /**
   * t_{0.975, df}, the two-sided 95% quantile of Student's t with {@code df} degrees of freedom (commons-math3's
   * {@link TDistribution}).
   */
  public static double t975(int df) {
    if (df < 1) {
      throw new IllegalArgumentException("degrees of freedom must be >= 1: " + df);
    }
    return new TDistribution(df).inverseCumulativeProbability(0.975);
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
