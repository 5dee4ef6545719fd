package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.junit.jupiter.api.Test;

/**
 * The evaluation path ({@link RecurrentNet#predict}: forward-only layers over blocks of examples) against the
 * layers' own forward pass over the whole batch, and the training state it must leave alone.
 */
class EvalPathTest {
  private static final int IN = 3;
  private static final int OUT = 4;

  static Stream<Arguments> cases() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (String cell : Cells.names()) {
      for (Head.Readout readout : Head.Readout.values()) {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
          b.add(Arguments.of(cell, readout, dt));
        }
      }
    }
    return b.build();
  }

  private static RecurrentNet net(String cell, Head.Readout readout, DataType dt, int layers) {
    Head head = new Head(readout == Head.Readout.LAST_STEP ? Head.Loss.MSE : Head.Loss.SOFTMAX_CROSS_ENTROPY,
        readout);
    return new RecurrentNet(new NetSpec(cell, Activation.TANH, IN, 8, layers, OUT, InitScheme.DEFAULT, 1.0, head),
        3, dt);
  }

  private static INDArray input(int steps, int batch, DataType dt, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    double[] v = new double[steps * batch * IN];
    for (int i = 0; i < v.length; i++) {
      v[i] = rng.nextGaussian();
    }
    return Nd4j.create(v, new long[] {(long) steps * batch, IN}, DataType.DOUBLE).castTo(dt);
  }

  /** The head's outputs computed from the training layers' forward pass over the whole batch at once. */
  private static double[] reference(RecurrentNet net, INDArray x, int steps, int batch) {
    INDArray h = x;
    for (RecurrentLayer l : net.layers()) {
      h = l.forward(h, steps, batch);
    }
    boolean every = net.spec().head().readout() == Head.Readout.EVERY_STEP;
    double[] hv = InitialStateTest.vec(h);
    int hidden = net.spec().hidden();
    int rows = every ? steps * batch : batch;
    int first = every ? 0 : (steps - 1) * batch;
    double[] w = null;
    double[] bias = null;
    for (ParamBlock p : net.blocks()) {
      if (p.layer().equals("head")) {
        if (p.type().equals("W")) {
          w = InitialStateTest.vec(p.param());
        } else {
          bias = InitialStateTest.vec(p.param());
        }
      }
    }
    double[] y = new double[rows * OUT];
    for (int r = 0; r < rows; r++) {
      for (int k = 0; k < OUT; k++) {
        double s = bias[k];
        for (int j = 0; j < hidden; j++) {
          s += hv[(first + r) * hidden + j] * w[j * OUT + k];
        }
        y[r * OUT + k] = s;
      }
    }
    return y;
  }

  /**
   * 150 examples make three blocks of 50 (no short block), 130 make three of 44 with a short last one: every
   * example's output equals the one-pass forward over the whole batch.
   */
  @ParameterizedTest
  @MethodSource("cases")
  void blockedEvaluationEqualsOnePassOverTheBatch(String cell, Head.Readout readout, DataType dt) {
    for (int batch : new int[] {150, 130, 7}) {
      RecurrentNet n = net(cell, readout, dt, 2);
      int steps = 5;
      INDArray x = input(steps, batch, dt, batch);
      double[] got = InitialStateTest.vec(n.predict(x, steps, batch));
      double[] want = reference(n, x, steps, batch);
      assertEquals(want.length, got.length);
      double tol = dt == DataType.DOUBLE ? 1e-12 : 1e-5;
      for (int i = 0; i < want.length; i++) {
        assertEquals(want[i], got[i], tol * Math.max(1, Math.abs(want[i])),
            cell + " " + readout + " " + dt + " batch " + batch + " at " + i);
      }
    }
  }

  /**
   * An evaluation between two training steps changes neither the gradient nor the training layers' buffers: the
   * same gradient as without it, bit for bit, in the same arrays (no re-allocation when the shapes alternate).
   */
  @ParameterizedTest
  @MethodSource("cases")
  void evaluationLeavesTheTrainingStateAlone(String cell, Head.Readout readout, DataType dt) {
    int steps = 6;
    int batch = 4;
    RecurrentNet a = net(cell, readout, dt, 1);
    RecurrentNet b = net(cell, readout, dt, 1);
    INDArray x = input(steps, batch, dt, 11);
    INDArray y = targets(readout, steps, batch, dt);
    a.computeGradient(x, y, steps, batch, 0, true);
    b.computeGradient(x, y, steps, batch, 0, true);
    INDArray dh = a.layers().get(0).hiddenGradients();
    Map<String, Double> health = a.layers().get(0).health();
    a.predict(input(steps, 200, dt, 12), steps, 200);
    assertEquals(health, a.layers().get(0).health(), "activation health is the training pass's");
    a.computeGradient(x, y, steps, batch, 0, true);
    b.computeGradient(x, y, steps, batch, 0, true);
    assertSame(dh, a.layers().get(0).hiddenGradients(), "the training buffers are kept across the evaluation");
    assertArrayEquals(InitialStateTest.vec(b.gradients()), InitialStateTest.vec(a.gradients()));
    assertArrayEquals(InitialStateTest.vec(b.layers().get(0).hiddenGradients()),
        InitialStateTest.vec(a.layers().get(0).hiddenGradients()));
  }

  private static INDArray targets(Head.Readout readout, int steps, int batch, DataType dt) {
    int rows = readout == Head.Readout.EVERY_STEP ? steps * batch : batch;
    double[] v = new double[rows * OUT];
    if (readout == Head.Readout.EVERY_STEP) {
      for (int r = 0; r < rows; r++) {
        v[r * OUT + r % OUT] = 1.0; // one-hot rows for the cross-entropy head
      }
    } else {
      for (int i = 0; i < v.length; i++) {
        v[i] = 0.1 * i;
      }
    }
    return Nd4j.create(v, new long[] {rows, OUT}, DataType.DOUBLE).castTo(dt);
  }

  /** The evaluation layers share the parameters (an update shows in the next evaluation) and hold no gradients. */
  @Test
  void evaluationLayersShareParametersAndHoldNoGradientState() {
    RecurrentNet n = net("lstm", Head.Readout.LAST_STEP, DataType.FLOAT, 1);
    INDArray x = input(5, 100, DataType.FLOAT, 5);
    double[] before = InitialStateTest.vec(n.predict(x, 5, 100));
    n.params().muli(0.5);
    double[] after = InitialStateTest.vec(n.predict(x, 5, 100));
    assertArrayEquals(reference(n, x, 5, 100), after, 1e-5);
    boolean changed = false;
    for (int i = 0; i < before.length; i++) {
      changed |= before[i] != after[i];
    }
    assertEquals(true, changed, "the evaluation sees the updated parameters");
    RecurrentLayer twin = n.evalLayersForTest().get(0);
    assertNull(twin.hiddenGradients(), "a forward-only layer allocates no gradient buffers");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> twin.backward(Nd4j.zeros(DataType.FLOAT, 5L * 100, 8), 0));
    assertEquals("layer0: a forward-only layer has no backward pass", e.getMessage());
    // it skips what only the backward pass reads, but its final state (h_T, c_T) is the training layer's
    twin.forward(x, 5, 100, null, null);
    n.layers().get(0).forward(x, 5, 100, null, null);
    RecurrentState a = twin.finalState();
    RecurrentState b = n.layers().get(0).finalState();
    assertArrayEquals(InitialStateTest.vec(b.h()), InitialStateTest.vec(a.h()));
    assertArrayEquals(InitialStateTest.vec(b.c()), InitialStateTest.vec(a.c()));
    assertEquals(Map.of(), twin.extraStateGradients());
    n.computeGradient(input(5, 2, DataType.FLOAT, 6), Nd4j.zeros(DataType.FLOAT, 2, OUT), 5, 2, 0, false);
    assertNotNull(n.layers().get(0).hiddenGradients(), "the training layer has them after a backward pass");
  }

  @Test
  void aWrongInputShapeIsRefusedWithTheShapeExpected() {
    RecurrentNet n = net("rnn", Head.Readout.LAST_STEP, DataType.FLOAT, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> n.predict(input(5, 10, DataType.FLOAT, 1), 5, 11));
    assertEquals("input must be [55, 3] (steps*batch, in), got [50, 3]", e.getMessage());
  }
}
