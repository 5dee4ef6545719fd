package io.gradsweep.search;

import io.gradsweep.plugin.Registry;
import io.gradsweep.plugin.UnknownPluginException;
import io.gradsweep.spec.SpecException;
import java.util.List;

/**
 * The registered search strategies, by the name users write as {@code search.strategy}, in the order of
 * {@code META-INF/services/io.gradsweep.search.SearchStrategy}. Thread-safe.
 */
public final class SearchStrategies {
  private static final Registry<SearchStrategy> REGISTRY =
      Registry.load(SearchStrategy.class, "search strategy", "strategies");

  private SearchStrategies() {}

  /** The registry itself. */
  public static Registry<SearchStrategy> registry() {
    return REGISTRY;
  }

  /** The names of all known strategies, in a fixed order. */
  public static List<String> names() {
    return REGISTRY.names();
  }

  /** All strategies, in registry order. */
  public static List<SearchStrategy> all() {
    return REGISTRY.all();
  }

  /**
   * The strategy with this name.
   *
   * @throws SpecException (path {@code search.strategy}) if no strategy has this name; the message lists the
   *     known names and suggests the closest
   */
  public static SearchStrategy byName(String name) {
    try {
      return REGISTRY.byName(name);
    } catch (UnknownPluginException e) {
      throw new SpecException("search.strategy", e.getMessage());
    }
  }
}
