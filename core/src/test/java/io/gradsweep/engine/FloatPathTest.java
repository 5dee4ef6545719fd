package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The single-precision fast path of the forward pass (heap arrays, {@link FloatKernels}) against the
 * double-precision loop on the same weights, and the SIMD kernels against the scalar ones.
 */
class FloatPathTest {
  private static final int IN = 3;

  @Test
  void theTestJvmUsesTheSimdKernels() {
    // surefire starts the JVM with --add-modules=jdk.incubator.vector, as the launchers and the job's executors
    assertEquals("vector", FloatKernels.INSTANCE.name());
  }

  static Stream<Arguments> kernels() {
    return Stream.of(Arguments.of(FloatKernels.INSTANCE), Arguments.of(FloatKernels.SCALAR));
  }

  private static float[] random(SplittableRandom rng, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (rng.nextGaussian() * scale);
    }
    return a;
  }

  private static void assertClose(INDArray expected, INDArray actual, String what) {
    double[] e = InitialStateTest.vec(expected);
    double[] a = InitialStateTest.vec(actual);
    assertEquals(e.length, a.length, what);
    for (int i = 0; i < e.length; i++) {
      assertEquals(e[i], a[i], 1e-3 * Math.max(1.0, Math.abs(e[i])), what + " at " + i);
    }
  }

  private static void assertClose(float[] expected, float[] actual, double tol, String what) {
    assertEquals(expected.length, actual.length, what);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], tol * Math.max(1.0, Math.abs(expected[i])), what + " at " + i);
    }
  }

  /** Every kernel agrees with the double-precision formula on spans of every length (SIMD body plus tail). */
  @ParameterizedTest
  @MethodSource("kernels")
  void kernelsMatchTheDoubleFormulas(FloatKernels k) {
    SplittableRandom rng = new SplittableRandom(3);
    for (int len = 1; len <= 70; len += 3) {
      int off = len % 5;
      float[] a = random(rng, off + len + 4, 6.0);
      float[] b = random(rng, off + len + 4, 1.0);
      float[] sig = a.clone();
      k.sigmoid(sig, off, len);
      float[] th = a.clone();
      k.tanh(th, off, len);
      float[] re = a.clone();
      k.relu(re, off, len);
      float[] sum = a.clone();
      k.add(sum, off, b, off, len);
      for (int j = 0; j < a.length; j++) {
        boolean in = j >= off && j < off + len;
        assertEquals(in ? 1.0 / (1.0 + Math.exp(-a[j])) : a[j], sig[j], 1e-6, "sigmoid len " + len);
        assertEquals(in ? Math.tanh(a[j]) : a[j], th[j], 1e-6, "tanh len " + len);
        assertEquals(in ? Math.max(a[j], 0) : a[j], re[j], 0.0, "relu len " + len);
        assertEquals(in ? a[j] + b[j] : a[j], sum[j], 1e-6, "add len " + len);
      }
    }
    // bit for bit the same as the scalar kernels: results do not depend on the module or on the JIT
    float[] a = random(rng, 1000, 8.0);
    for (int len : new int[] {1000, 997, 15, 17}) {
      float[] v1 = a.clone();
      float[] v2 = a.clone();
      k.sigmoid(v1, 0, len);
      FloatKernels.SCALAR.sigmoid(v2, 0, len);
      assertArrayEquals(v2, v1, "sigmoid");
      v1 = a.clone();
      v2 = a.clone();
      k.tanh(v1, 0, len);
      FloatKernels.SCALAR.tanh(v2, 0, len);
      assertArrayEquals(v2, v1, "tanh");
    }
    float[] extreme = {-200f, -88f, -20f, 0f, 20f, 88f, 200f, Float.NaN};
    float[] s = extreme.clone();
    k.sigmoid(s, 0, s.length);
    float[] t = extreme.clone();
    k.tanh(t, 0, t.length);
    assertEquals(0f, s[0], 1e-30f);
    assertEquals(1f, s[6], 0f);
    assertEquals(-1f, t[0], 0f);
    assertEquals(1f, t[6], 0f);
    assertTrue(Float.isNaN(s[7]) && Float.isNaN(t[7]), "NaN stays NaN, so divergence is seen");
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void stateUpdatesMatchTheScalarOnes(FloatKernels k) {
    SplittableRandom rng = new SplittableRandom(4);
    for (int h : new int[] {1, 7, 16, 37, 64}) {
      float[] gates = random(rng, 4 * h + 3, 1.0);
      float[] cPrev = random(rng, h + 2, 1.0);
      float[][] lstm = new float[3][h + 2];
      float[][] lstmRef = new float[3][h + 2];
      k.lstmState(gates, 3, h, cPrev, lstm[0], lstm[1], lstm[2], 2);
      FloatKernels.SCALAR.lstmState(gates, 3, h, cPrev, lstmRef[0], lstmRef[1], lstmRef[2], 2);
      for (int i = 0; i < 3; i++) {
        assertClose(lstmRef[i], lstm[i], 0.0, "lstm h=" + h + " output " + i);
      }
      for (boolean past : new boolean[] {true, false}) {
        float[] g = random(rng, 3 * h + 1, 1.0);
        float[] g2 = g.clone();
        float[] hr = random(rng, 3 * h + 1, 1.0);
        float[] bh = random(rng, h, 1.0);
        float[] hPrev = random(rng, h + 1, 1.0);
        float[] hn = new float[h + 1];
        float[] hn2 = new float[h + 1];
        float[] out = new float[h + 1];
        float[] out2 = new float[h + 1];
        k.gruState(g, 1, h, hr, 1, past, bh, hn, hPrev, out, 1);
        FloatKernels.SCALAR.gruState(g2, 1, h, hr, 1, past, bh, hn2, hPrev, out2, 1);
        assertClose(g2, g, 0.0, "gru candidate h=" + h);
        assertClose(hn2, hn, 0.0, "gru hn h=" + h);
        assertClose(out2, out, 0.0, "gru h h=" + h);
      }
    }
  }

  /** The GRU backward kernel: SIMD equals scalar bit for bit, and the scalar one the double formulas. */
  @ParameterizedTest
  @MethodSource("kernels")
  void gruBackwardKernelMatchesTheFormulas(FloatKernels k) {
    SplittableRandom rng = new SplittableRandom(7);
    for (int h : new int[] {1, 7, 16, 37, 64}) {
      for (boolean future : new boolean[] {true, false}) {
        float[] gates = random(rng, 3 * h + 2, 0.5);
        for (int j = 0; j < 2 * h; j++) {
          gates[2 + j] = 0.5f + 0.4f * (float) Math.tanh(gates[2 + j]); // r and z in (0, 1)
        }
        float[] dOut = random(rng, h, 1.0);
        float[] rec = random(rng, h, 1.0);
        float[] carry = random(rng, h, 1.0);
        float[] carry2 = carry.clone();
        float[] carryIn = carry.clone();
        float[] hPrev = random(rng, h, 1.0);
        float[] hn = random(rng, h, 1.0);
        float[][] o = {new float[h], new float[3 * h + 2], new float[3 * h + 2]};
        float[][] o2 = {new float[h], new float[3 * h + 2], new float[3 * h + 2]};
        k.gruBackward(gates, 2, h, dOut, rec, future, carry, hPrev, hn, o[0], o[1], o[2], 0);
        FloatKernels.SCALAR.gruBackward(gates, 2, h, dOut, rec, future, carry2, hPrev, hn, o2[0], o2[1], o2[2], 0);
        for (int i = 0; i < 3; i++) {
          assertClose(o2[i], o[i], 0.0, "gru backward h=" + h + " output " + i);
        }
        assertClose(carry2, carry, 0.0, "gru carry h=" + h);
        for (int j = 0; j < h; j++) {
          double d = dOut[j] + (future ? (double) rec[j] + carryIn[j] : 0.0);
          double rg = gates[2 + j];
          double zg = gates[2 + h + j];
          double ng = gates[2 + 2 * h + j];
          double dn = d * (1 - zg) * (1 - ng * ng);
          assertEquals(d, o2[0][j], 1e-5 * Math.max(1, Math.abs(d)), "dh");
          assertEquals(dn * hn[j] * rg * (1 - rg), o2[1][2 + j], 1e-5, "dr");
          assertEquals(d * (hPrev[j] - ng) * zg * (1 - zg), o2[1][2 + h + j], 1e-5, "dz");
          assertEquals(dn, o2[1][2 + 2 * h + j], 1e-5, "dn");
          assertEquals(dn * rg, o2[2][2 + 2 * h + j], 1e-5, "dn r");
          assertEquals(d * zg, carry2[j], 1e-5 * Math.max(1, Math.abs(d)), "carry");
        }
      }
    }
  }

  /**
   * The backward kernels flush gradients below {@link ScalarFloatKernels#FLUSH_BELOW} (2^-96) to zero, both
   * implementations alike, and leave larger ones and NaN alone: a gradient of 1e-20 times gate derivatives of 1e-10
   * is 0, not 1e-30; and so is every value the GRU's kernel derives from a kept gradient that falls below it.
   */
  @ParameterizedTest
  @MethodSource("kernels")
  void backwardKernelsFlushTinyResultsToZero(FloatKernels k) {
    int h = 37;
    float[] tiny = new float[h];
    float[] zero = new float[h];
    java.util.Arrays.fill(tiny, 1e-20f);
    tiny[3] = Float.NaN;
    tiny[5] = 1f;
    float[] hv = new float[h];
    java.util.Arrays.fill(hv, 0.5f);
    float[] dh = new float[h];
    float[] dz = new float[h];
    k.rnnBackward(Activation.IDENTITY, tiny, zero, hv, dh, dz, h);
    float[] dz2 = new float[h];
    float[] small = tiny.clone();
    for (int j = 0; j < h; j++) {
      small[j] = tiny[j] * 1e-10f; // 1e-30: below 2^-96 (about 1.26e-29)
    }
    float[] dh2 = new float[h];
    k.rnnBackward(Activation.IDENTITY, small, zero, hv, dh2, dz2, h);
    for (int j = 0; j < h; j++) {
      if (j == 3) {
        assertTrue(Float.isNaN(dh2[j]) && Float.isNaN(dz2[j]), "NaN stays NaN");
      } else if (j == 5) {
        assertEquals(1e-10f, dh2[j], 0f, "a larger value is kept");
      } else {
        assertEquals(0f, dh2[j], 0f, "tiny dh at " + j);
        assertEquals(0f, dz2[j], 0f, "tiny dz at " + j);
        assertEquals(1e-20f, dh[j], 0f, "kept dh at " + j);
      }
    }
    float[] gates = new float[4 * h];
    java.util.Arrays.fill(gates, 0.5f);
    float[] o1 = new float[h];
    float[] o2 = new float[h];
    float[] o3 = new float[4 * h];
    float[] carry = new float[h];
    k.lstmBackward(gates, 0, h, small, zero, hv, hv, carry, o1, o2, o3, 0);
    for (int j = 0; j < h; j++) {
      if (j != 3 && j != 5) {
        assertEquals(0f, o1[j], 0f, "lstm dh at " + j);
        assertEquals(0f, o2[j], 0f, "lstm dc at " + j);
        assertEquals(0f, carry[j], 0f, "lstm carry at " + j);
        for (int g = 0; g < 4; g++) {
          assertEquals(0f, o3[g * h + j], 0f, "lstm dz block " + g + " at " + j + " (of a flushed dc)");
        }
      }
    }
    float[] gg = new float[3 * h];
    java.util.Arrays.fill(gg, 0.5f);
    float[] g1 = new float[h];
    float[] g2 = new float[3 * h];
    float[] g3 = new float[3 * h];
    float[] gc = new float[h];
    k.gruBackward(gg, 0, h, small, zero, false, gc, hv, hv, g1, g2, g3, 0);
    for (int j = 0; j < h; j++) {
      if (j != 3 && j != 5) {
        assertEquals(0f, g1[j], 0f, "gru dh at " + j);
        assertEquals(0f, gc[j], 0f, "gru carry at " + j);
        for (int g = 0; g < 3; g++) {
          assertEquals(0f, g2[g * h + j], 0f, "gru dz block " + g + " at " + j);
          assertEquals(0f, g3[g * h + j], 0f, "gru dhr block " + g + " at " + j);
        }
      }
    }
    // a kept gradient whose derived values fall below the threshold: 2e-29 * (1 - 0.5) * (1 - 0.25) = 7.5e-30
    float[] kept = new float[h];
    java.util.Arrays.fill(kept, 2e-29f);
    k.gruBackward(gg, 0, h, kept, zero, false, gc, hv, hv, g1, g2, g3, 0);
    for (int j = 0; j < h; j++) {
      assertEquals(2e-29f, g1[j], 0f, "gru dh kept at " + j);
      assertEquals(0f, g2[2 * h + j], 0f, "gru dn flushed at " + j);
      assertEquals(0f, g3[2 * h + j], 0f, "gru dhr_n flushed at " + j);
      assertEquals(0f, gc[j], 0f, "gru carry (1e-29) flushed at " + j);
    }
  }

  @ParameterizedTest
  @MethodSource("kernels")
  void backwardKernelsMatchTheScalarOnes(FloatKernels k) {
    SplittableRandom rng = new SplittableRandom(5);
    for (int h : new int[] {1, 7, 16, 37, 64}) {
      float[] gates = random(rng, 4 * h, 1.0);
      float[] dOut = random(rng, h, 1.0);
      float[] rec = random(rng, h, 1.0);
      float[] tc = random(rng, h, 0.5);
      float[] cPrev = random(rng, h, 1.0);
      float[] carry = random(rng, h, 1.0);
      float[] carry2 = carry.clone();
      float[][] o = new float[3][];
      float[][] o2 = new float[3][];
      o[0] = new float[h];
      o[1] = new float[h];
      o[2] = new float[4 * h];
      o2[0] = new float[h];
      o2[1] = new float[h];
      o2[2] = new float[4 * h];
      k.lstmBackward(gates, 0, h, dOut, rec, tc, cPrev, carry, o[0], o[1], o[2], 0);
      FloatKernels.SCALAR.lstmBackward(gates, 0, h, dOut, rec, tc, cPrev, carry2, o2[0], o2[1], o2[2], 0);
      for (int i = 0; i < 3; i++) {
        assertClose(o2[i], o[i], 0.0, "lstm backward h=" + h + " output " + i);
      }
      assertClose(carry2, carry, 0.0, "lstm carry h=" + h);
      for (Activation act : Activation.values()) {
        float[] hv = random(rng, h, 0.5);
        float[] dh = new float[h];
        float[] dz = new float[h];
        float[] dh2 = new float[h];
        float[] dz2 = new float[h];
        k.rnnBackward(act, dOut, rec, hv, dh, dz, h);
        for (int j = 0; j < h; j++) {
          dh2[j] = dOut[j] + rec[j];
          dz2[j] = (float) (dh2[j] * act.derivativeFromOutput(hv[j]));
        }
        assertClose(dh2, dh, 0.0, "rnn backward dh " + act);
        assertClose(dz2, dz, 1e-6, "rnn backward dz " + act);
      }
    }
  }

  /**
   * The input part of the pre-activations (small input folded into the forward kernel): SIMD equals scalar bit for
   * bit, with and without h R to add, and both equal the fused multiply-adds in the order of the inputs.
   */
  @ParameterizedTest
  @MethodSource("kernels")
  void inputGatesKernelMatchesTheScalarOneAndTheFormula(FloatKernels k) {
    SplittableRandom rng = new SplittableRandom(9);
    for (int g : new int[] {1, 7, 16, 40, 256}) {
      for (int in : new int[] {1, 2, 3, 8}) {
        float[] w = random(rng, in * g, 1.0);
        float[] b = random(rng, g, 1.0);
        float[] x = random(rng, 2 * in, 1.0);
        float[] hr = random(rng, g + 3, 1.0);
        for (boolean addZ : new boolean[] {false, true}) {
          float[] z = hr.clone();
          float[] z2 = hr.clone();
          k.inputGates(z, 3, addZ, x, in, in, w, b, g);
          FloatKernels.SCALAR.inputGates(z2, 3, addZ, x, in, in, w, b, g);
          assertArrayEquals(z2, z, 0f, "g=" + g + " in=" + in + " addZ=" + addZ);
          for (int j = 0; j < 3; j++) {
            assertEquals(hr[j], z[j], 0f, "before the offset");
          }
          for (int j = 0; j < g; j++) {
            float v = b[j];
            for (int kk = 0; kk < in; kk++) {
              v = Math.fma(x[in + kk], w[kk * g + j], v);
            }
            assertEquals(addZ ? hr[3 + j] + v : v, z[3 + j], 0f, "g=" + g + " in=" + in + " at " + j);
          }
        }
      }
    }
  }

  @Test
  void floatExpIsWithinAFewUlpOfTheExactValue() {
    double worst = 0;
    for (float x = -87f; x <= 88f; x += 0.0137f) {
      double exact = Math.exp(x);
      worst = Math.max(worst, Math.abs(ScalarFloatKernels.exp(x) - exact) / exact);
    }
    assertTrue(worst < 4e-7, "largest relative error " + worst); // float's ulp is 6e-8..1.2e-7 relative
    assertEquals(1f, ScalarFloatKernels.exp(0f), 0f);
    assertTrue(Float.isNaN(ScalarFloatKernels.exp(Float.NaN)));
  }

  /** Skipping dL/dx changes nothing else: the parameter gradients and the loss are the same. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("io.gradsweep.engine.CellCases#names")
  void skippingTheInputGradientLeavesTheParameterGradientsAlone(String cell) {
    NetSpec ns = new NetSpec(cell, Activation.TANH, 2, 24, 2, 1, InitScheme.DEFAULT, 1.0);
    RecurrentNet a = new RecurrentNet(ns, 3, DataType.FLOAT);
    RecurrentNet b = new RecurrentNet(ns, 3, DataType.FLOAT);
    SplittableRandom rng = new SplittableRandom(2);
    int steps = 11;
    int batch = 4;
    INDArray x = Nd4j.create(random(rng, steps * batch * 2, 1.0), new long[] {(long) steps * batch, 2});
    INDArray y = Nd4j.create(random(rng, batch, 1.0), new long[] {batch, 1});
    for (int window : new int[] {0, 5}) {
      double la = a.computeGradient(x, y, steps, batch, window, true);
      double lb = b.computeGradient(x, y, steps, batch, window, false);
      assertEquals(la, lb, 0.0, cell);
      assertArrayEquals(InitialStateTest.vec(a.gradients()), InitialStateTest.vec(b.gradients()), 0.0, cell);
      assertTrue(a.inputGradient().norm2Number().doubleValue() > 0, cell);
      assertEquals(0.0, b.inputGradient().norm2Number().doubleValue(), 0.0, cell);
    }
  }

  /** Every registered cell, with every activation for the cells that use one. */
  static Stream<Arguments> cells() {
    return CellCases.withActivations(List.of(Activation.values())).stream();
  }

  private static RecurrentLayer layer(String cell, Activation act, int hidden, DataType dt) {
    return CellCases.layer(cell, act, IN, hidden, dt);
  }

  /**
   * The LSTM's float path keeps its backward state on the heap up to a size and copies it to native arrays above:
   * both give the same bits (outputs, final state, dL/dh, dL/dc, parameter gradients, gate means), for a small
   * input (x W folded into the step kernel) and a large one (one product before the loop), with and without a start
   * state, over the whole sequence and truncated.
   */
  @ParameterizedTest(name = "in={0}")
  @ValueSource(ints = {3, 12})
  void lstmHeapStateGivesTheBitsOfTheCopyingPath(int in) {
    int hidden = 37;
    int steps = 9;
    int batch = 5;
    LstmLayer a = (LstmLayer) CellCases.layer("lstm", Activation.TANH, in, hidden, DataType.FLOAT);
    LstmLayer b = (LstmLayer) CellCases.layer("lstm", Activation.TANH, in, hidden, DataType.FLOAT);
    b.heapStateMax(0);
    long n = a.paramCount();
    INDArray p = Nd4j.zeros(DataType.FLOAT, 1, n);
    a.bind(p, Nd4j.zeros(DataType.FLOAT, 1, n), 0);
    a.init(new SplittableRandom(8), InitScheme.DEFAULT);
    p.addi(0.05);
    b.bind(p.dup(), Nd4j.zeros(DataType.FLOAT, 1, n), 0);
    SplittableRandom rng = new SplittableRandom(9);
    INDArray x = Nd4j.create(random(rng, steps * batch * in, 1.0), new long[] {(long) steps * batch, in});
    INDArray h0 = Nd4j.create(random(rng, batch * hidden, 0.5), new long[] {batch, hidden});
    INDArray c0 = Nd4j.create(random(rng, batch * hidden, 0.5), new long[] {batch, hidden});
    INDArray dOut = Nd4j.create(random(rng, steps * batch * hidden, 1.0), new long[] {(long) steps * batch, hidden});
    for (boolean withState : new boolean[] {false, true}) {
      RecurrentState s0 = withState ? new RecurrentState(h0, c0) : null;
      for (int first : new int[] {0, 4}) {
        String combo = "state=" + withState + " first=" + first;
        INDArray outA = a.forward(x, steps, batch, s0, null);
        INDArray outB = b.forward(x, steps, batch, s0, null);
        assertArrayEquals(flat(outB), flat(outA), 0f, combo + " h");
        assertArrayEquals(flat(b.finalState().c()), flat(a.finalState().c()), 0f, combo + " c_T");
        assertEquals(b.health(), a.health(), combo + " gate means");
        INDArray dxA = a.backward(dOut, first);
        INDArray dxB = b.backward(dOut, first);
        assertArrayEquals(flat(dxB), flat(dxA), 0f, combo + " dx");
        assertArrayEquals(flat(b.hiddenGradients()), flat(a.hiddenGradients()), 0f, combo + " dh");
        assertArrayEquals(flat(b.cellGradients()), flat(a.cellGradients()), 0f, combo + " dc");
        for (int k = 0; k < a.blocks().size(); k++) {
          assertArrayEquals(flat(b.blocks().get(k).grad()), flat(a.blocks().get(k).grad()), 0f,
              combo + " grad " + a.blocks().get(k).type());
        }
        assertTrue(a.blocks().get(1).grad().norm2Number().doubleValue() > 0, combo + " dR is not zero");
      }
    }
  }

  private static float[] flat(INDArray a) {
    return a.reshape(a.length()).toFloatVector();
  }

  /** Float forward (fast path) equals the double forward on the same weights, with and without a start state. */
  @ParameterizedTest(name = "{0}/{1}")
  @MethodSource("cells")
  void floatForwardMatchesDoubleForward(String cell, Activation act) {
    int hidden = 37; // not a multiple of the SIMD width: exercises the tails
    int steps = 9;
    int batch = 5;
    RecurrentLayer d = layer(cell, act, hidden, DataType.DOUBLE);
    RecurrentLayer f = layer(cell, act, hidden, DataType.FLOAT);
    long n = d.paramCount();
    INDArray pd = Nd4j.zeros(DataType.DOUBLE, 1, n);
    d.bind(pd, Nd4j.zeros(DataType.DOUBLE, 1, n), 0);
    d.init(new SplittableRandom(8), InitScheme.DEFAULT);
    for (ParamBlock p : d.blocks()) {
      p.param().addi(0.05); // non-zero biases
    }
    f.bind(pd.castTo(DataType.FLOAT), Nd4j.zeros(DataType.FLOAT, 1, n), 0);
    SplittableRandom rng = new SplittableRandom(9);
    double[] xv = new double[steps * batch * IN];
    for (int i = 0; i < xv.length; i++) {
      xv[i] = rng.nextGaussian();
    }
    INDArray xd = Nd4j.create(xv, new long[] {(long) steps * batch, IN}, DataType.DOUBLE);
    INDArray xf = xd.castTo(DataType.FLOAT);
    double[] h0v = new double[batch * hidden];
    for (int i = 0; i < h0v.length; i++) {
      h0v[i] = rng.nextDouble(-0.5, 0.5);
    }
    INDArray h0 = Nd4j.create(h0v, new long[] {batch, hidden}, DataType.DOUBLE);
    INDArray c0 = d.hasCellState() ? h0.mul(0.7) : null;
    for (boolean withState : new boolean[] {false, true}) {
      RecurrentState sd = withState ? new RecurrentState(h0, c0) : null;
      RecurrentState sf = withState ? new RecurrentState(h0.castTo(DataType.FLOAT),
          c0 == null ? null : c0.castTo(DataType.FLOAT)) : null;
      double[] outD = InitialStateTest.vec(d.forward(xd, steps, batch, sd, null));
      double[] outF = InitialStateTest.vec(f.forward(xf, steps, batch, sf, null));
      for (int i = 0; i < outD.length; i++) {
        assertEquals(outD[i], outF[i], 1e-4 * Math.max(1.0, Math.abs(outD[i])),
            cell + "/" + act.word() + " state=" + withState + " output " + i);
      }
      // backward, in full and truncated (first = 4), from what the fast forward stored: gradients agree too
      for (int first : new int[] {0, 4}) {
        String combo = cell + "/" + act.word() + " state=" + withState + " first=" + first;
        INDArray gd = Nd4j.ones(DataType.DOUBLE, (long) steps * batch, hidden);
        double[] dxD = InitialStateTest.vec(d.backward(gd, first));
        double[] dxF = InitialStateTest.vec(f.backward(gd.castTo(DataType.FLOAT), first));
        assertClose(d.hiddenGradients(), f.hiddenGradients(), combo + " dL/dh");
        for (int i = 0; i < dxD.length; i++) {
          assertEquals(dxD[i], dxF[i], 1e-3 * Math.max(1.0, Math.abs(dxD[i])),
              combo + " dx " + i);
        }
        if (withState && first == 0) {
          assertClose(d.initialStateGradient().h(), f.initialStateGradient().h(), combo + " dL/dh_0");
          if (d.hasCellState()) {
            assertClose(d.initialStateGradient().c(), f.initialStateGradient().c(), combo + " dL/dc_0");
          }
        }
        for (int b = 0; b < d.blocks().size(); b++) {
          double[] gD = InitialStateTest.vec(d.blocks().get(b).grad());
          double[] gF = InitialStateTest.vec(f.blocks().get(b).grad());
          for (int i = 0; i < gD.length; i++) {
            assertEquals(gD[i], gF[i], 1e-3 * Math.max(1.0, Math.abs(gD[i])),
                combo + " grad " + d.blocks().get(b).type() + " " + i);
          }
        }
      }
    }
  }
}
