package io.gradsweep.engine;

/**
 * Element-wise kernels of the engine's single-precision fast path, on spans of heap {@code float[]} arrays: one
 * call per span of a time step (a few hundred to a few thousand elements), so the choice of implementation costs
 * nothing per element.
 *
 * <p>{@link #INSTANCE} uses the JDK's Vector API (SIMD, with the JIT's vectorised exp) when the JVM was started
 * with {@code --add-modules jdk.incubator.vector} (gradsweep's scripts, Maven's tests and the Spark job's
 * executors do this), else plain Java loops. {@link #current()} is what the layers use: {@link #INSTANCE} unless
 * {@link #use} chose the loops (setting {@code spark.gradsweep.kernels=scalar}, applied by each trial). Both agree
 * to float rounding; a run is reproducible for a given choice (see {@link #name()}).
 */
abstract class FloatKernels {
  static final FloatKernels SCALAR = new ScalarFloatKernels();
  /** The best kernels this JVM has. */
  static final FloatKernels INSTANCE = choose();
  private static volatile FloatKernels current = INSTANCE;

  /** The kernels the layers use now. */
  static FloatKernels current() {
    return current;
  }

  /** {@code scalar}: the plain-Java loops from now on in this JVM; false: {@link #INSTANCE}. */
  static void use(boolean scalar) {
    current = scalar ? SCALAR : INSTANCE;
  }

  private static FloatKernels choose() {
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
      return SCALAR;
    }
    try {
      return (FloatKernels) Class.forName("io.gradsweep.engine.VectorFloatKernels").getDeclaredConstructor()
          .newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      return SCALAR;
    }
  }

  /** {@code vector} or {@code scalar}: which implementation {@link #INSTANCE} is. */
  abstract String name();

  /** a[ao + j] += b[bo + j], j < len. */
  abstract void add(float[] a, int ao, float[] b, int bo, int len);

  /** y[yo + j] += a * x[xo + j], j < len. */
  abstract void axpy(float[] y, int yo, float a, float[] x, int xo, int len);

  /**
   * The input part of one example's pre-activations, for a small input: v_j = b[j] + x[xo] w[j] + x[xo + 1] w[g + j]
   * + ... (fused multiply-adds in the order of the inputs, {@code in} of them; {@code w} is W [in, g] row-major),
   * then z[zo + j] = z[zo + j] + v_j with {@code addZ} (z holds h R), else v_j; j < g.
   */
  abstract void inputGates(float[] z, int zo, boolean addZ, float[] x, int xo, int in, float[] w, float[] b, int g);

  /** a[o + j] = sigmoid(a[o + j]), j < len. */
  abstract void sigmoid(float[] a, int o, int len);

  /** a[o + j] = tanh(a[o + j]), j < len. */
  abstract void tanh(float[] a, int o, int len);

  /** a[o + j] = max(a[o + j], 0), j < len. */
  abstract void relu(float[] a, int o, int len);

  /**
   * LSTM state update for one example: with the activated gates i, f, g, o at {@code gates[go ..]} (four blocks
   * of {@code h}), c = f c_prev + i g, tc = tanh(c), out = o tc; c_prev at {@code cPrev[co ..]}, results at
   * {@code c[co ..]}, {@code tc[co ..]}, {@code out[co ..]}.
   */
  final void lstmState(float[] gates, int go, int h, float[] cPrev, float[] c, float[] tc, float[] out, int co) {
    lstmState(gates, go, h, cPrev, co, c, co, tc, co, out, co);
  }

  /** {@link #lstmState} with an offset per array: c_prev at {@code cPrev[po ..]}, c, tc and out at co, to, oo. */
  abstract void lstmState(float[] gates, int go, int h, float[] cPrev, int po, float[] c, int co, float[] tc, int to,
      float[] out, int oo);

  /**
   * GRU update for one example, after r and z are activated at {@code gates[go ..]} and {@code gates[go + h ..]}
   * and the candidate's input part (x W_n + b_n) sits at {@code gates[go + 2h ..]}: hn = hr_n + bh_n (hr_n at
   * {@code hr[ro ..]}, or 0 without a past), n = tanh(x W_n + b_n + r hn) written over the candidate, hn to
   * {@code hn[so ..]}, and h = n + z (h_prev - n) to {@code hOut[so ..]} (h_prev at {@code hPrev[so ..]}).
   */
  abstract void gruState(float[] gates, int go, int h, float[] hr, int ro, boolean fromPast, float[] bh,
      float[] hn, float[] hPrev, float[] hOut, int so);

  /**
   * LSTM backward for one example at one step: dh = dOut + rec; with the stored gates i, f, g, o at
   * {@code gates[go ..]}, tanh(c) at {@code tc[so ..]}, c_{t-1} at {@code cPrev[so ..]} and dL/dc_{t+1} f_{t+1}
   * in {@code carry[so ..]}: dc = dh o (1 - tc^2) + carry; writes dh, dc, the four pre-activation gradients at
   * {@code dz[go ..]} and carry = dc f.
   */
  final void lstmBackward(float[] gates, int go, int h, float[] dOut, float[] rec, float[] tc, float[] cPrev,
      float[] carry, float[] dh, float[] dc, float[] dz, int so) {
    lstmBackward(gates, go, h, dOut, rec, tc, so, cPrev, so, carry, dh, dc, dz, go, so);
  }

  /**
   * {@link #lstmBackward} with more offsets: tanh(c) at {@code tc[to ..]}, c_{t-1} at {@code cPrev[po ..]}, the
   * pre-activation gradients at {@code dz[zo ..]}; dOut, rec, carry, dh and dc at so.
   */
  abstract void lstmBackward(float[] gates, int go, int h, float[] dOut, float[] rec, float[] tc, int to,
      float[] cPrev, int po, float[] carry, float[] dh, float[] dc, float[] dz, int zo, int so);

  /**
   * GRU backward for one example at one step: dh = dOut + rec + carry (rec and carry only from a future step);
   * with the stored r, z, n at {@code gates[go ..]}, h_{t-1} at {@code hPrev[so ..]} and hr_n + bh_n at
   * {@code hn[so ..]}: writes dh, the pre-activation gradients dr, dz, dn at {@code dz[go ..]}, the gradients of
   * h R + [0, 0, bh] (dr, dz, dn r) at {@code dhr[go ..]}, and carry = dh z.
   */
  abstract void gruBackward(float[] gates, int go, int h, float[] dOut, float[] rec, boolean fromFuture,
      float[] carry, float[] hPrev, float[] hn, float[] dh, float[] dz, float[] dhr, int so);

  /** Vanilla RNN backward: dh = dOut + rec, dz = dh f'(from the output h), over {@code len} elements. */
  abstract void rnnBackward(Activation act, float[] dOut, float[] rec, float[] h, float[] dh, float[] dz, int len);

  /** Element-wise activation of a vanilla RNN. */
  final void activation(Activation act, float[] a, int o, int len) {
    switch (act) {
      case TANH -> tanh(a, o, len);
      case SIGMOID -> sigmoid(a, o, len);
      case RELU -> relu(a, o, len);
      case IDENTITY -> {
        // nothing
      }
    }
  }
}
