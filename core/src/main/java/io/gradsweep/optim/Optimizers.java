package io.gradsweep.optim;

import io.gradsweep.plugin.Registry;
import io.gradsweep.plugin.UnknownPluginException;
import java.util.List;

/**
 * The registered {@link Optimizer}s, by the word users write as {@code optimizer}, in the order of
 * {@code META-INF/services/io.gradsweep.optim.Optimizer}. Thread-safe.
 */
public final class Optimizers {
  private static final Registry<Optimizer> REGISTRY = Registry.load(Optimizer.class, "optimizer", "optimizers");

  private Optimizers() {}

  /** The registry itself. */
  public static Registry<Optimizer> registry() {
    return REGISTRY;
  }

  /** The names of all optimizers, e.g. {@code [sgd, rmsprop, adam]}. */
  public static List<String> names() {
    return REGISTRY.names();
  }

  /** All optimizers, in registry order. */
  public static List<Optimizer> all() {
    return REGISTRY.all();
  }

  /**
   * The optimizer with this name.
   *
   * @throws UnknownPluginException if none has this name (the message lists them and suggests the closest)
   */
  public static Optimizer byName(String name) {
    return REGISTRY.byName(name);
  }
}
