package io.gradsweep.optim;

import io.gradsweep.plugin.Plugin;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.IUpdater;

/**
 * An optimizer users choose as the {@code optimizer} axis ({@code sgd}, {@code rmsprop}, {@code adam}): an ND4J
 * updater configuration (the ones DL4J uses) for a learning rate. Registered in
 * {@code META-INF/services/io.gradsweep.optim.Optimizer}; found through {@link Optimizers}.
 *
 * <p>Contract (checked for every registered optimizer by {@code OptimizerContractTest}):
 * <ul>
 *   <li>{@link #name()} is the YAML word, lower case, and {@link Optimizers#byName(String)} finds it by it.
 *   <li>{@link #config(double)} returns a new configuration with that learning rate each call, the other
 *       hyper-parameters at fixed defaults (they are not swept, so they are not part of trial ids: changing one
 *       changes what an existing trial id means).
 *   <li>{@link #instantiate(double, INDArray)} gives an updater with its own state, zero at the start: one
 *       updater per parameter vector, used by one thread.
 *   <li>One update on a smooth loss with a small learning rate reduces it.
 * </ul>
 * Optimizers are stateless and thread-safe; the registry hands out shared instances.
 */
public interface Optimizer extends Plugin {

  /**
   * The updater configuration for learning rate {@code lr}.
   *
   * @throws IllegalArgumentException if {@code lr} is not a finite number above 0
   */
  IUpdater config(double lr);

  /**
   * A new updater for the flat parameter vector {@code params} ([1, n]), with its own state of the parameters'
   * data type (zero at the start); apply it with {@code applyUpdater(gradient, iteration, epoch)} and subtract the
   * result from the parameters.
   */
  default GradientUpdater<?> instantiate(double lr, INDArray params) {
    return instantiate(config(lr), params);
  }

  /** An updater for {@code config} over a flat parameter vector of {@code params.length()} values, own state. */
  static GradientUpdater<?> instantiate(IUpdater config, INDArray params) {
    return config.instantiate(newState(config, params), true);
  }

  /**
   * The state array ([1, stateSize], zero) an updater for {@code config} over {@code params} keeps its moments in
   * (a view array: the updater reads and writes it in place, so a checkpoint saves and restores it); null for an
   * optimizer without state (SGD).
   */
  static INDArray newState(IUpdater config, INDArray params) {
    long stateSize = config.stateSize(params.length());
    return stateSize > 0 ? Nd4j.zeros(params.dataType(), 1, stateSize) : null;
  }

  /** Checks a learning rate: finite and above 0. */
  static double checkLr(double lr) {
    if (!(lr > 0) || !Double.isFinite(lr)) {
      throw new IllegalArgumentException("learning rate must be a finite number > 0, got " + lr);
    }
    return lr;
  }
}
