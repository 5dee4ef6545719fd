package io.gradsweep.probe;

/**
 * What a per-time-step gradient profile says, with the loss at the last step T-1.
 *
 * @param decayRate per-step factor r by which ||dL/dh_t|| changes going back one step in time: exp(-slope) of a
 *     least-squares line through log ||dL/dh_t|| against t, over the steps where the norm is non-zero and
 *     finite. r < 1: the gradient vanishes going back; r > 1: it explodes. NaN with fewer than two such steps.
 * @param horizon how many steps back from the loss the norm stays at or above 1e-3 of its value at the loss
 *     step (the loss step itself counts: 1..T; 0 when the norm at the loss step is zero)
 * @param firstOverLast ||dL/dh_0|| / ||dL/dh_{T-1}||
 */
public record ProfileStats(double decayRate, int horizon, double firstOverLast) {

  /** Relative level below which the gradient counts as gone, for the horizon. */
  public static final double HORIZON_LEVEL = 1e-3;

  public static ProfileStats of(double[] norms) {
    int n = norms.length;
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    int k = 0;
    for (int t = 0; t < n; t++) {
      double v = norms[t];
      if (v > 0 && Double.isFinite(v)) {
        double y = Math.log(v);
        sx += t;
        sy += y;
        sxx += (double) t * t;
        sxy += t * y;
        k++;
      }
    }
    double rate = Double.NaN;
    if (k >= 2) {
      double denom = k * sxx - sx * sx;
      if (denom > 0) {
        double slope = (k * sxy - sx * sy) / denom;
        rate = Math.exp(-slope);
      }
    }
    double last = n == 0 ? 0 : norms[n - 1];
    int horizon = 0;
    if (last > 0 && Double.isFinite(last)) {
      double level = HORIZON_LEVEL * last;
      for (int t = n - 1; t >= 0 && norms[t] >= level; t--) {
        horizon++;
      }
    }
    double ratio = last != 0 ? norms[0] / last : Double.NaN;
    return new ProfileStats(rate, horizon, ratio);
  }

  /**
   * Reduces a profile to {@code buckets} values over t: the geometric mean of the non-zero norms of each bucket
   * of consecutive steps (0 when a bucket holds only zeros). Bucket b covers steps [b*T/buckets, (b+1)*T/buckets).
   */
  public static double[] buckets(double[] norms, int buckets) {
    int n = norms.length;
    int m = Math.min(buckets, n);
    double[] out = new double[m];
    for (int b = 0; b < m; b++) {
      int from = (int) ((long) b * n / m);
      int to = (int) ((long) (b + 1) * n / m);
      double logSum = 0;
      int k = 0;
      for (int t = from; t < to; t++) {
        if (norms[t] > 0 && Double.isFinite(norms[t])) {
          logSum += Math.log(norms[t]);
          k++;
        }
      }
      out[b] = k == 0 ? 0.0 : Math.exp(logSum / k);
    }
    return out;
  }
}
