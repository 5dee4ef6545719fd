package io.gradsweep.engine;

/**
 * {@link FloatKernels} as plain Java loops. exp, sigmoid and tanh are computed with only IEEE additions,
 * multiplications, fused multiply-adds ({@link Math#fma}, one rounding; a CPU instruction on every x86-64 since 2013
 * and on ARM64), divisions and bit operations, in the same order as {@link VectorFloatKernels} does per lane, so
 * the two give bit-identical results, and so does a method before and after the JIT compiles it. The fused
 * multiply-adds made the vector sigmoid about 1.7x faster than separate multiplications and additions.
 */
final class ScalarFloatKernels extends FloatKernels {
  /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer (round half to even). */
  static final float ROUND = 12582912f;
  static final float LOG2E = 1.44269504f;
  /** ln 2 split in two (Cody and Waite): the first part has few bits, so n * LN2_HI is exact. */
  static final float LN2_HI = 0.693359375f;
  static final float LN2_LO = -2.12194440e-4f;
  static final float EXP_MIN = -87f;
  static final float EXP_MAX = 88f;
  /** 1/k!, k = 2..7: Taylor polynomial of exp on |r| <= ln(2)/2, relative error below 1e-8. */
  static final float C2 = 0.5f;
  static final float C3 = 1.66666667e-1f;
  static final float C4 = 4.16666667e-2f;
  static final float C5 = 8.33333333e-3f;
  static final float C6 = 1.38888889e-3f;
  static final float C7 = 1.98412698e-4f;

  /** exp(x) in float, |relative error| of a few ulp, for x clamped to [-87, 88]; NaN stays NaN. */
  static float exp(float x) {
    float c = Math.min(Math.max(x, EXP_MIN), EXP_MAX);
    float t = Math.fma(c, LOG2E, ROUND);
    float n = t - ROUND;
    int k = Float.floatToRawIntBits(t) - Float.floatToRawIntBits(ROUND);
    float r = Math.fma(n, -LN2_LO, Math.fma(n, -LN2_HI, c));
    float p = C7;
    p = Math.fma(p, r, C6);
    p = Math.fma(p, r, C5);
    p = Math.fma(p, r, C4);
    p = Math.fma(p, r, C3);
    p = Math.fma(p, r, C2);
    p = Math.fma(p, r, 1f);
    p = Math.fma(p, r, 1f);
    return p * Float.intBitsToFloat((k + 127) << 23);
  }

  /**
   * Gradients smaller than this (2^-96, about 1.26e-29) are flushed to zero by the backward kernels: see
   * {@link #ftz}. 2^-96 because a kept gradient times any factor down to 2^-30 (about 1e-9: an activation, a gate
   * derivative, a weight) is still a normal float (at least 2^-126), so the products of the next steps, OpenBLAS's
   * included, see no subnormal operands or results. At the 1.2e-38 of the subnormal range itself, a GRU's vanishing
   * gradient (which, unlike an LSTM's, shrinks through the whole tiny-normal range) still fed the products numbers
   * whose products were subnormal: at hidden 128, batch 64, T 400 that made its step 2.3x slower (327 against 145
   * ms, one run each on this project's 2-vCPU machine; jobs/bin/benchmark --cells gru --shapes 128x64x400/3/8).
   */
  static final float FLUSH_BELOW = 0x1p-96f;

  /**
   * A gradient below {@link #FLUSH_BELOW} to zero; NaN and everything else unchanged. Every backward kernel flushes
   * the state gradient it carries from step to step (dL/dh, and an LSTM's dL/dc); the GRU's also flushes every
   * gradient it writes (its gate gradients, dhr and the carried part), because a GRU's gradient decays through the
   * whole tiny range and those values feed the next products. The LSTM's and the vanilla RNN's gate gradients are
   * products of a flushed state gradient and gate factors, so they are tiny only where a gate saturates; flushing
   * them too cost the LSTM's small-shape step 8-12% (hidden 64, batch 32, T 100: 5.79 against 6.25-6.61 ms, one run
   * each) and is not done. A gradient this small carries nothing a float step can use (it is 2^-70 below the float
   * resolution of any gradient of order 2^-26 it would be added to, and Adam's epsilon of 1e-8 turns it into a null
   * update), and on x86 every operation on a subnormal number takes a microcode assist, many times slower (long
   * sequences made whole steps several times slower). Flushed there, the decay stops within a few steps instead of
   * running through the tiny and subnormal ranges. Gradient profiles show such a step as 0 (a vanished step, left out
   * of the log-scale fits).
   */
  static float ftz(float x) {
    return Math.abs(x) < FLUSH_BELOW ? 0f : x;
  }

