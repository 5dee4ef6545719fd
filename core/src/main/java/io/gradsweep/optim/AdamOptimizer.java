package io.gradsweep.optim;

import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;

/** {@code adam}: ND4J's Adam with its defaults (beta1 0.9, beta2 0.999, epsilon 1e-8). */
public final class AdamOptimizer implements Optimizer {
  @Override
  public String name() {
    return "adam";
  }

  @Override
  public IUpdater config(double lr) {
    return new Adam(Optimizer.checkLr(lr));
  }
}
