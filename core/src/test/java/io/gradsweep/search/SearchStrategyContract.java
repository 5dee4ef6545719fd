package io.gradsweep.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gradsweep.spec.Axis;
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
import org.junit.jupiter.api.Test;

/**
 * What every {@link SearchStrategy} must do (see its javadoc). A strategy's test extends this class and supplies
 * the strategy; the tests here check properties over a set of search spaces, not particular trials.
 */
public abstract class SearchStrategyContract {
  /** The strategy under test. */
  protected abstract SearchStrategy strategy();

  /** Grid sections of the spaces the properties are checked on; subclasses may add their own. */
  protected List<String> grids() {
    return List.of(
        "grid: {cell: [rnn], seq_len: [10]}",
        "grid: {cell: [rnn, lstm], seq_len: [10, 20], seeds: [1, 2, 3]}",
        "grid: {cell: [rnn], activation: [tanh, relu, identity], seq_len: [12, 30], tbptt: [none, 4, 12],"
            + " clip: [none, {mode: value, threshold: 0.5}], lr: [0.1, 0.01]}",
        "grid: {seq_len: [8, 16], optimizer: [sgd, adam], hidden: [4, 8]}\n"
            + "variants: [{cell: rnn, activation: [tanh, sigmoid]}, {cell: lstm, layers: [1, 2]},"
            + " {cell: rnn, activation: relu, seq_len: [40]}]");
  }

  /** The search spaces built from {@link #grids()} by the parser. */
  protected final List<SearchSpace> spaces() {
    return grids().stream().map(g -> SweepSpecParser.parse(spec(g), "contract.yaml").space()).toList();
  }

  private String spec(String grid) {
    return "name: contract\nexperiment: contract\ntask: {name: adding}\ntraining: {max_steps: 20}\n"
        + "search: {strategy: " + strategy().name() + "}\n" + grid + "\n";
  }

  @Test
  void nameIsALowerCaseWordKnownToTheRegistry() {
    String name = strategy().name();
    assertTrue(name.matches("[a-z][a-z0-9_]*"), name);
    assertSame(strategy().getClass(), SearchStrategies.byName(name).getClass());
  }

  @Test
  void deterministic() {
    for (SearchSpace space : spaces()) {
      assertEquals(strategy().expand(space), strategy().expand(space));
    }
    assertEquals(spaces().stream().map(s -> strategy().expand(s)).toList(),
        spaces().stream().map(s -> strategy().expand(s)).toList(), "parsing again gives the same trials");
  }

  @Test
  void noDuplicateIds() {
    for (SearchSpace space : spaces()) {
      List<TrialSpec> trials = strategy().expand(space);
      Set<String> ids = new HashSet<>();
      for (TrialSpec t : trials) {
        assertTrue(ids.add(t.id()), () -> "duplicate id " + t.id() + " (" + t.displayName() + ")");
      }
    }
  }

  @Test
  void everyTrialIsAPointOfOneBlock() {
    for (SearchSpace space : spaces()) {
      List<TrialSpec> trials = strategy().expand(space);
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

  @Test
  void respectsMaxTrials() {
    for (SearchSpace space : spaces()) {
      int all = strategy().expand(space).size();
      assertTrue(all <= space.maxTrials());
      for (int limit : new int[] {1, Math.max(1, all / 2), all}) {
        try {
          assertTrue(strategy().expand(space.withMaxTrials(limit)).size() <= limit);
        } catch (SpecException e) {
          assertEquals("search.max_trials", e.path(), e.getMessage());
          assertTrue(e.getMessage().contains(Integer.toString(limit)), e.getMessage());
        }
      }
    }
  }

  @Test
  void resultIsUnmodifiable() {
    List<TrialSpec> trials = strategy().expand(spaces().get(0));
    assertThrows(UnsupportedOperationException.class, () -> trials.add(trials.get(0)));
  }

  private static boolean isPointOf(TrialSpec t, GridBlock b) {
    Map<String, String> p = t.params();
    for (Axis a : Axis.values()) {
      if (a == Axis.ACTIVATION && t.activation() == null) {
        continue;
      }
      String key = a == Axis.SEEDS ? "seed" : a.key();
      String value = assertNotNullAndGet(p, key);
      if (b.values(a).stream().map(a::text).noneMatch(value::equals)) {
        return false;
      }
    }
    return true;
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