  static float sigmoid(float x) {
    return 1f / (1f + exp(-x));
  }

  static float tanh(float x) {
    float e = exp(-2f * Math.abs(x));
    float t = (1f - e) / (1f + e);
    return x < 0 ? -t : t;
  }

  @Override
  String name() {
    return "scalar";
  }

  @Override
  void add(float[] a, int ao, float[] b, int bo, int len) {
    for (int j = 0; j < len; j++) {
      a[ao + j] += b[bo + j];
    }
  }

  @Override
  void axpy(float[] y, int yo, float a, float[] x, int xo, int len) {
    for (int j = 0; j < len; j++) {
      y[yo + j] += a * x[xo + j];
    }
  }

  @Override
  void sigmoid(float[] a, int o, int len) {
    for (int j = o; j < o + len; j++) {
      a[j] = sigmoid(a[j]);
    }
  }

  @Override
  void tanh(float[] a, int o, int len) {
    for (int j = o; j < o + len; j++) {
      a[j] = tanh(a[j]);
    }
  }

  @Override
  void relu(float[] a, int o, int len) {
    for (int j = o; j < o + len; j++) {
      a[j] = a[j] > 0 ? a[j] : 0f;
    }
  }

  @Override
  void inputGates(float[] z, int zo, boolean addZ, float[] x, int xo, int in, float[] w, float[] b, int g) {
    inputGatesTail(z, zo, addZ, x, xo, in, w, b, g, 0);
  }

  /** {@link #inputGates} for elements {@code from..g-1} (the SIMD kernels' tail). */
  static void inputGatesTail(float[] z, int zo, boolean addZ, float[] x, int xo, int in, float[] w, float[] b, int g,
      int from) {
    for (int j = from; j < g; j++) {
      float v = b[j];
      for (int k = 0; k < in; k++) {
        v = Math.fma(x[xo + k], w[k * g + j], v);
      }
      z[zo + j] = addZ ? z[zo + j] + v : v;
    }
  }

  @Override
  void lstmState(float[] gates, int go, int h, float[] cPrev, int po, float[] c, int co, float[] tc, int to,
      float[] out, int oo) {
    lstmStateTail(gates, go, h, 0, cPrev, po, c, co, tc, to, out, oo);
  }

  /** {@link #lstmState} for elements {@code from..h-1} (the SIMD kernels' tail). */
  static void lstmStateTail(float[] gates, int go, int h, int from, float[] cPrev, int po, float[] c, int co,
      float[] tc, int to, float[] out, int oo) {
    for (int j = from; j < h; j++) {
      float cv = gates[go + h + j] * cPrev[po + j] + gates[go + j] * gates[go + 2 * h + j];
      float t = tanh(cv);
      c[co + j] = cv;
      tc[to + j] = t;
      out[oo + j] = gates[go + 3 * h + j] * t;
    }
  }

  @Override
  void gruBackward(float[] gates, int go, int h, float[] dOut, float[] rec, boolean fromFuture, float[] carry,
      float[] hPrev, float[] hn, float[] dh, float[] dz, float[] dhr, int so) {
    gruBackwardTail(gates, go, h, 0, dOut, rec, fromFuture, carry, hPrev, hn, dh, dz, dhr, so);
  }

