package io.gradsweep.engine;

import org.nd4j.linalg.api.buffer.DataType;

/** {@code rnn}: the vanilla (Elman) cell h_t = f(x_t W + h_{t-1} R + b), f the trial's activation. */
public final class RnnCell implements CellFactory {
  @Override
  public String name() {
    return "rnn";
  }

  @Override
  public boolean usesActivation() {
    return true;
  }

  @Override
  public RecurrentLayer create(String layerName, int inputSize, int hidden, Activation activation,
      double forgetBias, DataType dtype) {
    return new VanillaRnnLayer(layerName, inputSize, hidden, activation, dtype);
  }
}
