package io.gradsweep.search;

import static io.gradsweep.spec.SpecFixtures.HEAD;
import static io.gradsweep.spec.SpecFixtures.assertError;
import static io.gradsweep.spec.SpecFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.ClipMode;
import io.gradsweep.spec.Distribution;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.TrialSpec;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What random and sobol draw: bounds, rounding, seeds, splitting over variants, duplicates, discrepancy. */
class SampledSearchTest {
  private static final String SPACE = """
      grid:
        cell: [lstm, gru]
        seq_len: {int_uniform: [20, 60]}
        tbptt: {log_int_uniform: [2, 16]}
        lr: {log_uniform: [1e-4, 1e-1]}
        hidden: [16, 32, 64]
        layers: {int_uniform: [1, 3]}
        clip: [none, {mode: global_norm, threshold: {uniform: [0.5, 5]}}]
        seeds: [1, 2]
      """;

  private static SweepSpec sampled(String strategy, int n, String seed, String grid) {
    return parse(HEAD + "search: {strategy: " + strategy + ", num_samples: " + n
        + (seed == null ? "" : ", seed: " + seed) + "}\n" + grid);
  }

  @ParameterizedTest
  @ValueSource(strings = {"random", "sobol"})
  void valuesLieInTheirRangesAndRealsHaveFourSignificantDigits(String strategy) {
    List<TrialSpec> trials = sampled(strategy, 200, "3", SPACE).trials();
    assertEquals(400, trials.size(), "200 configurations x 2 seeds");
    for (TrialSpec t : trials) {
      assertTrue(Set.of("lstm", "gru").contains(t.cell()), t.toString());
      assertTrue(t.seqLen() >= 20 && t.seqLen() <= 60, t.toString());
      assertTrue(t.tbptt() >= 2 && t.tbptt() <= 16, t.toString());
      assertTrue(t.lr() >= 1e-4 && t.lr() <= 1e-1, t.toString());
      assertTrue(Set.of(16, 32, 64).contains(t.hidden()), t.toString());
      assertTrue(t.layers() >= 1 && t.layers() <= 3, t.toString());
      assertTrue(new BigDecimal(Double.toString(t.lr())).stripTrailingZeros().precision() <= 4, t.toString());
      if (t.clip().enabled()) {
        assertEquals(ClipMode.GLOBAL_NORM, t.clip().mode());
        assertTrue(t.clip().threshold() >= 0.5 && t.clip().threshold() <= 5, t.toString());
        assertTrue(new BigDecimal(Double.toString(t.clip().threshold())).stripTrailingZeros().precision() <= 4);
      }
    }
    // every integer range and every choice is reached, both ends of the ranges included
    assertEquals(Set.of(1, 2, 3), trials.stream().map(TrialSpec::layers).collect(Collectors.toSet()));
    assertEquals(Set.of(16, 32, 64), trials.stream().map(TrialSpec::hidden).collect(Collectors.toSet()));
    assertEquals(Set.of(true, false), trials.stream().map(t -> t.clip().enabled()).collect(Collectors.toSet()));
    assertEquals(20, trials.stream().mapToInt(TrialSpec::seqLen).min().orElseThrow());
    assertEquals(60, trials.stream().mapToInt(TrialSpec::seqLen).max().orElseThrow());
    // the seeds of one configuration are adjacent and the same configuration
    for (int i = 0; i < trials.size(); i += 2) {
      assertEquals(1L, trials.get(i).seed());
      assertEquals(2L, trials.get(i + 1).seed());
      assertEquals(trials.get(i).displayName().replace(" s1", ""), trials.get(i + 1).displayName().replace(" s2", ""));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"random", "sobol"})
  void theSeedDecidesTheSample(String strategy) {
    List<String> a = ids(sampled(strategy, 32, "7", SPACE));
    assertEquals(a, ids(sampled(strategy, 32, "7", SPACE)), "same seed, same trials in the same order");
    assertNotEquals(a, ids(sampled(strategy, 32, "8", SPACE)));
    assertTrue(intersection(a, ids(sampled(strategy, 32, "8", SPACE))) < a.size() / 4, "another seed, another sample");
    assertEquals(ids(sampled(strategy, 32, "0", SPACE)), ids(sampled(strategy, 32, null, SPACE)), "default seed 0");
    // a longer sample starts with the shorter one (the stream does not depend on num_samples)
    assertEquals(a, ids(sampled(strategy, 48, "7", SPACE)).subList(0, a.size()));
  }

  @Test
  void randomAndSobolDrawDifferentSamples() {
    assertTrue(intersection(ids(sampled("random", 32, "7", SPACE)), ids(sampled("sobol", 32, "7", SPACE))) < 8);
  }

