package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Multi-core passes ({@link EngineThreads}): a network whose passes are split over threads against the same
 * network on one thread (equal within float rounding), the same thread count twice (equal bit for bit), the
 * threshold, and the threads' life cycle.
 */
class EngineThreadsTest {
  private static final String PREFIX = "gradsweep-engine-";

  /** cell, input size, hidden, batch, T, window, layers, threads, every-step head. */
  static Stream<Arguments> cases() {
    List<Arguments> a = new ArrayList<>();
    for (String cell : Cells.names()) {
      a.add(Arguments.of(cell, 2, 16, 8, 12, 0, 1, 2, false)); // even split, fused dW/db
      a.add(Arguments.of(cell, 2, 24, 7, 10, 4, 1, 2, false)); // odd batch, truncation window
      a.add(Arguments.of(cell, 12, 20, 5, 9, 0, 2, 3, false)); // 5 rows over 3 threads, two layers, no fusion
      a.add(Arguments.of(cell, 3, 16, 1, 6, 0, 1, 2, false)); // B < threads: one slice
      a.add(Arguments.of(cell, 2, 16, 3, 8, 3, 2, 4, true)); // B < threads, every-step head, window
      a.add(Arguments.of(cell, 3, 40, 33, 7, 0, 1, 2, true)); // wider gates: column split on 16-column bounds
    }
    return a.stream();
  }

  @ParameterizedTest(name = "{0} in {1} h {2} b {3} T {4} window {5} layers {6} threads {7} every {8}")
  @MethodSource("cases")
  void threadedPassesMatchOneThread(String cell, int in, int hidden, int batch, int steps, int window, int layers,
      int threads, boolean everyStep) {
    Head head = everyStep ? new Head(Head.Loss.MSE, Head.Readout.EVERY_STEP) : Head.LAST_STEP_MSE;
    NetSpec spec = new NetSpec(cell, Activation.TANH, in, hidden, layers, 2, InitScheme.DEFAULT, 1.0, head);
    INDArray x = random(new SplittableRandom(5), (long) steps * batch, in);
    INDArray y = random(new SplittableRandom(6), everyStep ? (long) steps * batch : batch, 2);
    RecurrentNet one = new RecurrentNet(spec, 11, DataType.FLOAT);
    try (RecurrentNet many = new RecurrentNet(spec, 11, DataType.FLOAT, new EngineThreads(threads, 0))) {
      for (int rep = 0; rep < 2; rep++) {
        double l1 = one.computeGradient(x, y, steps, batch, window, true);
        double ln = many.computeGradient(x, y, steps, batch, window, true);
        assertEquals(l1, ln, 1e-5 * Math.max(1, Math.abs(l1)), "loss");
        assertClose(one.gradients(), many.gradients(), "gradient");
        assertClose(one.inputGradient(), many.inputGradient(), "dL/dx");
        for (int l = 0; l < layers; l++) {
          assertClose(one.layers().get(l).hiddenGradients(), many.layers().get(l).hiddenGradients(), "dL/dh");
        }
        assertClose(one.predict(x, steps, batch), many.predict(x, steps, batch), "predictions");
        // an update, so that the second repetition runs on other weights with the buffers of the first
        one.params().subi(one.gradients().mul(0.05));
        many.params().subi(many.gradients().mul(0.05));
      }
    }
  }

  /**
   * cell, hidden, batch, T, window, layers, threads, every-step head, slices by units: LSTM and GRU passes split by
   * hidden units.
   */
  static Stream<Arguments> unitCases() {
    List<Arguments> a = new ArrayList<>();
    for (String cell : List.of("lstm", "gru")) {
      a.add(Arguments.of(cell, 32, 8, 12, 0, 1, 2, false, 2)); // two slices of 16 units
      a.add(Arguments.of(cell, 40, 5, 9, 4, 1, 3, false, 3)); // 16 + 16 + 8 units, truncation window
      a.add(Arguments.of(cell, 48, 3, 7, 0, 2, 2, true, 2)); // two layers: the upper one (input 48) splits by examples
      a.add(Arguments.of(cell, 24, 6, 10, 3, 1, 2, true, 2)); // 16 + 8 units, every-step head, window
      a.add(Arguments.of(cell, 36, 4, 8, 0, 1, 3, false, 3)); // 16 + 16 + 4 units: a slice narrower than a register
      a.add(Arguments.of(cell, 35, 4, 8, 2, 1, 3, false, 2)); // on 16-unit bounds 3 slices would leave one empty
    }
    return a.stream();
  }

