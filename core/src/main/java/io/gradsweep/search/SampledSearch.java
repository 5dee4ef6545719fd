package io.gradsweep.search;

import io.gradsweep.spec.Axis;
import io.gradsweep.spec.ClipRange;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.Distribution;
import io.gradsweep.spec.GridBlock;
import io.gradsweep.spec.SearchSpace;
import io.gradsweep.spec.SpecException;
import io.gradsweep.spec.SweepSpecParser;
import io.gradsweep.spec.TrialSpec;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import umontreal.ssj.rng.MRG32k3a;

/**
 * A search that draws {@code search.num_samples} configurations from the space instead of running every
 * combination: each point of the unit cube, from {@link #points(MRG32k3a, int, int)}, is turned into one
 * configuration, one coordinate per sampled dimension. {@link RandomSearch} draws independent uniform points,
 * {@link SobolSearch} a scrambled Sobol sequence.
 *
 * <p>How a configuration is drawn, per block (the grid, or each variant):
 * <ul>
 *   <li>dimensions, in the canonical {@link Axis} order: an axis with a {@link Distribution} takes one coordinate;
 *       an axis with a list of two or more values takes one coordinate for the choice (each value equally
 *       likely); a clip list with a {@link ClipRange} ({@code threshold: {uniform: ...}}) takes one more for the
 *       threshold; an axis with one value takes none. {@code seeds} is never sampled: every configuration runs
 *       once per listed seed (adjacent trials), so the block has samples x seeds trials;
 *   <li>a coordinate u in [0, 1) becomes a value by the inverse distribution function: {@code uniform}
 *       low + u (high - low); {@code log_uniform} exp(ln low + u (ln high - ln low)); {@code int_uniform}
 *       low + floor(u (high - low + 1)); {@code log_int_uniform} floor(exp(ln low + u (ln(high + 1) - ln low)));
 *       real values are rounded to {@value #SIGNIFICANT_DIGITS} significant digits (towards the range when
 *       rounding would leave it), so trial ids and the plan stay readable and canonical;
 *   <li>samples per block: {@code num_samples} is the number of configurations of the whole sweep, split evenly
 *       over the blocks in file order (the first {@code num_samples mod blocks} get one more); fewer samples than
 *       blocks is an error;
 *   <li>duplicates: a drawn configuration equal to one drawn before (same trial id; likely when the axes are
 *       lists or narrow integer ranges) is skipped and the next point of the same stream is drawn, so the sample is
 *       still a deterministic function of the seed. A block with fewer distinct configurations than it must
 *       draw is an error before drawing; so is running out of draws ({@value #DRAWS_PER_SAMPLE} per sample);
 *   <li>randomness: block b's stream is an MRG32k3a generator (SSJ) seeded from {@code search.seed} and b, so
 *       the same seed gives the same trials in any JVM and a different seed a different sample.
 * </ul>
 *
 * <p>A sampled search rejects none of the grid's values: lists work as choices, so a grid spec becomes a random
 * search by adding {@code strategy: random} and {@code num_samples}.
 */
public abstract class SampledSearch implements SearchStrategy {
  /** Significant digits sampled real values (lr, clip threshold) are rounded to. */
  public static final int SIGNIFICANT_DIGITS = 4;

  /** Points drawn per sample at most, duplicates included, before a block fails. */
  static final int DRAWS_PER_SAMPLE = 100;

  private static final MathContext ROUND = new MathContext(SIGNIFICANT_DIGITS, RoundingMode.HALF_EVEN);

  /** Points of the unit cube, one after another. */
  protected interface PointStream {
    /** Fills {@code p} (length = dimensions) with the next point, each coordinate in [0, 1). */
    void next(double[] p);
  }

  /**
   * The stream of points one block draws from.
   *
   * @param rng the block's generator, seeded from {@code search.seed} and the block's index
   * @param dims the number of coordinates, >= 1
   * @param capacity the most points that will be drawn
   */
  protected abstract PointStream points(MRG32k3a rng, int dims, int capacity);

  @Override
  public boolean samples() {
    return true;
  }