  @ParameterizedTest
  @ValueSource(strings = {"random", "sobol"})
  void samplesAreSplitEvenlyOverTheVariantsInFileOrder(String strategy) {
    String grid = "grid: {seq_len: [10], lr: {log_uniform: [0.001, 0.1]}}\n"
        + "variants: [{cell: lstm}, {cell: gru, seeds: [1, 2]}, {cell: rnn, activation: [tanh, relu]}]\n";
    List<TrialSpec> trials = sampled(strategy, 10, null, grid).trials();
    assertEquals(List.of("lstm", "lstm", "lstm", "lstm", "gru", "gru", "gru", "gru", "gru", "gru", "rnn", "rnn",
        "rnn"), trials.stream().map(TrialSpec::cell).toList(), "4 + 3 + 3 samples, the gru ones twice (2 seeds)");
    assertError(HEAD + "search: {strategy: " + strategy + ", num_samples: 2}\n" + grid, "search.num_samples",
        "num_samples 2 is fewer than the 3 variants", "num_samples >= 3");
  }

  @ParameterizedTest
  @ValueSource(strings = {"random", "sobol"})
  void aVariantsDataParallelReachesTheTrialsDrawnFromIt(String strategy) {
    String yaml = "name: t\nexperiment: e\ntask: {name: adding}\ntraining: {max_steps: 10, batch_size: 16}\n"
        + "search: {strategy: " + strategy + ", num_samples: 6, seed: 5}\n"
        + "grid: {cell: lstm, seq_len: [10], lr: {log_uniform: [0.001, 0.1]}, seeds: [1, 2]}\n"
        + "variants: [{}, {data_parallel: {workers: 2, averaging_frequency: 3, batch_per_worker: 8}}]\n";
    List<TrialSpec> trials = parse(yaml).trials();
    assertEquals(12, trials.size(), "3 + 3 samples, each with 2 seeds");
    for (int i = 0; i < trials.size(); i++) {
      TrialSpec t = trials.get(i);
      if (i < 6) {
        assertEquals(null, t.dataParallel(), t.toString());
      } else {
        assertEquals(new io.gradsweep.spec.DataParallel(2, 3, 8), t.dataParallel(), t.toString());
        assertTrue(t.displayName().endsWith(" dp=2x8/3"), t.displayName());
      }
    }
    // the one-task block draws exactly what the same space without the data-parallel variant draws
    List<TrialSpec> alone = parse(yaml.replace("num_samples: 6", "num_samples: 3")
        .replace(", {data_parallel: {workers: 2, averaging_frequency: 3, batch_per_worker: 8}}", "")).trials();
    assertEquals(alone, trials.subList(0, 6));
  }

  @ParameterizedTest
  @ValueSource(strings = {"random", "sobol"})
  void duplicatesAreSkippedAndTooSmallASpaceFails(String strategy) {
    String grid = "grid: {cell: [lstm], seq_len: [10], hidden: [8, 16, 32], layers: {int_uniform: [1, 2]}}\n";
    List<TrialSpec> all = sampled(strategy, 6, "1", grid).trials();
    assertEquals(6, all.stream().map(TrialSpec::id).distinct().count(), "all 6 configurations, each once");
    assertError(HEAD + "search: {strategy: " + strategy + ", num_samples: 7}\n" + grid, "grid",
        "grid has 6 distinct configurations (seeds aside: hidden 3 x layers 2)", "fewer than the 7 it must draw",
        "search.strategy grid");
  }

  @ParameterizedTest
  @ValueSource(strings = {"random", "sobol"})
  void limitsAndRequiredKeys(String strategy) {
    assertError(HEAD + "search: {strategy: " + strategy + ", num_samples: 50, max_trials: 60}\n"
        + "grid: {cell: lstm, seq_len: 10, lr: {uniform: [0.001, 0.01]}, seeds: [1, 2]}\n", "search.max_trials",
        "search.num_samples 50 configurations (each run once per seed) make 100 trials, more than max_trials 60");
    assertError(HEAD + "search: {strategy: " + strategy + "}\ngrid: {cell: lstm, seq_len: 10}\n",
        "search.num_samples", "required key is missing for search.strategy " + strategy, "num_samples: 64");
  }

  @Test
  void sweepParamsNameStrategySamplesAndSeed() {
    Map<String, String> p = sampled("sobol", 16, null, SPACE).sweepParams();
    assertEquals("sobol", p.get("search.strategy"));
    assertEquals("16", p.get("search.num_samples"));
    assertEquals("0", p.get("search.seed"));
    assertEquals("{log_uniform: [0.0001, 0.1]}", p.get("grid.lr"));
    assertEquals("[none, global_norm:{uniform: [0.5, 5]}]", p.get("grid.clip"));
    assertEquals("32", p.get("trials"));
    assertTrue(!parse(HEAD + "grid: {cell: lstm, seq_len: 10}\n").sweepParams().containsKey("search.seed"));
  }

