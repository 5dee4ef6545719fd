package io.gradsweep.search;

import io.gradsweep.spec.SpecException;
import io.gradsweep.spec.SpecMessages;
import java.util.List;

/** The known search strategies, by the name users write as {@code search.strategy}. */
public final class SearchStrategies {
  private static final List<SearchStrategy> KNOWN = List.of(new GridSearch());

  private SearchStrategies() {}

  /** The names of all known strategies, in a fixed order. */
  public static List<String> names() {
    return KNOWN.stream().map(SearchStrategy::name).toList();
  }

  /**
   * The strategy with this name.
   *
   * @throws SpecException (path {@code search.strategy}) if no strategy has this name; the message lists the
   *     known names and suggests the closest
   */
  public static SearchStrategy byName(String name) {
    for (SearchStrategy s : KNOWN) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    throw new SpecException("search.strategy", "unknown search strategy "
        + (name == null ? "null" : SpecMessages.quote(name)) + "; known strategies: " + String.join(", ", names())
        + SpecMessages.suggestion(name, names()));
  }
}
