package io.gradsweep.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gradsweep.spec.Axis;
import io.gradsweep.spec.ClipRange;
import io.gradsweep.spec.Distribution;
import io.gradsweep.spec.GridBlock;
import io.gradsweep.spec.SearchSpace;
import io.gradsweep.spec.SpecException;
import io.gradsweep.spec.SweepSpecParser;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.spec.TrialTemplate;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every {@link SearchStrategy} must do (see its javadoc), run for every strategy the registry finds, so a
 * newly registered strategy is checked without a line of test code. The tests check properties over a set of
 * search spaces, not particular trials; strategy-specific tests (counts, order) live in the strategy's own test.
 */
class SearchStrategyContractTest {
  /** Every registered strategy, shown by its name. */
  static Stream<Named<SearchStrategy>> strategies() {
    return SearchStrategies.all().stream().map(s -> Named.of(s.name(), s));
  }

  /**
   * Grid sections of the spaces the properties are checked on; strategies that {@link SearchStrategy#samples()}
   * draw {@link #SAMPLES} configurations from each (fewer where the grid has fewer) and are checked on
   * {@link #sampledGrids()} too.
   */
  static List<String> grids(SearchStrategy strategy) {
    List<String> all = new java.util.ArrayList<>(listGrids());
    if (strategy.samples()) {
      all.addAll(sampledGrids());
    }
    return all;
  }

  /** Configurations a sampled strategy draws from each grid, by grid text (seeds aside, at most as many as exist). */
  private static final Map<String, Integer> SAMPLES = Map.of(
      "grid: {cell: [rnn], seq_len: [10]}", 1,
      "grid: {cell: [rnn, lstm], seq_len: [10, 20], seeds: [1, 2, 3]}", 3);

  /** Spaces with distributions, for the strategies that sample. */
  static List<String> sampledGrids() {
    return List.of(
        "grid: {cell: [rnn, lstm], seq_len: {int_uniform: [12, 40]}, tbptt: {log_int_uniform: [2, 12]},"
            + " lr: {log_uniform: [0.0001, 0.1]}, hidden: {int_uniform: [4, 64]},"
            + " clip: [none, {mode: global_norm, threshold: {uniform: [0.5, 5]}}], seeds: [1, 2]}",
        "grid: {seq_len: [8, 16], lr: {uniform: [0.001, 0.01]}, layers: {int_uniform: [1, 3]}}\n"
            + "variants: [{cell: gru, hidden: {log_int_uniform: [8, 256]}}, {cell: rnn, activation: [tanh, relu]},"
            + " {cell: lstm, clip: {mode: value, threshold: {log_uniform: [0.01, 1]}}}]");
  }

  private static List<String> listGrids() {
    return List.of(
        "grid: {cell: [rnn], seq_len: [10]}",
        "grid: {cell: [rnn, lstm], seq_len: [10, 20], seeds: [1, 2, 3]}",
        "grid: {cell: [rnn], activation: [tanh, relu, identity], seq_len: [12, 30], tbptt: [none, 4, 12],"
            + " clip: [none, {mode: value, threshold: 0.5}], lr: [0.1, 0.01]}",
        "grid: {seq_len: [8, 16], optimizer: [sgd, adam], hidden: [4, 8]}\n"
            + "variants: [{cell: rnn, activation: [tanh, sigmoid]}, {cell: lstm, layers: [1, 2]},"
            + " {cell: rnn, activation: relu, seq_len: [40]}]");
  }

  /**
   * The search spaces built from {@link #grids(SearchStrategy)} by the parser (without expanding them: the parse must not depend
   * on the strategy under test working).
   */
  static List<SearchSpace> spaces(SearchStrategy strategy) {
    return grids(strategy).stream().map(g -> SweepSpecParser.parse(spec(strategy, g), "contract.yaml",
        SearchStrategies.names()).space()).toList();
  }

