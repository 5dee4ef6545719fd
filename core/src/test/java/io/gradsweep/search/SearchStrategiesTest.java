package io.gradsweep.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.ParsedSweep;
import io.gradsweep.spec.SpecException;
import io.gradsweep.spec.SpecFixtures;
import io.gradsweep.spec.SweepSpecParser;
import java.util.List;
import org.junit.jupiter.api.Test;

class SearchStrategiesTest {
  @Test
  void knownNames() {
    assertTrue(SearchStrategies.names().contains("grid"), "grid is built in: " + SearchStrategies.names());
    assertInstanceOf(GridSearch.class, SearchStrategies.byName("grid"));
    assertEquals(SearchStrategies.names(), SearchStrategies.registry().names());
  }

  @Test
  void theParsersDefaultStrategyIsRegistered() {
    assertTrue(SearchStrategies.names().contains(SweepSpecParser.DEFAULT_STRATEGY));
    assertEquals(SweepSpecParser.DEFAULT_STRATEGY,
        Sweeps.parse(SpecFixtures.HEAD + "grid: {cell: [rnn], seq_len: [5]}\n", "t.yaml").strategy());
  }

  @Test
  void anUnknownStrategyFailsInTheFacadeBeforeAnyTrialWithThePathAndTheKnownNames() {
    // a parse given more words than are registered still fails in the facade, with the registry's words
    ParsedSweep parsed = SweepSpecParser.parse(SpecFixtures.HEAD + "grid: {cell: [rnn], seq_len: [5]}\n"
        + "search: {strategy: bayes}\n", "t.yaml", List.of("grid", "bayes"));
    SpecException e = assertThrows(SpecException.class, () -> Sweeps.expand(parsed));
    assertEquals("search.strategy", e.path());
    assertTrue(e.getMessage().contains("known strategies: " + String.join(", ", SearchStrategies.names())),
        e.getMessage());
  }

  @Test
  void unknownNameListsTheKnownOnesAndSuggests() {
    SpecException e = assertThrows(SpecException.class, () -> SearchStrategies.byName("Grid"));
    assertEquals("search.strategy", e.path());
    assertEquals("search.strategy: unknown search strategy \"Grid\"; known strategies: grid, random, sobol; did you "
        + "mean \"grid\"?", e.getMessage());
    SpecException far = assertThrows(SpecException.class, () -> SearchStrategies.byName("bayesian"));
    assertTrue(far.getMessage().endsWith("known strategies: grid, random, sobol"), far.getMessage());
  }
}
