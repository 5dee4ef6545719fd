package io.gradsweep.plugin;

/**
 * Something users choose by a word in a sweep spec: a recurrent cell ({@code lstm}), a task ({@code adding}), an
 * optimizer ({@code adam}), a search strategy ({@code grid}). Each kind of plugin has an interface extending this
 * one and a {@link Registry} that finds the implementations through {@link java.util.ServiceLoader}.
 *
 * <p>Contract:
 * <ul>
 *   <li>An implementation is a public class with a public no-argument constructor, listed in
 *       {@code META-INF/services/<FQCN of its plugin interface>}; that line is all it takes to register it.
 *   <li>{@link #name()} is the word users write in YAML: constant, lower case ({@code [a-z][a-z0-9_]*}), unique
 *       within its kind. It becomes part of trial parameters and therefore of trial ids: never rename a plugin.
 *   <li>Instances are shared by every caller of the registry (one per class loader) and used from many threads at
 *       once: they must be stateless, or immutable, and thread-safe. Anything with state (a network layer, an
 *       updater) is created by a plugin method, fresh for each call.
 * </ul>
 */
public interface Plugin {

  /** The YAML word for this plugin, e.g. {@code lstm}; constant, lower case, unique within its kind. */
  String name();
}