  /**
   * A pass split by hidden units does to each element what one thread does, in the same order: the forward pass, the
   * loss, dL/dh and the split layer's dW and db (and a GRU's dRb) come out bit for bit the same as with one thread (on the first
   * pass; after an update, the products below differ in the last bits and so does everything after). What differs
   * in the last bits: dR (one thread sums a dR of at most {@link RecurrentLayer#STEPWISE_DR_MAX} elements step by
   * step, which no layer large enough to split by units does at the default hidden size of 256) and dL/dx (a product
   * split into row blocks, as with examples). With two layers only closeness is checked: the upper layer splits by
   * examples, and oneDNN may round a product over a block of rows differently from the product over the whole batch.
   */
  @ParameterizedTest(name = "{0} h {1} b {2} T {3} window {4} layers {5} threads {6} every {7}")
  @MethodSource("unitCases")
  void passesSplitByUnitsMatchOneThread(String cell, int hidden, int batch, int steps, int window, int layers,
      int threads, boolean everyStep, int unitSlices) {
    Head head = everyStep ? new Head(Head.Loss.MSE, Head.Readout.EVERY_STEP) : Head.LAST_STEP_MSE;
    NetSpec spec = new NetSpec(cell, Activation.TANH, 2, hidden, layers, 2, InitScheme.DEFAULT, 1.0, head);
    INDArray x = random(new SplittableRandom(5), (long) steps * batch, 2);
    INDArray y = random(new SplittableRandom(6), everyStep ? (long) steps * batch : batch, 2);
    RecurrentNet one = new RecurrentNet(spec, 11, DataType.FLOAT);
    EngineThreads et = new EngineThreads(threads, 0, 16);
    try (RecurrentNet many = new RecurrentNet(spec, 11, DataType.FLOAT, et)) {
      for (int rep = 0; rep < 2; rep++) {
        if (rep == 0 && layers == 1) {
          assertArrayEquals(bits(one.predict(x, steps, batch)), bits(many.predict(x, steps, batch)),
              "predictions (forward-only passes split by units)");
        } else {
          assertClose(one.predict(x, steps, batch), many.predict(x, steps, batch), "predictions");
        }
        double l1 = one.computeGradient(x, y, steps, batch, window, true);
        double ln = many.computeGradient(x, y, steps, batch, window, true);
        assertEquals(unitSlices, many.layers().get(0).unitSlices(), "the bottom layer splits by units");
        if (layers > 1) {
          assertEquals(1, many.layers().get(1).unitSlices(), "an upper layer (input not folded) does not");
        }
        assertClose(one.gradients(), many.gradients(), "gradient");
        assertClose(one.inputGradient(), many.inputGradient(), "dL/dx");
        for (int l = 0; l < layers; l++) {
          assertClose(one.layers().get(l).hiddenGradients(), many.layers().get(l).hiddenGradients(), "dL/dh");
        }
        if (rep == 0 && layers == 1) {
          assertEquals(l1, ln, 0.0, "loss");
          assertArrayEquals(bits(one.layers().get(0).hiddenGradients()),
              bits(many.layers().get(0).hiddenGradients()), "dL/dh of the split layer");
          List<ParamBlock> b1 = one.blocks();
          List<ParamBlock> bn = many.blocks();
          for (int i = 0; i < b1.size(); i++) {
            ParamBlock b = b1.get(i);
            if (b.layer().equals(b1.get(0).layer()) && List.of("W", "b", "Rb").contains(b.type())) {
              assertArrayEquals(bits(b.grad()), bits(bn.get(i).grad()), "gradient " + b.key());
            }
          }
        }
        one.params().subi(one.gradients().mul(0.05));
        many.params().subi(many.gradients().mul(0.05));
      }
    }
  }

  @Test
  void aFailingUnitSliceBreaksTheBarrierInsteadOfHanging() throws Exception {
    EngineThreads t = new EngineThreads(2, 0, 16);
    EngineThreads.StepBarrier barrier = new EngineThreads.StepBarrier(2);
    java.util.concurrent.atomic.AtomicInteger passed = new java.util.concurrent.atomic.AtomicInteger();
    RuntimeException e = assertThrows(RuntimeException.class, () -> t.run(2, s -> {
      try {
        if (s == 1) {
          throw new IllegalStateException("slice 1 fails before the barrier");
        }
        barrier.await();
        passed.incrementAndGet();
      } catch (RuntimeException x) {
        barrier.breakBarrier();
        throw x;
      }
    }));
    assertTrue(e.getMessage().contains("slice 1 fails") || e.getMessage().contains("another slice"), e.getMessage());
    assertEquals(0, passed.get(), "slice 0 must not pass a barrier slice 1 never reached");
    t.close();
  }

