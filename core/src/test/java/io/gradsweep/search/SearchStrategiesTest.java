package io.gradsweep.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.SpecException;
import java.util.List;
import org.junit.jupiter.api.Test;

class SearchStrategiesTest {
  @Test
  void knownNames() {
    assertEquals(List.of("grid"), SearchStrategies.names());
    assertInstanceOf(GridSearch.class, SearchStrategies.byName("grid"));
  }

  @Test
  void unknownNameListsTheKnownOnesAndSuggests() {
    SpecException e = assertThrows(SpecException.class, () -> SearchStrategies.byName("Grid"));
    assertEquals("search.strategy", e.path());
    assertEquals("search.strategy: unknown search strategy \"Grid\"; known strategies: grid; did you mean \"grid\"?",
        e.getMessage());
    SpecException far = assertThrows(SpecException.class, () -> SearchStrategies.byName("bayesian"));
    assertTrue(far.getMessage().endsWith("known strategies: grid"), far.getMessage());
  }
}
