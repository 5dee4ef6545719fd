package io.gradsweep.engine;

import org.nd4j.linalg.api.buffer.DataType;

/** {@code lstm}: LSTM without peepholes, gates i, f, g, o, forget-gate bias from the network spec. */
public final class LstmCell implements CellFactory {
  @Override
  public String name() {
    return "lstm";
  }

  @Override
  public boolean usesActivation() {
    return false;
  }

  @Override
  public RecurrentLayer create(String layerName, int inputSize, int hidden, Activation activation,
      double forgetBias, DataType dtype) {
    return new LstmLayer(layerName, inputSize, hidden, forgetBias, dtype);
  }
}
