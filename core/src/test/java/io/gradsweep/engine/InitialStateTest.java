package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Initial state and presence masks of the engine layers: finite-difference checks of every gradient (parameters,
 * inputs, initial state) with a non-zero initial state, with and without a mask; a sequence run in two segments
 * with the state carried gives exactly the outputs of one pass. Run for every registered cell: part of the cell
 * contract ({@link CellCases}).
 */
class InitialStateTest {
  private static final int IN = 3;
  private static final int HIDDEN = 4;

  static RecurrentLayer layer(String cell, Activation act, DataType dtype, long seed) {
    RecurrentLayer l = CellCases.layer(cell, act, IN, HIDDEN, dtype);
    long n = l.paramCount();
    l.bind(Nd4j.zeros(dtype, 1, n), Nd4j.zeros(dtype, 1, n), 0);
    l.init(new SplittableRandom(seed), InitScheme.DEFAULT);
    for (ParamBlock p : l.blocks()) {
      // larger weights and non-zero biases, so every path carries a visible gradient
      p.param().muli(1.5).addi(0.1);
    }
    return l;
  }

  static INDArray random(DataType dtype, long rows, long cols, SplittableRandom rng) {
    double[] v = new double[(int) (rows * cols)];
    for (int i = 0; i < v.length; i++) {
      v[i] = rng.nextDouble(-1, 1);
    }
    return Nd4j.create(v, new long[] {rows, cols}, DataType.DOUBLE).castTo(dtype);
  }

  /** Absent steps at the start, in the middle and at the end of different examples. */
  static boolean[] mask(int steps, int batch) {
    boolean[] p = new boolean[steps * batch];
    java.util.Arrays.fill(p, true);
    p[0] = false; // example 0 absent at t=0
    if (batch > 1) {
      p[2 * batch + 1] = false; // example 1 absent at t=2
      p[3 * batch + 1] = false;
    }
    p[(steps - 1) * batch] = false; // example 0 absent at the last step
    return p;
  }