  @Override
  public List<TrialSpec> expand(SearchSpace space) {
    if (space.numSamples().isEmpty()) {
      throw new SpecException("search.num_samples", "required key is missing for search.strategy " + name()
          + ": how many configurations to draw, e.g. num_samples: 64");
    }
    int n = space.numSamples().getAsInt();
    List<GridBlock> blocks = space.blocks();
    if (n < blocks.size()) {
      throw new SpecException("search.num_samples", "num_samples " + n + " is fewer than the " + blocks.size()
          + " variants; the samples are split evenly over the variants and each needs at least one: set "
          + "num_samples >= " + blocks.size());
    }
    int[] perBlock = new int[blocks.size()];
    long total = 0;
    for (int b = 0; b < blocks.size(); b++) {
      perBlock[b] = n / blocks.size() + (b < n % blocks.size() ? 1 : 0);
      total += (long) perBlock[b] * blocks.get(b).values(Axis.SEEDS).size();
    }
    if (total > space.maxTrials()) {
      throw new SpecException("search.max_trials", "search.num_samples " + n + " configurations"
          + (total > n ? " (each run once per seed)" : "") + " make " + total + " trials, more than max_trials "
          + space.maxTrials() + "; lower num_samples or raise search.max_trials (at most "
          + SweepSpecParser.MAX_TRIALS_LIMIT + ")");
    }
    List<TrialSpec> trials = new ArrayList<>((int) total);
    Set<String> seen = new HashSet<>();
    for (int b = 0; b < blocks.size(); b++) {
      drawBlock(space, blocks.get(b), b, perBlock[b], n, seen, trials);
    }
    return List.copyOf(trials);
  }

  private void drawBlock(SearchSpace space, GridBlock block, int index, int samples, int n, Set<String> seen,
      List<TrialSpec> trials) {
    List<Dim> dims = dimensions(block);
    long distinct = distinct(block);
    if (distinct < samples) {
      throw new SpecException(block.path(), block.path() + " has " + distinct + " distinct configuration"
          + (distinct == 1 ? "" : "s") + " (seeds aside: " + formula(block) + "), fewer than the " + samples
          + " it must draw (search.num_samples " + n + (space.blocks().size() > 1 ? " split over "
          + space.blocks().size() + " variants" : "") + "); lower num_samples, give an axis more values or a "
          + "range, or use search.strategy grid to run every combination");
    }
    int limit = (int) Math.min(1 << 30, (long) samples * DRAWS_PER_SAMPLE);
    int coordinates = dims.stream().mapToInt(Dim::coordinates).sum();
    PointStream stream = coordinates == 0 ? p -> { } : points(rng(space.seedOrDefault(), index), coordinates, limit);
    double[] u = new double[coordinates];
    int drawn = 0;
    int found = 0;
    List<Object> seeds = block.values(Axis.SEEDS);
    while (found < samples) {
      if (drawn++ == limit) {
        throw new SpecException(block.path(), "drew " + limit + " points and found only " + found + " new "
            + "distinct configurations of the " + samples + " needed; the space has too few likely values: "
            + "lower search.num_samples or widen the ranges");
      }
      stream.next(u);
      Map<Axis, Object> point = new EnumMap<>(Axis.class);
      for (Axis a : Axis.values()) {
        point.put(a, block.values(a).get(0));
      }
      for (Dim d : dims) {
        point.put(d.axis(), d.value(u, block.values(d.axis())));
      }
      if (!seen.add(space.template().trial(block, point).id())) {
        continue;
      }
      found++;
      for (Object seed : seeds) {
        point.put(Axis.SEEDS, seed);
        TrialSpec t = space.template().trial(block, point);
        seen.add(t.id());
        trials.add(t);
      }
    }
  }

  // ---------------------------------------------------------------- dimensions

  /**
   * One axis's coordinates: {@code choice} is the coordinate index choosing among the listed values (-1 when the
   * axis has one value), {@code range} the coordinate of a distribution or clip threshold (-1 when none).
   */
  private record Dim(Axis axis, int choice, int range) {
    int coordinates() {
      return (choice < 0 ? 0 : 1) + (range < 0 ? 0 : 1);
    }

    Object value(double[] u, List<Object> values) {
      Object v = choice < 0 ? values.get(0) : values.get(choose(values.size(), u[choice]));
      if (v instanceof Distribution d) {
        return quantile(d, u[range]);
      }
      if (v instanceof ClipRange r) {
        return new ClipSpec(r.mode(), (Double) quantile(r.threshold(), u[range]));
      }
      return v;
    }
  }

  private static List<Dim> dimensions(GridBlock block) {
    List<Dim> dims = new ArrayList<>();
    int next = 0;
    for (Axis a : Axis.values()) {
      if (a == Axis.SEEDS) {
        continue;
      }
      List<Object> values = block.values(a);
      int choice = values.size() > 1 ? next++ : -1;
      int range = block.sampled(a) ? next++ : -1;
      if (choice >= 0 || range >= 0) {
        dims.add(new Dim(a, choice, range));
      }
    }
    return dims;
  }

