package io.gradsweep.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatKernels} on the JDK's Vector API: whole SIMD registers per operation; the tails shorter than a
 * register go through the scalar loops. exp is {@link ScalarFloatKernels#exp}'s polynomial, lane by lane, with the
 * same operations (fused multiply-adds included) in the same order: not the Vector API's EXP/TANH, whose results
 * differ between the JIT's intrinsic and the interpreter's fallback (a trial's numbers would depend on when the JIT
 * got to them). So the vector and scalar kernels agree bit for bit. Loaded by reflection only when the module is
 * present.
 */
final class VectorFloatKernels extends FloatKernels {
  private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
  private static final int L = S.length();

  @Override
  String name() {
    return "vector";
  }

  @Override
  void add(float[] a, int ao, float[] b, int bo, int len) {
    int j = 0;
    for (; j <= len - L; j += L) {
      FloatVector.fromArray(S, a, ao + j).add(FloatVector.fromArray(S, b, bo + j)).intoArray(a, ao + j);
    }
    SCALAR.add(a, ao + j, b, bo + j, len - j);
  }

  @Override
  void axpy(float[] y, int yo, float a, float[] x, int xo, int len) {
    int j = 0;
    for (; j <= len - L; j += L) {
      FloatVector.fromArray(S, y, yo + j).add(FloatVector.fromArray(S, x, xo + j).mul(a)).intoArray(y, yo + j);
    }
    SCALAR.axpy(y, yo + j, a, x, xo + j, len - j);
  }

  private static final FloatVector ROUND = FloatVector.broadcast(S, ScalarFloatKernels.ROUND);
  private static final int ROUND_BITS = Float.floatToRawIntBits(ScalarFloatKernels.ROUND) - 127;
  private static final FloatVector LOG2E = FloatVector.broadcast(S, ScalarFloatKernels.LOG2E);
  private static final FloatVector MINUS_LN2_HI = FloatVector.broadcast(S, -ScalarFloatKernels.LN2_HI);
  private static final FloatVector MINUS_LN2_LO = FloatVector.broadcast(S, -ScalarFloatKernels.LN2_LO);
  private static final FloatVector C7 = FloatVector.broadcast(S, ScalarFloatKernels.C7);
  private static final FloatVector C6 = FloatVector.broadcast(S, ScalarFloatKernels.C6);
  private static final FloatVector C5 = FloatVector.broadcast(S, ScalarFloatKernels.C5);
  private static final FloatVector C4 = FloatVector.broadcast(S, ScalarFloatKernels.C4);
  private static final FloatVector C3 = FloatVector.broadcast(S, ScalarFloatKernels.C3);
  private static final FloatVector C2 = FloatVector.broadcast(S, ScalarFloatKernels.C2);
  private static final FloatVector ONE = FloatVector.broadcast(S, 1f);

  private static FloatVector exp(FloatVector x) {
    FloatVector c = x.max(ScalarFloatKernels.EXP_MIN).min(ScalarFloatKernels.EXP_MAX);
    FloatVector t = c.fma(LOG2E, ROUND);
    FloatVector n = t.sub(ROUND);
    // (k + 127) << 23 with k = bits(t) - bits(ROUND)
    FloatVector scale = t.reinterpretAsInts().sub(ROUND_BITS).lanewise(VectorOperators.LSHL, 23)
        .reinterpretAsFloats();
    FloatVector r = n.fma(MINUS_LN2_LO, n.fma(MINUS_LN2_HI, c));
    FloatVector p = C7;
    p = p.fma(r, C6);
    p = p.fma(r, C5);
    p = p.fma(r, C4);
    p = p.fma(r, C3);
    p = p.fma(r, C2);
    p = p.fma(r, ONE);
    p = p.fma(r, ONE);
    return p.mul(scale);
  }

  /** Lanes below {@link ScalarFloatKernels#FLUSH_BELOW} to zero, as {@link ScalarFloatKernels#ftz}; NaN stays NaN. */
  private static FloatVector ftz(FloatVector x) {
    return x.blend(0f, x.abs().compare(VectorOperators.LT, ScalarFloatKernels.FLUSH_BELOW));
  }

  private static FloatVector sigmoid(FloatVector x) {
    FloatVector one = FloatVector.broadcast(S, 1f);
    return one.div(one.add(exp(x.neg())));
  }

  private static FloatVector tanh(FloatVector x) {
    FloatVector one = FloatVector.broadcast(S, 1f);
    FloatVector e = exp(x.abs().mul(-2f));
    FloatVector t = one.sub(e).div(one.add(e));
    return t.blend(t.neg(), x.compare(VectorOperators.LT, 0f));
  }

  @Override
  void sigmoid(float[] a, int o, int len) {
    int j = 0;
    for (; j <= len - L; j += L) {
      sigmoid(FloatVector.fromArray(S, a, o + j)).intoArray(a, o + j);
    }
    SCALAR.sigmoid(a, o + j, len - j);
  }

  @Override
  void tanh(float[] a, int o, int len) {
    int j = 0;
    for (; j <= len - L; j += L) {
      tanh(FloatVector.fromArray(S, a, o + j)).intoArray(a, o + j);
    }
    SCALAR.tanh(a, o + j, len - j);
  }

  @Override
  void relu(float[] a, int o, int len) {
    int j = 0;
    for (; j <= len - L; j += L) {
      FloatVector.fromArray(S, a, o + j).max(0f).intoArray(a, o + j);
    }
    SCALAR.relu(a, o + j, len - j);
  }

  @Override
  void inputGates(float[] z, int zo, boolean addZ, float[] x, int xo, int in, float[] w, float[] b, int g) {
    int j = 0;
    for (; j <= g - L; j += L) {
      FloatVector v = FloatVector.fromArray(S, b, j);
      for (int k = 0; k < in; k++) {
        v = FloatVector.broadcast(S, x[xo + k]).fma(FloatVector.fromArray(S, w, k * g + j), v);
      }
      if (addZ) {
        v = FloatVector.fromArray(S, z, zo + j).add(v);
      }
      v.intoArray(z, zo + j);
    }
    ScalarFloatKernels.inputGatesTail(z, zo, addZ, x, xo, in, w, b, g, j);
  }

  @Override
  void lstmState(float[] gates, int go, int h, float[] cPrev, int po, float[] c, int co, float[] tc, int to,
      float[] out, int oo) {
    int j = 0;
    for (; j <= h - L; j += L) {
      FloatVector i = FloatVector.fromArray(S, gates, go + j);
      FloatVector f = FloatVector.fromArray(S, gates, go + h + j);
      FloatVector g = FloatVector.fromArray(S, gates, go + 2 * h + j);
      FloatVector o = FloatVector.fromArray(S, gates, go + 3 * h + j);
      FloatVector cv = f.mul(FloatVector.fromArray(S, cPrev, po + j)).add(i.mul(g));
      FloatVector t = tanh(cv);
      cv.intoArray(c, co + j);
      t.intoArray(tc, to + j);
      o.mul(t).intoArray(out, oo + j);
    }
    ScalarFloatKernels.lstmStateTail(gates, go, h, j, cPrev, po, c, co, tc, to, out, oo);
  }

  @Override
  void gruBackward(float[] gates, int go, int h, float[] dOut, float[] rec, boolean fromFuture, float[] carry,
      float[] hPrev, float[] hn, float[] dh, float[] dz, float[] dhr, int so) {
    int j = 0;
    FloatVector one = FloatVector.broadcast(S, 1f);
    for (; j <= h - L; j += L) {
      FloatVector d = FloatVector.fromArray(S, dOut, so + j);
      if (fromFuture) {
        d = d.add(FloatVector.fromArray(S, rec, so + j).add(FloatVector.fromArray(S, carry, so + j)));
      }
      d = ftz(d);
      FloatVector rg = FloatVector.fromArray(S, gates, go + j);
      FloatVector zg = FloatVector.fromArray(S, gates, go + h + j);
      FloatVector ng = FloatVector.fromArray(S, gates, go + 2 * h + j);
      FloatVector dn = ftz(d.mul(one.sub(zg)).mul(one.sub(ng.mul(ng))));
      FloatVector dzv = ftz(d.mul(FloatVector.fromArray(S, hPrev, so + j).sub(ng)).mul(zg).mul(one.sub(zg)));
      FloatVector dr = ftz(dn.mul(FloatVector.fromArray(S, hn, so + j)).mul(rg).mul(one.sub(rg)));
      d.intoArray(dh, so + j);
      dr.intoArray(dz, go + j);
      dzv.intoArray(dz, go + h + j);
      dn.intoArray(dz, go + 2 * h + j);
      dr.intoArray(dhr, go + j);
      dzv.intoArray(dhr, go + h + j);
      ftz(dn.mul(rg)).intoArray(dhr, go + 2 * h + j);
      ftz(d.mul(zg)).intoArray(carry, so + j);
    }
    ScalarFloatKernels.gruBackwardTail(gates, go, h, j, dOut, rec, fromFuture, carry, hPrev, hn, dh, dz, dhr, so);
  }

  @Override
  void gruState(float[] gates, int go, int h, float[] hr, int ro, boolean fromPast, float[] bh, float[] hn,
      float[] hPrev, float[] hOut, int so) {
    int j = 0;
    for (; j <= h - L; j += L) {
      FloatVector hnv = FloatVector.fromArray(S, bh, j);
      if (fromPast) {
        hnv = hnv.add(FloatVector.fromArray(S, hr, ro + 2 * h + j));
      }
      FloatVector r = FloatVector.fromArray(S, gates, go + j);
      FloatVector zg = FloatVector.fromArray(S, gates, go + h + j);
      FloatVector n = tanh(FloatVector.fromArray(S, gates, go + 2 * h + j).add(r.mul(hnv)));
      n.intoArray(gates, go + 2 * h + j);
      hnv.intoArray(hn, so + j);
      n.add(zg.mul(FloatVector.fromArray(S, hPrev, so + j).sub(n))).intoArray(hOut, so + j);
    }
    ScalarFloatKernels.gruStateTail(gates, go, h, j, hr, ro, fromPast, bh, hn, hPrev, hOut, so);
  }

  @Override
  void lstmBackward(float[] gates, int go, int h, float[] dOut, float[] rec, float[] tc, int to, float[] cPrev,
      int po, float[] carry, float[] dh, float[] dc, float[] dz, int zo, int so) {
    int j = 0;
    for (; j <= h - L; j += L) {
      FloatVector d = ftz(FloatVector.fromArray(S, dOut, so + j).add(FloatVector.fromArray(S, rec, so + j)));
      FloatVector ig = FloatVector.fromArray(S, gates, go + j);
      FloatVector fg = FloatVector.fromArray(S, gates, go + h + j);
      FloatVector gg = FloatVector.fromArray(S, gates, go + 2 * h + j);
      FloatVector og = FloatVector.fromArray(S, gates, go + 3 * h + j);
      FloatVector t = FloatVector.fromArray(S, tc, to + j);
      FloatVector c = ftz(d.mul(og).mul(FloatVector.broadcast(S, 1f).sub(t.mul(t)))
          .add(FloatVector.fromArray(S, carry, so + j)));
      d.intoArray(dh, so + j);
      c.intoArray(dc, so + j);
      c.mul(gg).mul(ig).mul(ig.neg().add(1f)).intoArray(dz, zo + j);
      c.mul(FloatVector.fromArray(S, cPrev, po + j)).mul(fg).mul(fg.neg().add(1f)).intoArray(dz, zo + h + j);
      c.mul(ig).mul(FloatVector.broadcast(S, 1f).sub(gg.mul(gg))).intoArray(dz, zo + 2 * h + j);
      d.mul(t).mul(og).mul(og.neg().add(1f)).intoArray(dz, zo + 3 * h + j);
      c.mul(fg).intoArray(carry, so + j);
    }
    ScalarFloatKernels.lstmBackwardTail(gates, go, h, j, dOut, rec, tc, to, cPrev, po, carry, dh, dc, dz, zo, so);
  }

  @Override
  void rnnBackward(Activation act, float[] dOut, float[] rec, float[] h, float[] dh, float[] dz, int len) {
    int j = 0;
    for (; j <= len - L; j += L) {
      FloatVector d = ftz(FloatVector.fromArray(S, dOut, j).add(FloatVector.fromArray(S, rec, j)));
      FloatVector hv = FloatVector.fromArray(S, h, j);
      FloatVector deriv = switch (act) {
        case TANH -> FloatVector.broadcast(S, 1f).sub(hv.mul(hv));
        case SIGMOID -> hv.mul(FloatVector.broadcast(S, 1f).sub(hv));
        case RELU -> FloatVector.zero(S).blend(1f, hv.compare(VectorOperators.GT, 0f));
        case IDENTITY -> FloatVector.broadcast(S, 1f);
      };
      d.intoArray(dh, j);
      d.mul(deriv).intoArray(dz, j);
    }
    ScalarFloatKernels.rnnBackwardTail(act, dOut, rec, h, dh, dz, j, len);
  }
}