  static Stream<Arguments> combos() {
    List<Arguments> out = new ArrayList<>();
    for (Arguments ca : CellCases.withActivations(List.of(Activation.TANH, Activation.SIGMOID))) {
      for (boolean masked : new boolean[] {false, true}) {
        out.add(Arguments.of(ca.get()[0], ca.get()[1], masked));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}/{1} masked={2}")
  @MethodSource("combos")
  void gradientsWithInitialStateMatchFiniteDifferences(String cell, Activation act, boolean masked) {
    String combo = cell + "/" + act.word() + " masked=" + masked;
    int steps = 6;
    int batch = 3;
    DataType dt = DataType.DOUBLE;
    RecurrentLayer l = layer(cell, act, dt, 5);
    SplittableRandom rng = new SplittableRandom(9);
    INDArray x = random(dt, (long) steps * batch, IN, rng);
    INDArray g = random(dt, (long) steps * batch, HIDDEN, rng); // L = sum(out * g)
    INDArray h0 = random(dt, batch, HIDDEN, rng);
    INDArray c0 = l.hasCellState() ? random(dt, batch, HIDDEN, rng) : null;
    boolean[] present = masked ? mask(steps, batch) : null;
    RecurrentState init = new RecurrentState(h0, c0);

    l.forward(x, steps, batch, init, present);
    INDArray dx = l.backward(g, 0);
    RecurrentState dInit = l.initialStateGradient();
    assertNotNull(dInit, combo);

    Loss loss = () -> l.forward(x, steps, batch, init, present).mul(g).sumNumber().doubleValue();
    for (ParamBlock p : l.blocks()) {
      check(combo + " param " + p.type(), p.param(), p.grad().dup(), loss);
    }
    check(combo + " input", x, dx.dup(), loss);
    check(combo + " h0", h0, dInit.h().dup(), loss);
    if (c0 != null) {
      check(combo + " c0", c0, dInit.c().dup(), loss);
    }
    if (masked) {
      // an absent step's input gets no gradient; an absent step's output is zero
      assertEquals(0.0, dx.getRow(0).norm2Number().doubleValue(), 0.0, combo);
      assertEquals(0.0, l.forward(x, steps, batch, init, present).getRow(0).norm2Number().doubleValue(), 0.0,
          combo);
    }
  }

  /**
   * The backward pass writes only what it must into buffers reused across calls of the same shape: a pass with
   * absent steps or a truncation window after a full pass (and the reverse) gives exactly the gradients of a
   * fresh layer.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("io.gradsweep.engine.CellCases#names")
  void reusedBuffersGiveTheGradientsOfAFreshLayer(String cell) {
    int steps = 7;
    int batch = 3;
    DataType dt = DataType.DOUBLE;
    SplittableRandom rng = new SplittableRandom(11);
    INDArray x = random(dt, (long) steps * batch, IN, rng);
    INDArray g = random(dt, (long) steps * batch, HIDDEN, rng);
    RecurrentLayer reused = layer(cell, Activation.TANH, dt, 5);
    record Pass(boolean[] present, int first) {}
    List<Pass> passes = List.of(new Pass(null, 0), new Pass(mask(steps, batch), 0), new Pass(null, 3),
        new Pass(mask(steps, batch), 2), new Pass(null, 0));
    for (Pass pass : passes) {
      reused.forward(x, steps, batch, null, pass.present());
      INDArray dx = reused.backward(g, pass.first());
      RecurrentLayer fresh = layer(cell, Activation.TANH, dt, 5);
      fresh.forward(x, steps, batch, null, pass.present());
      INDArray dxFresh = fresh.backward(g, pass.first());
      String what = cell + " masked=" + (pass.present() != null) + " first=" + pass.first();
      assertArrayEquals(vec(dxFresh), vec(dx), 0.0, what + " dx");
      for (int i = 0; i < fresh.blocks().size(); i++) {
        assertArrayEquals(vec(fresh.blocks().get(i).grad()), vec(reused.blocks().get(i).grad()), 0.0,
            what + " " + fresh.blocks().get(i).type());
      }
      assertArrayEquals(vec(fresh.hiddenGradients()), vec(reused.hiddenGradients()), 0.0, what + " dL/dh");
    }
  }

  /** All elements, in row-major order, as doubles. */
  static double[] vec(INDArray a) {
    return a.castTo(DataType.DOUBLE).dup('c').reshape(a.length()).toDoubleVector();
  }

  interface Loss {
    double value();
  }

  private static void check(String what, INDArray a, INDArray analytic, Loss loss) {
    double eps = 1e-6;
    double worst = 0;
    for (long i = 0; i < a.length(); i++) {
      long row = i / a.columns();
      long col = i % a.columns();
      double orig = a.getDouble(row, col);
      a.putScalar(row, col, orig + eps);
      double up = loss.value();
      a.putScalar(row, col, orig - eps);
      double down = loss.value();
      a.putScalar(row, col, orig);
      double numeric = (up - down) / (2 * eps);
      double an = analytic.getDouble(row, col);
      double diff = Math.abs(an - numeric);
      if (diff > 1e-8) {
        double rel = diff / (Math.abs(an) + Math.abs(numeric));
        worst = Math.max(worst, rel);
        assertTrue(rel < 1e-6, what + " [" + row + "," + col + "]: analytic " + an + " numeric " + numeric
            + " relative error " + rel);
      }
    }
    assertTrue(analytic.norm2Number().doubleValue() > 0, what + ": gradient is all zero");
  }

  static Stream<Arguments> segmentCombos() {
    List<Arguments> out = new ArrayList<>();
    for (String cell : Cells.names()) {
      for (DataType dt : List.of(DataType.FLOAT, DataType.DOUBLE)) {
        for (boolean masked : new boolean[] {false, true}) {
          out.add(Arguments.of(cell, dt, masked));
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} masked={2}")
  @MethodSource("segmentCombos")
  void twoSegmentsWithCarriedStateEqualOnePass(String cell, DataType dt, boolean masked) {
    String combo = cell + " " + dt + " masked=" + masked;
    int steps = 9;
    int split = 4;
    int batch = 3;
    RecurrentLayer l = layer(cell, Activation.TANH, dt, 3);
    SplittableRandom rng = new SplittableRandom(4);
    INDArray x = random(dt, (long) steps * batch, IN, rng);
    boolean[] present = masked ? mask(steps, batch) : null;

    INDArray full = l.forward(x, steps, batch, null, present);
    RecurrentState fullFinal = l.finalState();

    INDArray x1 = x.get(NDArrayIndex.interval(0, (long) split * batch), NDArrayIndex.all()).dup();
    INDArray x2 = x.get(NDArrayIndex.interval((long) split * batch, (long) steps * batch), NDArrayIndex.all())
        .dup();
    boolean[] p1 = present == null ? null : java.util.Arrays.copyOfRange(present, 0, split * batch);
    boolean[] p2 = present == null ? null : java.util.Arrays.copyOfRange(present, split * batch, steps * batch);
    INDArray out1 = l.forward(x1, split, batch, null, p1);
    RecurrentState carried = l.finalState();
    INDArray out2 = l.forward(x2, steps - split, batch, carried, p2);
    RecurrentState segFinal = l.finalState();

    INDArray joined = Nd4j.vstack(out1, out2);
    assertArrayEquals(vec(full), vec(joined), 0.0, combo + ": outputs");
    assertArrayEquals(vec(fullFinal.h()), vec(segFinal.h()), 0.0, combo + ": final h");
    assertEquals(l.hasCellState(), fullFinal.c() != null, combo + ": a cell state exactly when declared");
    if (l.hasCellState()) {
      assertArrayEquals(vec(fullFinal.c()), vec(segFinal.c()), 0.0, combo + ": final c");
    }
    // the carried state matters: the second segment from a zero state differs
    INDArray fromZero = l.forward(x2, steps - split, batch, null, p2);
    assertNotEquals(0.0, fromZero.sub(out2).norm2Number().doubleValue(), combo);
  }

  @Test
  void zeroStateAfterGivenStateIsZeroAgain() {
    for (String cell : Cells.names()) {
      RecurrentLayer l = layer(cell, Activation.TANH, DataType.DOUBLE, 1);
      SplittableRandom rng = new SplittableRandom(2);
      INDArray x = random(DataType.DOUBLE, 5 * 2, IN, rng);
      INDArray zero = l.forward(x, 5, 2);
      RecurrentState s = new RecurrentState(random(DataType.DOUBLE, 2, HIDDEN, rng),
          l.hasCellState() ? random(DataType.DOUBLE, 2, HIDDEN, rng) : null);
      l.forward(x, 5, 2, s, null);
      assertArrayEquals(vec(zero), vec(l.forward(x, 5, 2)), 0.0, cell);
      // and the gradient of a zero-state pass says nothing about the initial state
      l.backward(Nd4j.ones(DataType.DOUBLE, 10, HIDDEN), 0);
      assertNull(l.initialStateGradient(), cell);
    }
  }

  @Test
  void truncatedPassHasNoInitialStateGradientAndBadStatesAreRejected() {
    RecurrentLayer l = layer("lstm", Activation.TANH, DataType.DOUBLE, 1);
    SplittableRandom rng = new SplittableRandom(2);
    INDArray x = random(DataType.DOUBLE, 5 * 2, IN, rng);
    RecurrentState s = RecurrentState.of(random(DataType.DOUBLE, 2, HIDDEN, rng));
    l.forward(x, 5, 2, s, null);
    l.backward(Nd4j.ones(DataType.DOUBLE, 10, HIDDEN), 2);
    assertNull(l.initialStateGradient());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> l.forward(x, 5, 2, RecurrentState.of(Nd4j.zeros(DataType.DOUBLE, 3, HIDDEN)), null));
    assertTrue(e.getMessage().contains("[2, 4]"), e.getMessage());
    RecurrentLayer g = layer("gru", Activation.TANH, DataType.DOUBLE, 1);
    assertThrows(IllegalArgumentException.class, () -> g.forward(x, 5, 2,
        new RecurrentState(Nd4j.zeros(DataType.DOUBLE, 2, HIDDEN), Nd4j.zeros(DataType.DOUBLE, 2, HIDDEN)), null));
  }
}