  @Test
  void theBarrierHoldsEachPartyUntilAllArrivedStepAfterStep() {
    EngineThreads t = new EngineThreads(3, 0);
    EngineThreads.StepBarrier barrier = new EngineThreads.StepBarrier(3);
    int steps = 200;
    java.util.concurrent.atomic.AtomicIntegerArray arrivals = new java.util.concurrent.atomic.AtomicIntegerArray(steps);
    java.util.concurrent.atomic.AtomicInteger violations = new java.util.concurrent.atomic.AtomicInteger();
    t.run(3, s -> {
      for (int step = 0; step < steps; step++) {
        arrivals.incrementAndGet(step);
        barrier.await();
        if (arrivals.get(step) != 3) {
          violations.incrementAndGet();
        }
      }
    });
    assertEquals(0, violations.get(), "a party left the barrier before all had arrived");
    t.close();
  }

  private static int[] bits(INDArray a) {
    float[] f = a.dup('c').data().asFloat();
    int[] b = new int[f.length];
    for (int i = 0; i < f.length; i++) {
      b[i] = Float.floatToRawIntBits(f[i]);
    }
    return b;
  }

  @ParameterizedTest
  @MethodSource("io.gradsweep.engine.EngineThreadsTest#cellNames")
  void initialStateAndItsGradientMatchOneThread(String cell) {
    int in = 3;
    int hidden = 16;
    int batch = 5;
    int steps = 6;
    NetSpec spec = new NetSpec(cell, Activation.TANH, in, hidden, 1, 1, InitScheme.DEFAULT, 1.0);
    RecurrentLayer one = new RecurrentNet(spec, 3, DataType.FLOAT).layers().get(0);
    RecurrentNet net = new RecurrentNet(spec, 3, DataType.FLOAT, new EngineThreads(2, 0));
    RecurrentLayer many = net.layers().get(0);
    INDArray x = random(new SplittableRandom(1), (long) steps * batch, in);
    INDArray h0 = random(new SplittableRandom(2), batch, hidden);
    INDArray c0 = random(new SplittableRandom(3), batch, hidden);
    RecurrentState s0 = one.hasCellState() ? new RecurrentState(h0, c0) : RecurrentState.of(h0);
    INDArray dOut = random(new SplittableRandom(4), (long) steps * batch, hidden);
    assertClose(one.forward(x, steps, batch, s0, null), many.forward(x, steps, batch, s0, null), "h");
    assertClose(one.backward(dOut, 0), many.backward(dOut, 0), "dx");
    RecurrentState g1 = one.initialStateGradient();
    RecurrentState gn = many.initialStateGradient();
    assertNotNull(gn);
    assertClose(g1.h(), gn.h(), "dL/dh0");
    if (one.hasCellState()) {
      assertClose(g1.c(), gn.c(), "dL/dc0");
      assertClose(one.finalState().c(), many.finalState().c(), "c_T");
    }
    net.close();
  }

  static Stream<String> cellNames() {
    return Cells.names().stream();
  }

  @ParameterizedTest
  @MethodSource("cellNames")
  void theSameThreadCountGivesTheSameBits(String cell) {
    NetSpec spec = new NetSpec(cell, Activation.TANH, 2, 24, 2, 1, InitScheme.DEFAULT, 1.0);
    int steps = 15;
    int batch = 9;
    float[][] runs = new float[2][];
    for (int run = 0; run < 2; run++) {
      try (RecurrentNet net = new RecurrentNet(spec, 7, DataType.FLOAT, new EngineThreads(2, 0))) {
        SplittableRandom data = new SplittableRandom(9);
        for (int i = 0; i < 4; i++) {
          INDArray x = random(data, (long) steps * batch, 2);
          INDArray y = random(data, batch, 1);
          net.computeGradient(x, y, steps, batch, i % 2 == 0 ? 0 : 5, true);
          net.params().subi(net.gradients().mul(0.1));
        }
        runs[run] = net.gradients().dup().data().asFloat();
      }
    }
    assertArrayEquals(runs[0], runs[1]);
  }

