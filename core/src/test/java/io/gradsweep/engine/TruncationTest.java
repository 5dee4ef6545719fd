package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.task.AddingTask;
import io.gradsweep.task.Batch;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The truncation window: gradients flow back at most k steps from the loss (the last step). Run for every
 * registered cell: part of the cell contract ({@link CellCases}).
 */
class TruncationTest {

  /** Every registered cell at depth 1 and 2; cells that use an activation with tanh (depth 1) and relu (depth 2). */
  static Stream<Arguments> combos() {
    List<Arguments> out = new ArrayList<>();
    for (CellFactory f : Cells.all()) {
      out.add(Arguments.of(f.name(), "tanh", 1));
      out.add(Arguments.of(f.name(), f.usesActivation() ? "relu" : "tanh", 2));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}/{1} layers={2}")
  @MethodSource("combos")
  void gradientBeyondTheWindowIsExactlyZero(String cell, String act, int layers) {
    int steps = 40;
    int k = 10;
    NetSpec spec = new NetSpec(cell, Activation.fromWord(act), 2, 8, layers, 1, InitScheme.DEFAULT, 1.0);
    RecurrentNet net = new RecurrentNet(spec, 3, DataType.DOUBLE);
    Batch b = new AddingTask().sample(steps, 4, new SplittableRandom(11), DataType.DOUBLE);
    // the first marker of every example lies in the first half, further than k from the last step
    int marker = AddingTask.firstMarker(b, 0);
    assertTrue(steps - 1 - marker >= k, "marker at " + marker);

    net.computeGradient(b.x(), b.y(), steps, 4, k);
    INDArray truncated = net.inputGradient().dup();
    for (int t = 0; t < steps - k; t++) {
      for (int i = 0; i < 4; i++) {
        long row = (long) t * 4 + i;
        assertEquals(0.0, truncated.getDouble(row, 0), 0.0, "dL/dx value at t=" + t);
        assertEquals(0.0, truncated.getDouble(row, 1), 0.0, "dL/dx marker at t=" + t);
      }
      for (RecurrentLayer l : net.layers()) {
        INDArray dh = l.hiddenGradients();
        assertEquals(0.0, dh.get(org.nd4j.linalg.indexing.NDArrayIndex.interval((long) t * 4, (long) t * 4 + 4),
            org.nd4j.linalg.indexing.NDArrayIndex.all()).norm2Number().doubleValue(), 0.0, l.name() + " t=" + t);
      }
    }
    // inside the window the gradient is there
    assertNotEquals(0.0, truncated.getRow((long) (steps - 1) * 4).norm2Number().doubleValue());

    net.computeGradient(b.x(), b.y(), steps, 4, 0);
    INDArray full = net.inputGradient();
    long markerRow = (long) marker * 4;
    assertNotEquals(0.0, full.getDouble(markerRow, 0), "full BPTT reaches the first marker's value");

    // a window as long as the sequence is full BPTT, exactly
    INDArray fullGrad = net.gradients().dup();
    net.computeGradient(b.x(), b.y(), steps, 4, steps);
    assertArrayEquals(fullGrad.toDoubleVector(), net.gradients().toDoubleVector(), 0.0);
  }
}
