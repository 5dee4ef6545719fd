package io.gradsweep.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The cells the cell contract runs on: every {@link CellFactory} the registry finds, so that a newly registered
 * cell goes through the contract without a line of test code. The contract is made of
 * {@link GradientCheckTest} (finite differences, double precision), {@link InitialStateTest} (gradients with an
 * initial state and presence masks, state carried across segments), {@link TruncationTest} (gradient beyond the
 * window exactly zero, non-zero without truncation), {@link FloatPathTest} (float path equals double path) and
 * {@link CellFactoryContractTest} (what the factory declares).
 */
final class CellCases {
  private CellCases() {}

  /** The names of all registered cells. */
  static Stream<String> names() {
    return Cells.names().stream();
  }

  /**
   * (cell name, activation) for every registered cell: each of {@code activations} for the cells that use one,
   * tanh alone (ignored) for the others.
   */
  static List<Arguments> withActivations(List<Activation> activations) {
    List<Arguments> out = new ArrayList<>();
    for (CellFactory f : Cells.all()) {
      for (Activation a : f.usesActivation() ? activations : List.of(Activation.TANH)) {
        out.add(Arguments.of(f.name(), a));
      }
    }
    return out;
  }

  /** A new unbound layer named {@code l} of this cell, forget bias 1. */
  static RecurrentLayer layer(String cell, Activation act, int in, int hidden, DataType dtype) {
    return Cells.byName(cell).create("l", in, hidden, act, 1.0, dtype);
  }
}
