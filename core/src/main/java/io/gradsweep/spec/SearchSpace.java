package io.gradsweep.spec;

import java.util.List;
import java.util.Objects;

/**
 * What a search strategy searches: the grids to draw trials from, the settings all trials share, and the most
 * trials the sweep may have. Built by {@link SweepSpecParser}; every block is validated.
 *
 * @param template settings every trial shares
 * @param blocks the spec's grid, or one block per variant (in file order) when the spec has variants
 * @param maxTrials {@code search.max_trials}
 */
public record SearchSpace(TrialTemplate template, List<GridBlock> blocks, int maxTrials) {
  public SearchSpace {
    Objects.requireNonNull(template, "template");
    blocks = List.copyOf(blocks);
    if (blocks.isEmpty()) {
      throw new IllegalArgumentException("a search space needs at least one grid block");
    }
    if (maxTrials < 1) {
      throw new IllegalArgumentException("maxTrials must be >= 1, got " + maxTrials);
    }
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
    return new SearchSpace(template, blocks, limit);
  }
}
