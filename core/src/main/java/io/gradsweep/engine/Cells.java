package io.gradsweep.engine;

import io.gradsweep.plugin.Registry;
import io.gradsweep.plugin.UnknownPluginException;
import java.util.List;

/**
 * The registered {@link CellFactory}s, by the word users write as {@code cell}, in the order of
 * {@code META-INF/services/io.gradsweep.engine.CellFactory}. Thread-safe.
 */
public final class Cells {
  private static final Registry<CellFactory> REGISTRY = Registry.load(CellFactory.class, "cell", "cells");

  private Cells() {}

  /** The registry itself. */
  public static Registry<CellFactory> registry() {
    return REGISTRY;
  }

  /** The names of all cells, e.g. {@code [rnn, lstm, gru]}. */
  public static List<String> names() {
    return REGISTRY.names();
  }

  /** All cell factories, in registry order. */
  public static List<CellFactory> all() {
    return REGISTRY.all();
  }

  /**
   * The factory of this cell.
   *
   * @throws UnknownPluginException if no cell has this name (the message lists them and suggests the closest)
   */
  public static CellFactory byName(String name) {
    return REGISTRY.byName(name);
  }

  /** The names of the cells the {@code activation} axis applies to (see {@link CellFactory#usesActivation()}). */
  public static List<String> activationCells() {
    return REGISTRY.all().stream().filter(CellFactory::usesActivation).map(CellFactory::name).toList();
  }
}
