package io.gradsweep.engine;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The state a recurrent layer carries from one step to the next: the hidden state {@code h} ([batch, hidden]) and,
 * for an LSTM, the cell state {@code c} ([batch, hidden]; null for other cells).
 *
 * <p>Passed to {@link RecurrentLayer#forward(INDArray, int, int, RecurrentState, boolean[])} as the initial state
 * (h_0, c_0), and returned by {@link RecurrentLayer#finalState()} (h_T, c_T), so that a sequence can be run in
 * segments, or one step at a time, with the state carried across calls.
 *
 * @param h hidden state, [batch, hidden]
 * @param c cell state, [batch, hidden], or null when the cell has none
 */
public record RecurrentState(INDArray h, INDArray c) {
  public RecurrentState {
    if (h == null) {
      throw new IllegalArgumentException("hidden state h must not be null");
    }
  }

  /** A state without a cell state (vanilla RNN, GRU). */
  public static RecurrentState of(INDArray h) {
    return new RecurrentState(h, null);
  }
}
