package io.gradsweep.engine;

import io.gradsweep.plugin.Plugin;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A recurrent cell type users choose as the {@code cell} axis ({@code rnn}, {@code lstm}, {@code gru}): builds the
 * engine's {@link RecurrentLayer}s of that cell. Registered in
 * {@code META-INF/services/io.gradsweep.engine.CellFactory}; found through {@link Cells}.
 *
 * <p>Contract (checked for every registered factory by the cell contract tests: finite-difference gradient
 * checks, state carried across segments, truncation):
 * <ul>
 *   <li>{@link #name()} is the YAML word, lower case, and {@link Cells#byName(String)} finds the factory by it.
 *   <li>{@link #create} returns a new, unbound layer with that name, input size, hidden size and data type each
 *       call; the caller binds it, initialises it and owns it (layers are not thread-safe).
 *   <li>{@link #usesActivation()} is true exactly when the layer's output depends on the {@code activation}
 *       argument; the spec allows the {@code activation} axis only for such cells, and trials of other cells have
 *       no activation (which keeps their trial ids free of it).
 *   <li>{@link #create} throws {@link IllegalArgumentException} for sizes below 1 or a data type other than
 *       FLOAT or DOUBLE.
 * </ul>
 * Factories are stateless and thread-safe; the registry hands out shared instances.
 */
public interface CellFactory extends Plugin {

  /** Whether the {@code activation} axis applies to this cell (a vanilla rnn); gated cells have fixed ones. */
  boolean usesActivation();

  /**
   * A new layer of this cell.
   *
   * @param layerName the layer's name in parameter blocks and metrics, e.g. {@code layer0}
   * @param inputSize features per step entering the layer
   * @param hidden hidden units
   * @param activation the activation, used only when {@link #usesActivation()}
   * @param forgetBias the initial forget-gate bias, for cells that have a forget gate
   * @param dtype FLOAT or DOUBLE
   * @throws IllegalArgumentException for sizes below 1 or another data type
   */
  RecurrentLayer create(String layerName, int inputSize, int hidden, Activation activation, double forgetBias,
      DataType dtype);
}
