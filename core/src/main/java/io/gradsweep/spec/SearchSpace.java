package io.gradsweep.spec;

import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * What a search strategy searches: the grids to draw trials from, the settings all trials share, and the most
 * trials the sweep may have. Built by {@link SweepSpecParser}; every block is validated.
 *
 * @param template settings every trial shares
 * @param blocks the spec's grid, or one block per variant (in file order) when the spec has variants
 * @param maxTrials {@code search.max_trials}
 * @param numSamples {@code search.num_samples} (1..max trials limit), empty when not written: how many configurations
 *     a sampled strategy draws; strategies that do not sample reject it
 * @param seed {@code search.seed} (>= 0), empty when not written (see {@link #seedOrDefault()}): the seed of a
 *     sampled strategy's draws; strategies that do not sample reject it
 */
public record SearchSpace(TrialTemplate template, List<GridBlock> blocks, int maxTrials, OptionalInt numSamples,
    OptionalLong seed) {
  /** {@code search.seed} when the spec does not give one. */
  public static final long DEFAULT_SEED = 0L;

  public SearchSpace {
    Objects.requireNonNull(template, "template");
    Objects.requireNonNull(numSamples, "numSamples");
    Objects.requireNonNull(seed, "seed");
    if (numSamples.isPresent() && numSamples.getAsInt() < 1) {
      throw new IllegalArgumentException("numSamples must be >= 1, got " + numSamples.getAsInt());
    }
    if (seed.isPresent() && seed.getAsLong() < 0) {
      throw new IllegalArgumentException("seed must be >= 0, got " + seed.getAsLong());
    }
    blocks = List.copyOf(blocks);
    if (blocks.isEmpty()) {
      throw new IllegalArgumentException("a search space needs at least one grid block");
    }
    if (maxTrials < 1) {
      throw new IllegalArgumentException("maxTrials must be >= 1, got " + maxTrials);
    }
  }

  /** A space without sampling settings (a grid search's). */
  public SearchSpace(TrialTemplate template, List<GridBlock> blocks, int maxTrials) {
    this(template, blocks, maxTrials, OptionalInt.empty(), OptionalLong.empty());
  }

  /** {@code search.seed}, or {@link #DEFAULT_SEED} when the spec does not give one. */
  public long seedOrDefault() {
    return seed.orElse(DEFAULT_SEED);
  }

  /** Total number of grid points over all blocks, saturating at {@link Long#MAX_VALUE}. */
  public long gridSize() {
    long n = 0;
    for (GridBlock b : blocks) {
      n = n + b.size() < n ? Long.MAX_VALUE : n + b.size();
    }
    return n;
  }

  /** The same space with another trial limit. */
  public SearchSpace withMaxTrials(int limit) {
    return new SearchSpace(template, blocks, limit, numSamples, seed);
  }
}
