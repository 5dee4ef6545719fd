package io.gradsweep.search;

import umontreal.ssj.hups.LMScrambleShift;
import umontreal.ssj.hups.PointSetIterator;
import umontreal.ssj.hups.SobolSequence;
import umontreal.ssj.rng.MRG32k3a;

/**
 * {@code search.strategy: sobol}: draws {@code search.num_samples} configurations from a scrambled Sobol sequence,
 * a low-discrepancy sequence that covers the unit cube more evenly than independent points (see
 * {@link SampledSearch} for how points become trials). Best with {@code num_samples} a power of two.
 *
 * <p>The sequence comes from SSJ ({@code ca.umontreal.iro.simul:ssj}, Universite de Montreal, Apache-2.0), chosen
 * because it is the maintained Java library that randomizes Sobol points: commons-math3's and Hipparchus's
 * {@code SobolSequenceGenerator} are unscrambled, so their first point is always the origin and every seed would
 * give the same sample. Here SSJ's {@code SobolSequence} is randomized with
 * {@code LMScrambleShift}: a random lower-triangular left matrix scramble (Matousek) followed by a random digital
 * shift, the scrambling SciPy's {@code qmc.Sobol} applies by default. Both draw from the block's MRG32k3a stream,
 * so the sample depends on {@code search.seed}. Points are taken in Gray-code order; the first 2^k points of the
 * sequence are a (t, k, d)-net whatever the total.
 */
public final class SobolSearch extends SampledSearch {
  /** The YAML word for this strategy. */
  public static final String NAME = "sobol";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  protected PointStream points(MRG32k3a rng, int dims, int capacity) {
    SobolSequence sobol = new SobolSequence(Math.max(2, capacity), dims);
    new LMScrambleShift(rng).randomize(sobol);
    PointSetIterator it = sobol.iterator();
    return p -> it.nextPoint(p, dims);
  }
}
