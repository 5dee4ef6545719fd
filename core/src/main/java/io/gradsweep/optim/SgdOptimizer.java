package io.gradsweep.optim;

import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Sgd;

/** {@code sgd}: plain stochastic gradient descent, p -= lr g. */
public final class SgdOptimizer implements Optimizer {
  @Override
  public String name() {
    return "sgd";
  }

  @Override
  public IUpdater config(double lr) {
    return new Sgd(Optimizer.checkLr(lr));
  }
}
