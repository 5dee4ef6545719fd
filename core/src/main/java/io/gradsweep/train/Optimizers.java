package io.gradsweep.train;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * ND4J's updaters (the ones DL4J uses) by spec word, with their default hyper-parameters: {@code sgd};
 * {@code rmsprop} (decay 0.95, epsilon 1e-8); {@code adam} (beta1 0.9, beta2 0.999, epsilon 1e-8).
 */
public final class Optimizers {
  private Optimizers() {}

  public static IUpdater config(String name, double lr) {
    return switch (name) {
      case "sgd" -> new Sgd(lr);
      case "rmsprop" -> new RmsProp(lr);
      case "adam" -> new Adam(lr);
      default -> throw new IllegalArgumentException("unknown optimizer '" + name + "'; allowed: sgd, rmsprop, adam");
    };
  }

  /** An updater over a flat parameter vector of {@code params.length()} values, with its own state. */
  public static GradientUpdater<?> instantiate(IUpdater config, INDArray params) {
    long n = params.length();
    long stateSize = config.stateSize(n);
    INDArray state = stateSize > 0 ? Nd4j.zeros(params.dataType(), 1, stateSize) : null;
    return config.instantiate(state, true);
  }
}
