package io.gradsweep.engine;

/** {@link FloatKernels} as plain Java loops (the same formulas as the engine's double-precision path). */
final class ScalarFloatKernels extends FloatKernels {

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
  void sigmoid(float[] a, int o, int len) {
    for (int j = o; j < o + len; j++) {
      a[j] = (float) Buf.sigmoid(a[j]);
    }
  }

  @Override
  void tanh(float[] a, int o, int len) {
    for (int j = o; j < o + len; j++) {
      a[j] = (float) Buf.tanh(a[j]);
    }
  }

  @Override
  void relu(float[] a, int o, int len) {
    for (int j = o; j < o + len; j++) {
      a[j] = a[j] > 0 ? a[j] : 0f;
    }
  }

  @Override
  void lstmState(float[] gates, int go, int h, float[] cPrev, float[] c, float[] tc, float[] out, int co) {
    for (int j = 0; j < h; j++) {
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
    for (int j = 0; j < h; j++) {
      float hnv = (fromPast ? hr[ro + 2 * h + j] : 0f) + bh[j];
      float n = (float) Buf.tanh(gates[go + 2 * h + j] + gates[go + j] * hnv);
      float zg = gates[go + h + j];
      gates[go + 2 * h + j] = n;
      hn[so + j] = hnv;
      hOut[so + j] = n + zg * (hPrev[so + j] - n);
    }
  }
}
