package io.gradsweep.engine;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FloatKernels} on the JDK's Vector API: whole SIMD registers per operation, with the JIT's vectorised
 * exp and tanh; the tails shorter than a register go through the scalar loops. Loaded by reflection only when
 * the module is present.
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

  private static FloatVector sigmoid(FloatVector x) {
    FloatVector one = FloatVector.broadcast(S, 1f);
    return one.div(x.neg().lanewise(VectorOperators.EXP).add(one));
  }

  private static FloatVector tanh(FloatVector x) {
    return x.lanewise(VectorOperators.TANH);
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
  void lstmState(float[] gates, int go, int h, float[] cPrev, float[] c, float[] tc, float[] out, int co) {
    int j = 0;
    for (; j <= h - L; j += L) {
      FloatVector i = FloatVector.fromArray(S, gates, go + j);
      FloatVector f = FloatVector.fromArray(S, gates, go + h + j);
      FloatVector g = FloatVector.fromArray(S, gates, go + 2 * h + j);
      FloatVector o = FloatVector.fromArray(S, gates, go + 3 * h + j);
      FloatVector cv = f.mul(FloatVector.fromArray(S, cPrev, co + j)).add(i.mul(g));
      FloatVector t = tanh(cv);
      cv.intoArray(c, co + j);
      t.intoArray(tc, co + j);
      o.mul(t).intoArray(out, co + j);
    }
    if (j < h) {
      tailLstm(gates, go, h, j, cPrev, c, tc, out, co);
    }
  }

  private static void tailLstm(float[] gates, int go, int h, int from, float[] cPrev, float[] c, float[] tc,
      float[] out, int co) {
    for (int j = from; j < h; j++) {
      float cv = gates[go + h + j] * cPrev[co + j] + gates[go + j] * gates[go + 2 * h + j];
      float t = (float) Buf.tanh(cv);
      c[co + j] = cv;
      tc[co + j] = t;
      out[co + j] = gates[go + 3 * h + j] * t;
    }
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
    for (; j < h; j++) {
      float hnv = (fromPast ? hr[ro + 2 * h + j] : 0f) + bh[j];
      float n = (float) Buf.tanh(gates[go + 2 * h + j] + gates[go + j] * hnv);
      float zg = gates[go + h + j];
      gates[go + 2 * h + j] = n;
      hn[so + j] = hnv;
      hOut[so + j] = n + zg * (hPrev[so + j] - n);
    }
  }
}
