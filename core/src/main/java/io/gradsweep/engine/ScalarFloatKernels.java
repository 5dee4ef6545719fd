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

  @Override
  void lstmBackward(float[] gates, int go, int h, float[] dOut, float[] rec, float[] tc, float[] cPrev,
      float[] carry, float[] dh, float[] dc, float[] dz, int so) {
    lstmBackwardTail(gates, go, h, 0, dOut, rec, tc, cPrev, carry, dh, dc, dz, so);
  }

  static void lstmBackwardTail(float[] gates, int go, int h, int from, float[] dOut, float[] rec, float[] tc,
      float[] cPrev, float[] carry, float[] dh, float[] dc, float[] dz, int so) {
    for (int j = from; j < h; j++) {
      float d = dOut[so + j] + rec[so + j];
      float ig = gates[go + j];
      float fg = gates[go + h + j];
      float gg = gates[go + 2 * h + j];
      float og = gates[go + 3 * h + j];
      float t = tc[so + j];
      float c = d * og * (1f - t * t) + carry[so + j];
      dh[so + j] = d;
      dc[so + j] = c;
      dz[go + j] = c * gg * ig * (1f - ig);
      dz[go + h + j] = c * cPrev[so + j] * fg * (1f - fg);
      dz[go + 2 * h + j] = c * ig * (1f - gg * gg);
      dz[go + 3 * h + j] = d * t * og * (1f - og);
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
      float d = dOut[j] + rec[j];
      dh[j] = d;
      dz[j] = (float) (d * act.derivativeFromOutput(h[j]));
    }
  }
}