  private static String spec(SearchStrategy strategy, String grid) {
    String samples = strategy.samples() ? ", num_samples: " + SAMPLES.getOrDefault(grid, 9) : "";
    return "name: contract\nexperiment: contract\ntask: {name: adding}\ntraining: {max_steps: 20}\n"
        + "search: {strategy: " + strategy.name() + samples + "}\n" + grid + "\n";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategies")
  void nameIsALowerCaseWordKnownToTheRegistry(SearchStrategy strategy) {
    String name = strategy.name();
    assertTrue(name.matches("[a-z][a-z0-9_]*"), name);
    assertSame(strategy.getClass(), SearchStrategies.byName(name).getClass());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategies")
  void deterministic(SearchStrategy strategy) {
    for (SearchSpace space : spaces(strategy)) {
      assertEquals(strategy.expand(space), strategy.expand(space));
    }
    assertEquals(spaces(strategy).stream().map(strategy::expand).toList(),
        spaces(strategy).stream().map(strategy::expand).toList(), "parsing again gives the same trials");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategies")
  void stableIds(SearchStrategy strategy) {
    // the same spec parsed and expanded through the facade gives the same ids as the strategy itself
    for (String g : grids(strategy)) {
      List<String> viaFacade = Sweeps.parse(spec(strategy, g), "contract.yaml").trials().stream()
          .map(TrialSpec::id).toList();
      List<String> direct = strategy.expand(SweepSpecParser.parse(spec(strategy, g), "other.yaml",
          SearchStrategies.names()).space()).stream().map(TrialSpec::id).toList();
      assertEquals(direct, viaFacade, g);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategies")
  void noDuplicateIds(SearchStrategy strategy) {
    for (SearchSpace space : spaces(strategy)) {
      List<TrialSpec> trials = strategy.expand(space);
      Set<String> ids = new HashSet<>();
      for (TrialSpec t : trials) {
        assertTrue(ids.add(t.id()), () -> "duplicate id " + t.id() + " (" + t.displayName() + ")");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategies")
  void everyTrialIsAPointOfOneBlock(SearchStrategy strategy) {
    for (SearchSpace space : spaces(strategy)) {
      List<TrialSpec> trials = strategy.expand(space);
      assertFalse(trials.isEmpty());
      for (TrialSpec t : trials) {
        assertTrue(space.blocks().stream().anyMatch(b -> isPointOf(t, b)), () -> "not a point of any block: " + t);
        assertSharesTemplate(space.template(), t);
        assertTrue(t.tbptt() <= t.seqLen(), () -> "tbptt longer than seq_len: " + t);
        assertEquals(Axis.ACTIVATION_CELLS.contains(t.cell()), t.activation() != null,
            () -> "activation is set exactly for rnn cells: " + t);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategies")
  void respectsMaxTrials(SearchStrategy strategy) {
    for (SearchSpace space : spaces(strategy)) {
      int all = strategy.expand(space).size();
      assertTrue(all <= space.maxTrials());
      for (int limit : new int[] {1, Math.max(1, all / 2), all}) {
        try {
          assertTrue(strategy.expand(space.withMaxTrials(limit)).size() <= limit);
        } catch (SpecException e) {
          assertEquals("search.max_trials", e.path(), e.getMessage());
          assertTrue(e.getMessage().contains(Integer.toString(limit)), e.getMessage());
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategies")
  void resultIsUnmodifiable(SearchStrategy strategy) {
    List<TrialSpec> trials = strategy.expand(spaces(strategy).get(0));
    assertThrows(UnsupportedOperationException.class, () -> trials.add(trials.get(0)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("strategies")
  void samplingKeysAreRequiredOrRejected(SearchStrategy strategy) {
    String grid = "grid: {cell: [rnn, lstm], seq_len: [10, 20]}\n";
    String head = "name: contract\nexperiment: contract\ntask: {name: adding}\ntraining: {max_steps: 20}\n";
    if (strategy.samples()) {
      SpecException e = assertThrows(SpecException.class,
          () -> Sweeps.parse(head + "search: {strategy: " + strategy.name() + "}\n" + grid, "c.yaml"));
      assertEquals("search.num_samples", e.path(), e.getMessage());
    } else {
      for (String key : List.of("num_samples: 4", "seed: 3")) {
        SpecException e = assertThrows(SpecException.class, () -> Sweeps.parse(head + "search: {strategy: "
            + strategy.name() + ", " + key + "}\n" + grid, "c.yaml"));
        assertEquals("search." + key.substring(0, key.indexOf(':')), e.path(), e.getMessage());
      }
      SpecException e = assertThrows(SpecException.class, () -> Sweeps.parse(head + "search: {strategy: "
          + strategy.name() + "}\ngrid: {cell: [rnn], seq_len: [10], lr: {log_uniform: [0.001, 0.1]}}\n", "c.yaml"));
      assertEquals("grid.lr", e.path(), e.getMessage());
    }
  }

  /** Whether every axis value of t is one of the block's values, or lies in the block's distribution. */
  private static boolean isPointOf(TrialSpec t, GridBlock b) {
    Map<String, String> p = t.params();
    for (Axis a : Axis.values()) {
      if (a == Axis.ACTIVATION && t.activation() == null) {
        continue;
      }
      String key = a == Axis.SEEDS ? "seed" : a.key();
      String value = assertNotNullAndGet(p, key);
      if (b.values(a).stream().noneMatch(v -> matches(a, v, value))) {
        return false;
      }
    }
    return true;
  }

  private static boolean matches(Axis a, Object blockValue, String value) {
    if (blockValue instanceof Distribution d) {
      return inRange(d, value.equals("none") ? 0 : Double.parseDouble(value));
    }
    if (blockValue instanceof ClipRange r) {
      String prefix = r.mode().word() + ":";
      return value.startsWith(prefix) && inRange(r.threshold(), Double.parseDouble(value.substring(prefix.length())));
    }
    return a.text(blockValue).equals(value);
  }

  private static boolean inRange(Distribution d, double x) {
    return x >= d.lowBound() && x <= d.highBound() && (!d.integer() || x == Math.rint(x));
  }

  private static String assertNotNullAndGet(Map<String, String> params, String key) {
    String v = params.get(key);
    assertNotNull(v, () -> "TrialSpec.params() has no " + key);
    return v;
  }

  private static void assertSharesTemplate(TrialTemplate tt, TrialSpec t) {
    if (!(tt.experiment().equals(t.experiment()) && tt.sweepName().equals(t.sweepName())
        && tt.task().equals(t.task()) && tt.evalSize() == t.evalSize() && tt.evalSeed() == t.evalSeed()
        && tt.batchSize() == t.batchSize() && tt.maxSteps() == t.maxSteps() && tt.evalEvery() == t.evalEvery()
        && tt.solveThreshold() == t.solveThreshold())) {
      fail("trial does not carry the template's settings: " + t + " vs " + tt);
    }
  }
}