  /** {@link #gruBackward} for elements {@code from..h-1} (the SIMD kernels' tail). */
  static void gruBackwardTail(float[] gates, int go, int h, int from, float[] dOut, float[] rec,
      boolean fromFuture, float[] carry, float[] hPrev, float[] hn, float[] dh, float[] dz, float[] dhr, int so) {
    for (int j = from; j < h; j++) {
      float d = ftz(fromFuture ? dOut[so + j] + (rec[so + j] + carry[so + j]) : dOut[so + j]);
      float rg = gates[go + j];
      float zg = gates[go + h + j];
      float ng = gates[go + 2 * h + j];
      float dn = ftz(d * (1f - zg) * (1f - ng * ng));
      float dzv = ftz(d * (hPrev[so + j] - ng) * zg * (1f - zg));
      float dr = ftz(dn * hn[so + j] * rg * (1f - rg));
      dh[so + j] = d;
      dz[go + j] = dr;
      dz[go + h + j] = dzv;
      dz[go + 2 * h + j] = dn;
      dhr[go + j] = dr;
      dhr[go + h + j] = dzv;
      dhr[go + 2 * h + j] = ftz(dn * rg);
      carry[so + j] = ftz(d * zg);
    }
  }

  @Override
  void gruState(float[] gates, int go, int h, float[] hr, int ro, boolean fromPast, float[] bh, float[] hn,
      float[] hPrev, float[] hOut, int so) {
    gruStateTail(gates, go, h, 0, hr, ro, fromPast, bh, hn, hPrev, hOut, so);
  }

  /** {@link #gruState} for elements {@code from..h-1} (the SIMD kernels' tail). */
  static void gruStateTail(float[] gates, int go, int h, int from, float[] hr, int ro, boolean fromPast, float[] bh,
      float[] hn, float[] hPrev, float[] hOut, int so) {
    for (int j = from; j < h; j++) {
      float hnv = (fromPast ? hr[ro + 2 * h + j] : 0f) + bh[j];
      float n = tanh(gates[go + 2 * h + j] + gates[go + j] * hnv);
      float zg = gates[go + h + j];
      gates[go + 2 * h + j] = n;
      hn[so + j] = hnv;
      hOut[so + j] = n + zg * (hPrev[so + j] - n);
    }
  }

  @Override
  void lstmBackward(float[] gates, int go, int h, float[] dOut, float[] rec, float[] tc, int to, float[] cPrev,
      int po, float[] carry, float[] dh, float[] dc, float[] dz, int zo, int so) {
    lstmBackwardTail(gates, go, h, 0, dOut, rec, tc, to, cPrev, po, carry, dh, dc, dz, zo, so);
  }

  static void lstmBackwardTail(float[] gates, int go, int h, int from, float[] dOut, float[] rec, float[] tc,
      int to, float[] cPrev, int po, float[] carry, float[] dh, float[] dc, float[] dz, int zo, int so) {
    for (int j = from; j < h; j++) {
      float d = ftz(dOut[so + j] + rec[so + j]);
      float ig = gates[go + j];
      float fg = gates[go + h + j];
      float gg = gates[go + 2 * h + j];
      float og = gates[go + 3 * h + j];
      float t = tc[to + j];
      float c = ftz(d * og * (1f - t * t) + carry[so + j]);
      dh[so + j] = d;
      dc[so + j] = c;
      dz[zo + j] = c * gg * ig * (1f - ig);
      dz[zo + h + j] = c * cPrev[po + j] * fg * (1f - fg);
      dz[zo + 2 * h + j] = c * ig * (1f - gg * gg);
      dz[zo + 3 * h + j] = d * t * og * (1f - og);
      carry[so + j] = c * fg;
    }
  }

  @Override
  void rnnBackward(Activation act, float[] dOut, float[] rec, float[] h, float[] dh, float[] dz, int len) {
    rnnBackwardTail(act, dOut, rec, h, dh, dz, 0, len);
  }

  static void rnnBackwardTail(Activation act, float[] dOut, float[] rec, float[] h, float[] dh, float[] dz,
      int from, int len) {
    for (int j = from; j < len; j++) {
      float d = ftz(dOut[j] + rec[j]);
      dh[j] = d;
      float hv = h[j];
      float deriv = switch (act) {
        case TANH -> 1f - hv * hv;
        case SIGMOID -> hv * (1f - hv);
        case RELU -> hv > 0 ? 1f : 0f;
        case IDENTITY -> 1f;
      };
      dz[j] = d * deriv;
    }
  }
}
