package io.gradsweep.engine;

/**
 * Shape of a network: stacked recurrent layers of one cell type and a linear head on the last time step.
 *
 * @param cell {@code rnn}, {@code lstm} or {@code gru}
 * @param activation activation of {@code rnn} layers (ignored for {@code lstm})
 * @param inputSize features per time step
 * @param hidden hidden units per layer
 * @param layers number of recurrent layers
 * @param outputSize outputs of the head
 * @param init initialisation scheme
 * @param forgetBias initial LSTM forget-gate bias
 */
public record NetSpec(String cell, Activation activation, int inputSize, int hidden, int layers, int outputSize,
    InitScheme init, double forgetBias) {
  public NetSpec {
    if (!"rnn".equals(cell) && !"lstm".equals(cell) && !"gru".equals(cell)) {
      throw new IllegalArgumentException("unknown cell '" + cell + "'; allowed: rnn, lstm, gru");
    }
    if (inputSize < 1 || hidden < 1 || layers < 1 || outputSize < 1) {
      throw new IllegalArgumentException("sizes must be >= 1: " + inputSize + ", " + hidden + ", " + layers
          + ", " + outputSize);
    }
    if (activation == null) {
      activation = Activation.TANH;
    }
    if (init == null) {
      init = InitScheme.DEFAULT;
    }
  }
}
