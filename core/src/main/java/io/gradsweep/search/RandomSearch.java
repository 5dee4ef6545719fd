package io.gradsweep.search;

import umontreal.ssj.rng.MRG32k3a;

/**
 * {@code search.strategy: random}: draws {@code search.num_samples} configurations, each coordinate an independent
 * uniform number from the block's MRG32k3a stream (see {@link SampledSearch} for how points become trials). For
 * example
 * <pre>{@code
 * search: {strategy: random, num_samples: 64, seed: 7}
 * grid:
 *   cell: [lstm]
 *   seq_len: [50]
 *   lr: {log_uniform: [1e-4, 1e-1]}
 *   hidden: {int_uniform: [16, 128]}
 * }</pre>
 * gives 64 trials with lr and hidden drawn independently.
 */
public final class RandomSearch extends SampledSearch {
  /** The YAML word for this strategy. */
  public static final String NAME = "random";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  protected PointStream points(MRG32k3a rng, int dims, int capacity) {
    return p -> {
      for (int i = 0; i < p.length; i++) {
        p[i] = rng.nextDouble();
      }
    };
  }
}
