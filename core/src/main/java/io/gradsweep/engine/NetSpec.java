package io.gradsweep.engine;

/**
 * Shape of a network: stacked recurrent layers of one cell type and a linear {@link Head} (by default on the last
 * time step, with MSE).
 *
 * @param cell the name of a registered {@link CellFactory}: {@code rnn}, {@code lstm}, {@code gru}...
 * @param activation activation of cells that use one ({@code rnn}; ignored by the others)
 * @param inputSize features per time step
 * @param hidden hidden units per layer
 * @param layers number of recurrent layers
 * @param outputSize outputs of the head
 * @param init initialisation scheme
 * @param forgetBias initial LSTM forget-gate bias
 * @param head the output head: loss and where it reads ({@link Head#LAST_STEP_MSE} when null)
 */
public record NetSpec(String cell, Activation activation, int inputSize, int hidden, int layers, int outputSize,
    InitScheme init, double forgetBias, Head head) {

  /** A network with the adding problem's head: MSE at the last step. */
  public NetSpec(String cell, Activation activation, int inputSize, int hidden, int layers, int outputSize,
      InitScheme init, double forgetBias) {
    this(cell, activation, inputSize, hidden, layers, outputSize, init, forgetBias, Head.LAST_STEP_MSE);
  }

  public NetSpec {
    Cells.byName(cell); // fails (IllegalArgumentException) naming the known cells
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
    if (head == null) {
      head = Head.LAST_STEP_MSE;
    }
  }
}