  @Test
  void belowTheThresholdAPassRunsOnTheCallingThreadWithTheResultsOfOneThread() {
    EngineThreads t = new EngineThreads(2);
    assertEquals(1, t.slices(64, EngineThreads.DEFAULT_MIN_WORK - 1));
    assertEquals(2, t.slices(64, EngineThreads.DEFAULT_MIN_WORK));
    assertEquals(1, t.slices(1, EngineThreads.DEFAULT_MIN_WORK), "one example: one slice");
    assertEquals(1, new EngineThreads(1, 0).slices(64, Long.MAX_VALUE));
    // hidden 16, batch 8, T 10, LSTM: 10 * 8 * 16 * 64 multiply-adds per pass, far below the threshold
    NetSpec spec = new NetSpec("lstm", Activation.TANH, 2, 16, 1, 1, InitScheme.DEFAULT, 1.0);
    INDArray x = random(new SplittableRandom(1), 80, 2);
    INDArray y = random(new SplittableRandom(2), 8, 1);
    RecurrentNet one = new RecurrentNet(spec, 1, DataType.FLOAT);
    try (RecurrentNet two = new RecurrentNet(spec, 1, DataType.FLOAT, 2)) {
      assertEquals(2, two.threads());
      Set<Thread> before = engineThreads();
      one.computeGradient(x, y, 10, 8, 0, true);
      two.computeGradient(x, y, 10, 8, 0, true);
      assertArrayEquals(one.gradients().data().asFloat(), two.gradients().data().asFloat());
      assertTrue(before.containsAll(engineThreads()), "no worker started below the threshold");
    }
  }

  @Test
  void closeEndsTheWorkersAndTheNetworkStaysUsable() throws InterruptedException {
    NetSpec spec = new NetSpec("rnn", Activation.TANH, 2, 16, 1, 1, InitScheme.DEFAULT, 1.0);
    INDArray x = random(new SplittableRandom(1), 60, 2);
    INDArray y = random(new SplittableRandom(2), 6, 1);
    RecurrentNet net = new RecurrentNet(spec, 1, DataType.FLOAT, new EngineThreads(3, 0));
    Set<Thread> before = engineThreads();
    net.computeGradient(x, y, 10, 6, 0, true);
    float[] open = net.gradients().dup().data().asFloat();
    Set<Thread> workers = engineThreads();
    workers.removeAll(before);
    assertEquals(2, workers.size(), "the workers of the pass: " + workers);
    assertTrue(workers.stream().allMatch(Thread::isDaemon), "daemon threads");
    net.close();
    for (Thread w : workers) {
      w.join(5000);
    }
    assertTrue(workers.stream().noneMatch(Thread::isAlive), "workers left after close");
    Set<Thread> closed = engineThreads();
    net.computeGradient(x, y, 10, 6, 0, true);
    assertArrayEquals(open, net.gradients().data().asFloat(), "after close: the same slices in turn");
    assertTrue(closed.containsAll(engineThreads()), "no worker started after close");
  }

  @Test
  void aFailingSliceFailsThePassAfterAllSlicesEnded() {
    EngineThreads t = new EngineThreads(3, 0);
    AtomicInteger done = new AtomicInteger();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.run(3, s -> {
      if (s == 2) {
        throw new IllegalStateException("slice 2");
      }
      done.incrementAndGet();
    }));
    assertEquals("slice 2", e.getMessage());
    assertEquals(2, done.get());
    t.close();
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> new EngineThreads(0));
    assertTrue(bad.getMessage().contains(">= 1, got 0"), bad.getMessage());
  }

  /** The live engine workers of this JVM. */
  private static Set<Thread> engineThreads() {
    Set<Thread> s = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith(PREFIX) && t.isAlive()) {
        s.add(t);
      }
    }
    return s;
  }

  private static INDArray random(SplittableRandom rng, long rows, int cols) {
    float[] v = new float[(int) (rows * cols)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return Nd4j.create(v, new long[] {rows, cols}, 'c');
  }

  private static void assertClose(INDArray expected, INDArray actual, String what) {
    float[] e = expected.dup('c').data().asFloat();
    float[] a = actual.dup('c').data().asFloat();
    assertEquals(e.length, a.length, what);
    double scale = 0;
    for (float v : e) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < e.length; i++) {
      assertEquals(e[i], a[i], 1e-5 * Math.max(1e-3, scale) + 1e-4 * Math.abs(e[i]), what + " at " + i);
    }
  }
}
