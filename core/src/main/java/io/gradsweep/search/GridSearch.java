package io.gradsweep.search;

import io.gradsweep.spec.Axis;
import io.gradsweep.spec.GridBlock;
import io.gradsweep.spec.SearchSpace;
import io.gradsweep.spec.SpecException;
import io.gradsweep.spec.SweepSpecParser;
import io.gradsweep.spec.TrialSpec;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Runs every combination: the Cartesian product of the axis values of each block, blocks one after another.
 *
 * <p>For example, a grid
 * <pre>{@code
 * grid:
 *   cell: [rnn, lstm]
 *   seq_len: [10, 30]
 *   seeds: [1, 2]      # other axes at their defaults (one value each)
 * }</pre>
 * gives 2 x 2 x 2 = 8 trials, in this order:
 * <pre>
 *   1 rnn  T10 s1      5 lstm T10 s1
 *   2 rnn  T10 s2      6 lstm T10 s2
 *   3 rnn  T30 s1      7 lstm T30 s1
 *   4 rnn  T30 s2      8 lstm T30 s2
 * </pre>
 *
 * <p>Order, fixed so that plans and trial numbers are reproducible:
 * <ul>
 *   <li>blocks in file order: the grid alone, or, when the spec has {@code variants}, each variant in turn (the
 *       grid itself is then not expanded on its own);
 *   <li>within a block, axes in the canonical {@link Axis} order (cell, activation, seq_len, clip, tbptt,
 *       optimizer, lr, hidden, layers, init, seeds), whatever the key order in the file, the last axis varying
 *       fastest: like nested loops with seeds innermost, so the seeds of one configuration are adjacent;
 *   <li>values of an axis in the order written.
 * </ul>
 *
 * <p>The grid size (sum over blocks of the product of the axis sizes) is checked against
 * {@link SearchSpace#maxTrials()} before any trial is built. Two blocks producing the same trial (same
 * {@link TrialSpec#id()}) is an error: variants must not overlap.
 */
public final class GridSearch implements SearchStrategy {
  /** The YAML word for this strategy. */
  public static final String NAME = "grid";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<TrialSpec> expand(SearchSpace space) {
    rejectSampling(space);
    long total = space.gridSize();
    if (total > space.maxTrials()) {
      throw tooMany(space, total);
    }
    List<TrialSpec> trials = new ArrayList<>((int) total);
    Map<String, Integer> indexById = new HashMap<>();
    List<String> blockOf = new ArrayList<>((int) total);
    Axis[] axes = Axis.values();
    for (GridBlock block : space.blocks()) {
      int[] at = new int[axes.length];
      for (long n = 0; n < block.size(); n++) {
        Map<Axis, Object> point = new EnumMap<>(Axis.class);
        for (Axis a : axes) {
          point.put(a, block.values(a).get(at[a.ordinal()]));
        }
        TrialSpec trial = space.template().trial(block, point);
        Integer earlier = indexById.putIfAbsent(trial.id(), trials.size());
        if (earlier != null) {
          throw new SpecException(block.path(), "trial " + trial.id() + " (" + trial.displayName()
              + ") is produced twice: as trial #" + (earlier + 1) + " by " + blockOf.get(earlier) + " and as trial #"
              + (trials.size() + 1) + " by " + block.path() + "; variants must not overlap, remove the repeated "
              + "values from one of them");
        }
        trials.add(trial);
        blockOf.add(block.path());
        advance(at, block, axes);
      }
    }
    return List.copyOf(trials);
  }

  /** num_samples, seed and distributions belong to the strategies that sample. */
  private void rejectSampling(SearchSpace space) {
    String sampled = SearchStrategies.all().stream().filter(SearchStrategy::samples).map(SearchStrategy::name)
        .collect(Collectors.joining(" or "));
    for (GridBlock block : space.blocks()) {
      for (Axis a : block.sampledAxes()) {
        boolean clip = a == Axis.CLIP;
        throw new SpecException(block.origin(a).orElse(block.path() + "." + a.key()), (clip
            ? "a sampled clip threshold (" : "a distribution (") + GridBlock.text(a, block.values(a))
            + ") needs a sampled search, but search.strategy is " + NAME + ", which runs every combination of "
            + "listed values; set search.strategy: " + sampled + " with search.num_samples, or write "
            + (clip ? "a number, e.g. {mode: global_norm, threshold: 1.0}" : "a list of values, e.g. " + a.key()
            + ": " + a.example()) + block.where(a));
      }
    }
    if (space.numSamples().isPresent()) {
      throw new SpecException("search.num_samples", "num_samples " + space.numSamples().getAsInt()
          + " applies only to a sampled search (search.strategy " + sampled + "); " + NAME + " runs every "
          + "combination: remove num_samples, or set search.strategy");
    }
    if (space.seed().isPresent()) {
      throw new SpecException("search.seed", "seed " + space.seed().getAsLong() + " applies only to a sampled "
          + "search (search.strategy " + sampled + "); " + NAME + " draws nothing: remove seed, or set "
          + "search.strategy");
    }
  }

  /** Odometer step: the last axis varies fastest. */
  private static void advance(int[] at, GridBlock block, Axis[] axes) {
    for (int k = axes.length - 1; k >= 0; k--) {
      if (++at[k] < block.values(axes[k]).size()) {
        return;
      }
      at[k] = 0;
    }
  }

  private static SpecException tooMany(SearchSpace space, long total) {
    String what = space.blocks().size() == 1 ? "the grid expands" : "the variants expand";
    String formulas = space.blocks().stream().map(b -> b.path() + ": " + b.sizeFormula())
        .collect(Collectors.joining("; "));
    return new SpecException("search.max_trials", what + " to "
        + (total == Long.MAX_VALUE ? "more than " + Long.MAX_VALUE : String.valueOf(total))
        + " trials, more than max_trials " + space.maxTrials() + " (" + formulas
        + "); remove values or raise search.max_trials (at most " + SweepSpecParser.MAX_TRIALS_LIMIT + ")");
  }
}