  /** Distinct configurations of a block, seeds aside, saturating at {@link Long#MAX_VALUE} (real ranges). */
  static long distinct(GridBlock block) {
    long n = 1;
    for (Axis a : Axis.values()) {
      if (a != Axis.SEEDS) {
        n = saturatedTimes(n, count(block.values(a)));
      }
    }
    return n;
  }

  private static long count(List<Object> values) {
    long n = 0;
    for (Object v : values) {
      long c = v instanceof Distribution d ? d.integer() ? (long) (d.highBound() - d.lowBound()) + 1 : Long.MAX_VALUE
          : v instanceof ClipRange ? Long.MAX_VALUE : 1;
      n = n + c < n ? Long.MAX_VALUE : n + c;
    }
    return n;
  }

  private static String formula(GridBlock block) {
    List<String> parts = new ArrayList<>();
    for (Axis a : Axis.values()) {
      long c = count(block.values(a));
      if (a != Axis.SEEDS && c > 1) {
        parts.add(a.key() + " " + c);
      }
    }
    return parts.isEmpty() ? "every axis has one value" : String.join(" x ", parts);
  }

  private static long saturatedTimes(long a, long b) {
    long hi = Math.multiplyHigh(a, b);
    long lo = a * b;
    return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
  }

  // ---------------------------------------------------------------- values

  /** Index of the value chosen by u in [0, 1) among k equally likely ones. */
  static int choose(int k, double u) {
    return Math.min(k - 1, (int) Math.floor(u * k));
  }

  /**
   * The value at quantile u in [0, 1) of a distribution: an {@code Integer} for integer distributions, else a
   * {@code Double} rounded to {@link #SIGNIFICANT_DIGITS} significant digits within [low, high].
   */
  static Object quantile(Distribution d, double u) {
    if (d instanceof Distribution.Uniform r) {
      return round(r.low() + u * (r.high() - r.low()), r.low(), r.high());
    }
    if (d instanceof Distribution.LogUniform r) {
      double lo = Math.log(r.low());
      return round(Math.exp(lo + u * (Math.log(r.high()) - lo)), r.low(), r.high());
    }
    if (d instanceof Distribution.IntUniform r) {
      return clamp(r.low() + (long) Math.floor(u * ((long) r.high() - r.low() + 1)), r.low(), r.high());
    }
    Distribution.LogIntUniform r = (Distribution.LogIntUniform) d;
    double lo = Math.log(r.low());
    return clamp((long) Math.floor(Math.exp(lo + u * (Math.log(r.high() + 1.0) - lo))), r.low(), r.high());
  }

  /** x to {@link #SIGNIFICANT_DIGITS} significant digits; rounded towards the range if that leaves [low, high]. */
  static double round(double x, double low, double high) {
    BigDecimal d = new BigDecimal(x);
    double v = d.round(ROUND).doubleValue();
    if (v > high) {
      v = d.round(new MathContext(SIGNIFICANT_DIGITS, RoundingMode.FLOOR)).doubleValue();
    }
    if (v < low) {
      v = d.round(new MathContext(SIGNIFICANT_DIGITS, RoundingMode.CEILING)).doubleValue();
    }
    return Math.max(low, Math.min(high, v));
  }

  private static Integer clamp(long v, int low, int high) {
    return (int) Math.max(low, Math.min(high, v));
  }

  // ---------------------------------------------------------------- randomness

  /**
   * The generator of block {@code index}: SSJ's MRG32k3a (L'Ecuyer 1999, period about 2^191), its six seed words
   * drawn from {@code java.util.Random} (whose algorithm the Java specification fixes) seeded with the search seed
   * and the block index, so the stream is the same in every JVM.
   */
  static MRG32k3a rng(long seed, int index) {
    Random words = new Random(seed * 0x9E3779B97F4A7C15L + index);
    long[] s = new long[6];
    for (int i = 0; i < 6; i++) {
      s[i] = 1 + words.nextInt(Integer.MAX_VALUE - 1); // 1..2^31-2: below both moduli, never all zero
    }
    MRG32k3a rng;
    synchronized (MRG32k3a.class) { // the constructor advances SSJ's static package seed, unsynchronized
      rng = new MRG32k3a();
    }
    rng.setSeed(s); // the stream depends on these words only, not on the package seed
    return rng;
  }
}