  @Test
  void quantilesFollowTheirDistributions() {
    // int_uniform: equal shares; log_int_uniform [1, 3]: P(1) = ln 2 / ln 4 = 1/2, P(2) = ln 1.5 / ln 4, P(3) = rest
    Map<Object, Integer> ints = new HashMap<>();
    Map<Object, Integer> logInts = new HashMap<>();
    int n = 100_000;
    for (int i = 0; i < n; i++) {
      double u = (i + 0.5) / n;
      ints.merge(SampledSearch.quantile(new Distribution.IntUniform(1, 4), u), 1, Integer::sum);
      logInts.merge(SampledSearch.quantile(new Distribution.LogIntUniform(1, 3), u), 1, Integer::sum);
    }
    assertEquals(Map.of(1, n / 4, 2, n / 4, 3, n / 4, 4, n / 4), ints);
    assertEquals(0.5, logInts.get(1) / (double) n, 1e-4);
    assertEquals(Math.log(1.5) / Math.log(4), logInts.get(2) / (double) n, 1e-4);
    // log_uniform: the median is the geometric mean; the ends map to the bounds
    assertEquals(0.001, (Double) SampledSearch.quantile(new Distribution.LogUniform(1e-4, 1e-2), 0.5), 1e-12);
    assertEquals(1e-4, (Double) SampledSearch.quantile(new Distribution.LogUniform(1e-4, 1e-2), 0.0), 0);
    assertEquals(2.5, (Double) SampledSearch.quantile(new Distribution.Uniform(0, 10), 0.25), 0);
    // rounding never leaves the range: 0.12345 is the high bound, 4 digits would round it up to 0.1235
    assertEquals(0.1234, SampledSearch.round(0.12345, 0.1, 0.12345), 0);
    assertEquals(0.1235, SampledSearch.round(0.12344, 0.12344, 0.2), 0);
  }

  /**
   * The point of Sobol: at n = 256 in three dimensions its points cover the cube more evenly than random ones.
   * Measured by the L2-star discrepancy (Warnock's formula) of the unit-cube points recovered from the trials, for
   * five seeds each: every Sobol sample beats every random one.
   */
  @Test
  void sobolHasLowerDiscrepancyThanRandomAtN256() {
    String grid = "grid: {cell: lstm, seq_len: {int_uniform: [2, 100000]},"
        + " clip: {mode: value, threshold: {uniform: [1, 10]}}, lr: {uniform: [1, 10]}}\n";
    List<Double> random = new ArrayList<>();
    List<Double> sobol = new ArrayList<>();
    for (int seed = 1; seed <= 5; seed++) {
      random.add(l2Star(unitPoints(sampled("random", 256, Integer.toString(seed), grid))));
      sobol.add(l2Star(unitPoints(sampled("sobol", 256, Integer.toString(seed), grid))));
    }
    double worstSobol = sobol.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    double bestRandom = random.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    assertTrue(worstSobol < bestRandom, "L2-star discrepancy, sobol " + sobol + " vs random " + random);
    // and random is about what theory says for independent points: E[D^2] = (2^-3 - 3^-3) / n
    double expected = Math.sqrt((Math.pow(2, -3) - Math.pow(3, -3)) / 256);
    double meanRandom = random.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
    assertTrue(meanRandom > expected / 2 && meanRandom < expected * 2, meanRandom + " vs " + expected);
  }

  /** (seq_len, clip threshold, lr) of each trial mapped back to [0, 1]^3. */
  private static double[][] unitPoints(SweepSpec spec) {
    List<TrialSpec> trials = spec.trials();
    double[][] x = new double[trials.size()][];
    for (int i = 0; i < x.length; i++) {
      TrialSpec t = trials.get(i);
      x[i] = new double[] {(t.seqLen() - 2 + 0.5) / 99_999.0, (t.clip().threshold() - 1) / 9, (t.lr() - 1) / 9};
    }
    return x;
  }

  /**
   * L2-star discrepancy of points in [0, 1]^d (Warnock 1972): D^2 = 3^-d - 2^(1-d)/n sum_i prod_k (1 - x_ik^2)
   * + 1/n^2 sum_i sum_j prod_k (1 - max(x_ik, x_jk)).
   */
  static double l2Star(double[][] x) {
    int n = x.length;
    int d = x[0].length;
    double single = 0;
    double pairs = 0;
    for (int i = 0; i < n; i++) {
      double p = 1;
      for (int k = 0; k < d; k++) {
        p *= 1 - x[i][k] * x[i][k];
      }
      single += p;
      for (int j = 0; j < n; j++) {
        double q = 1;
        for (int k = 0; k < d; k++) {
          q *= 1 - Math.max(x[i][k], x[j][k]);
        }
        pairs += q;
      }
    }
    return Math.sqrt(Math.pow(3, -d) - Math.pow(2, 1 - d) / n * single + pairs / ((double) n * n));
  }

  private static List<String> ids(SweepSpec spec) {
    return spec.trials().stream().map(TrialSpec::id).toList();
  }

  private static long intersection(List<String> a, List<String> b) {
    Set<String> s = Set.copyOf(b);
    return a.stream().filter(s::contains).count();
  }
}
