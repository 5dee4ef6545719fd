package io.gradsweep.engine;

import org.nd4j.linalg.api.buffer.DataType;

/** {@code gru}: the GRU with the equations of PyTorch's {@code nn.GRU}. */
public final class GruCell implements CellFactory {
  @Override
  public String name() {
    return "gru";
  }

  @Override
  public boolean usesActivation() {
    return false;
  }

  @Override
  public RecurrentLayer create(String layerName, int inputSize, int hidden, Activation activation,
      double forgetBias, DataType dtype) {
    return new GruLayer(layerName, inputSize, hidden, dtype);
  }
}
