package io.gradsweep.optim;

import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.RmsProp;

/** {@code rmsprop}: ND4J's RMSProp with its defaults (decay 0.95, epsilon 1e-8). */
public final class RmsPropOptimizer implements Optimizer {
  @Override
  public String name() {
    return "rmsprop";
  }

  @Override
  public IUpdater config(double lr) {
    return new RmsProp(Optimizer.checkLr(lr));
  }
}
