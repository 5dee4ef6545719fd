package io.gradsweep.plugin;

import io.gradsweep.util.Words;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.regex.Pattern;

/**
 * The plugins of one kind, by name, in a fixed order: the order of the lines in the
 * {@code META-INF/services} files, files in class-path order.
 *
 * <p>Built once, eagerly, and immutable afterwards; thread-safe. Building fails with an
 * {@link IllegalStateException} when no plugin is registered (a service file lost, e.g. by a jar merge that keeps
 * one {@code META-INF/services} file per name), when a name is not a lower-case word, or when two plugins share a
 * name; with a {@link ServiceConfigurationError} when a listed class cannot be loaded or instantiated.
 *
 * @param <T> the plugin interface
 */
public final class Registry<T extends Plugin> {
  /** What a plugin name must look like: the words users write in YAML. */
  public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]*");

  private final String noun;
  private final String plural;
  private final List<T> all;
  private final Map<String, T> byName;

  private Registry(String noun, String plural, List<? extends T> plugins) {
    this.noun = noun;
    this.plural = plural;
    Map<String, T> m = new LinkedHashMap<>();
    for (T p : plugins) {
      String name = p.name();
      if (name == null || !NAME.matcher(name).matches()) {
        throw new IllegalStateException(noun + " " + p.getClass().getName() + " has name "
            + (name == null ? "null" : Words.quote(name)) + "; a plugin name must be a lower-case word ("
            + NAME.pattern() + ")");
      }
      T earlier = m.putIfAbsent(name, p);
      if (earlier != null) {
        throw new IllegalStateException("two " + plural + " are named " + Words.quote(name) + ": "
            + earlier.getClass().getName() + " and " + p.getClass().getName() + "; names must be unique");
      }
    }
    if (m.isEmpty()) {
      throw new IllegalStateException("no " + plural + " registered");
    }
    this.all = List.copyOf(m.values());
    this.byName = Collections.unmodifiableMap(m);
  }

  /**
   * The implementations of {@code type} listed in {@code META-INF/services/<type's FQCN>}, loaded with
   * {@code type}'s own class loader (so that it works where the thread's context loader does not see them, as in
   * Spark executors).
   *
   * @param noun the kind in messages, singular: {@code unknown <noun> "x"}, e.g. {@code cell}
   * @param plural the kind in messages, plural: {@code known <plural>: a, b}, e.g. {@code cells}
   * @throws IllegalStateException if none is registered, a name is not a lower-case word, or two share a name
   * @throws ServiceConfigurationError if a listed class cannot be loaded or instantiated
   */
  public static <T extends Plugin> Registry<T> load(Class<T> type, String noun, String plural) {
    List<T> found = new ArrayList<>();
    ServiceLoader.load(type, type.getClassLoader()).forEach(found::add);
    if (found.isEmpty()) {
      throw new IllegalStateException("no " + plural + " registered: META-INF/services/" + type.getName()
          + " is missing from the class path");
    }
    return new Registry<>(noun, plural, found);
  }

  /** A registry of the given plugins, in this order (for tests and for embedding); same checks as {@link #load}. */
  public static <T extends Plugin> Registry<T> of(String noun, String plural, List<? extends T> plugins) {
    return new Registry<>(noun, plural, plugins);
  }

  /** The names of all plugins, in registry order. Unmodifiable. */
  public List<String> names() {
    return List.copyOf(byName.keySet());
  }

  /** All plugins, in registry order. Unmodifiable. */
  public List<T> all() {
    return all;
  }

  /** Whether a plugin has this name (case-sensitive). */
  public boolean contains(String name) {
    return name != null && byName.containsKey(name);
  }

  /** The plugin with this name, if any. */
  public Optional<T> find(String name) {
    return name == null ? Optional.empty() : Optional.ofNullable(byName.get(name));
  }

  /**
   * The plugin with this name (case-sensitive).
   *
   * @throws UnknownPluginException if none has it; the message lists the known names and suggests the closest,
   *     e.g. {@code unknown cell "lstn"; known cells: rnn, lstm, gru; did you mean "lstm"?}
   */
  public T byName(String name) {
    T p = name == null ? null : byName.get(name);
    if (p == null) {
      List<String> names = names();
      throw new UnknownPluginException("unknown " + noun + " " + (name == null ? "null" : Words.quote(name))
          + "; known " + plural + ": " + String.join(", ", names) + Words.suggestion(name, names), name, names);
    }
    return p;
  }

  @Override
  public String toString() {
    return plural + " " + names();
  }
}
