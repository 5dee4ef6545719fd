package io.gradsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StatsTest {

  @Test
  void meanMedianAndSdSkipNaN() {
    double[] v = {3, Double.NaN, 1, 2, 10};
    assertEquals(4.0, Stats.mean(v));
    assertEquals(2.5, Stats.median(v), "median of 1, 2, 3, 10");
    assertEquals(2.0, Stats.median(new double[] {3, 1, 2}));
    assertEquals(1.0, Stats.sd(new double[] {1, 2, 3}), 1e-12);
    assertTrue(Double.isNaN(Stats.median(new double[] {Double.NaN})));
    assertTrue(Double.isNaN(Stats.mean(new double[0])));
  }

  @Test
  void tQuantilesMatchPublishedValues() {
    assertEquals(12.706205, Stats.t975(1), 1e-6);
    assertEquals(2.228139, Stats.t975(10), 1e-6);
    // beyond the table: published t(0.975) for 31, 60, 120 and 1000 degrees of freedom
    assertEquals(2.039513, Stats.t975(31), 1e-5);
    assertEquals(2.000298, Stats.t975(60), 1e-5);
    assertEquals(1.979930, Stats.t975(120), 1e-5);
    assertEquals(1.962339, Stats.t975(1000), 1e-5);
    // t approaches the normal quantile z_{0.975} = 1.959964 from above as df grows
    assertEquals(1.959964, Stats.t975(1_000_000), 1e-5);
    double previous = Double.POSITIVE_INFINITY;
    for (int df = 1; df <= 200; df++) {
      double t = Stats.t975(df);
      assertTrue(t < previous && t > 1.959964, "t_{0.975, " + df + "} = " + t);
      previous = t;
    }
  }

  @Test
  void tQuantileNeedsADegreeOfFreedom() {
    assertThrows(IllegalArgumentException.class, () -> Stats.t975(0));
  }

  @Test
  void tIntervalIsCentredOnTheMeanAndNeedsTwoValues() {
    Stats.Interval i = Stats.tInterval(new double[] {1, 0, 0});
    assertEquals(1.0 / 3, i.mean(), 1e-12);
    double half = 4.302653 * Math.sqrt(1.0 / 3) / Math.sqrt(3);
    assertEquals(half, i.halfWidth(), 1e-6);
    assertEquals(i.mean(), (i.low() + i.high()) / 2, 1e-12);
    assertTrue(i.hasInterval());
    Stats.Interval one = Stats.tInterval(new double[] {0.5, Double.NaN});
    assertEquals(0.5, one.mean());
    assertEquals(1, one.n());
    assertFalse(one.hasInterval());
  }
}
