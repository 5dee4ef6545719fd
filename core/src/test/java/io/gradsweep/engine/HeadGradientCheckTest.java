package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Double-precision finite-difference checks of the heads beside the last-step MSE ({@link GradientCheckTest}):
 * softmax cross-entropy and MSE, at the last step and at every step, with and without a mask, with and without a
 * truncation window, for every registered cell.
 */
class HeadGradientCheckTest {

  static Stream<Arguments> combos() {
    List<Arguments> out = new ArrayList<>();
    for (String cell : Cells.names()) {
      for (Head.Loss loss : Head.Loss.values()) {
        for (Head.Readout readout : Head.Readout.values()) {
          out.add(Arguments.of(cell, loss, readout, false, 0));
          out.add(Arguments.of(cell, loss, readout, true, 0));
        }
        out.add(Arguments.of(cell, loss, Head.Readout.EVERY_STEP, true, 3));
      }
    }
    return out.stream();
  }

  /** One-hot targets (cross-entropy) or normal values (MSE), [rows, k]. */
  static INDArray targets(Head.Loss loss, int rows, int k, SplittableRandom rng) {
    INDArray y = Nd4j.zeros(DataType.DOUBLE, rows, k);
    for (int r = 0; r < rows; r++) {
      if (loss == Head.Loss.SOFTMAX_CROSS_ENTROPY) {
        y.putScalar(r, rng.nextInt(k), 1.0);
      } else {
        for (int j = 0; j < k; j++) {
          y.putScalar(r, j, rng.nextDouble() * 2 - 1);
        }
      }
    }
    return y;
  }

  static INDArray inputs(int rows, int in, SplittableRandom rng) {
    INDArray x = Nd4j.zeros(DataType.DOUBLE, rows, in);
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < in; j++) {
        x.putScalar(r, j, rng.nextDouble() * 2 - 1);
      }
    }
    return x;
  }

  @ParameterizedTest(name = "{0} {1} {2} mask={3} window={4}")
  @MethodSource("combos")
  void analyticGradientMatchesFiniteDifferences(String cell, Head.Loss loss, Head.Readout readout, boolean masked,
      int window) {
    String combo = cell + " " + loss + " " + readout + " mask=" + masked + " window=" + window;
    int steps = 5;
    int batch = 3;
    int k = 4;
    Head head = new Head(loss, readout);
    NetSpec spec = new NetSpec(cell, Activation.TANH, 3, 4, 2, k, InitScheme.DEFAULT, 1.0, head);
    RecurrentNet net = new RecurrentNet(spec, 5, DataType.DOUBLE);
    net.params().muli(1.5);
    SplittableRandom rng = new SplittableRandom(13);
    int rows = head.rows(steps, batch);
    INDArray x = inputs(steps * batch, 3, rng);
    INDArray y = targets(loss, rows, k, rng);
    double[] mask = null;
    if (masked) {
      mask = new double[rows];
      for (int r = 0; r < rows; r++) {
        mask[r] = r % 3 == 0 ? 0.0 : 0.5 + r % 2;
      }
    }
    double l0 = net.computeGradient(x, y, mask, steps, batch, window, true);
    assertEquals(net.loss(x, y, mask, steps, batch), l0, 1e-12, combo + ": the loss of the pass is the loss");
    INDArray analytic = net.gradients().dup();
    INDArray p = net.params();
    // with a window, only the head (no path through time) is compared with finite differences of the loss
    long from = window == 0 ? 0 : p.length() - (long) 4 * k - k;
    double eps = 1e-6;
    for (long i = from; i < p.length(); i++) {
      double orig = p.getDouble(0, i);
      p.putScalar(0, i, orig + eps);
      double up = net.loss(x, y, mask, steps, batch);
      p.putScalar(0, i, orig - eps);
      double down = net.loss(x, y, mask, steps, batch);
      p.putScalar(0, i, orig);
      double numeric = (up - down) / (2 * eps);
      double a = analytic.getDouble(0, i);
      double rel = Math.abs(a - numeric) / Math.max(Math.abs(a) + Math.abs(numeric), 1e-8);
      if (Math.abs(a - numeric) > 1e-8) {
        assertTrue(rel < 1e-5, combo + ": parameter " + i + " analytic " + a + " numeric " + numeric);
      }
    }
    if (window > 0) {
      // the recurrent layers get nothing from the losses before the window: weighting those rows 0 changes nothing
      double[] kept = new double[rows];
      for (int r = 0; r < rows; r++) {
        kept[r] = r / batch >= steps - window ? (mask == null ? 1.0 : mask[r]) : 0.0;
      }
      double keptTotal = java.util.Arrays.stream(kept).sum();
      double total = mask == null ? rows : java.util.Arrays.stream(mask).sum();
      net.computeGradient(x, y, kept, steps, batch, window, true);
      INDArray recurrent = net.gradients().get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
          org.nd4j.linalg.indexing.NDArrayIndex.interval(0, from));
      INDArray expected = analytic.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
          org.nd4j.linalg.indexing.NDArrayIndex.interval(0, from)).mul(total / keptTotal);
      assertTrue(recurrent.equalsWithEps(expected, 1e-10), combo + ": recurrent gradient from the window's rows only");
      assertTrue(recurrent.norm2Number().doubleValue() > 0, combo);
    }
  }

  @Test
  void maskErrorsNameTheProblem() {
    NetSpec spec = new NetSpec("rnn", Activation.TANH, 2, 3, 1, 2, InitScheme.DEFAULT, 1.0,
        new Head(Head.Loss.SOFTMAX_CROSS_ENTROPY, Head.Readout.EVERY_STEP));
    RecurrentNet net = new RecurrentNet(spec, 1, DataType.DOUBLE);
    SplittableRandom rng = new SplittableRandom(2);
    INDArray x = inputs(8, 2, rng);
    INDArray y = targets(Head.Loss.SOFTMAX_CROSS_ENTROPY, 8, 2, rng);
    IllegalArgumentException len = assertThrows(IllegalArgumentException.class,
        () -> net.computeGradient(x, y, new double[3], 4, 2, 0, false));
    assertTrue(len.getMessage().contains("(8), got 3"), len.getMessage());
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> net.computeGradient(x, y, new double[8], 4, 2, 0, false));
    assertTrue(zero.getMessage().contains("no positive weight"), zero.getMessage());
    IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
        () -> net.computeGradient(x, y.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, 2),
            org.nd4j.linalg.indexing.NDArrayIndex.all()), null, 4, 2, 0, false));
    assertTrue(shape.getMessage().contains("targets must be [8, 2]"), shape.getMessage());
  }
}
