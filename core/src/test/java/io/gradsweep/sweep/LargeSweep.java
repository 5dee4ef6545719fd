package io.gradsweep.sweep;

import io.gradsweep.spec.ClipMode;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A synthetic but realistic sweep of any size for scale tests of the report and the sweep pictures: networks
 * (rnn/tanh, rnn/relu, lstm, gru) x sequence length (10..200) x clipping (none, global_norm:1) x learning rate
 * (5 levels) x seeds, in plan order, with outcomes that depend on the axes the way real sweeps do (vanilla RNNs
 * fail at long T, high learning rates without clipping diverge, about 1% of trials FAILED) and gradient profiles
 * of length T that decay backwards from the loss at a per-network rate. Deterministic: the same {@code n} gives the
 * same trials and results.
 */
public final class LargeSweep {
  public static final String[][] NETWORKS = {{"rnn", "tanh"}, {"rnn", "relu"}, {"lstm", null}, {"gru", null}};
  public static final int[] SEQ_LENS = {10, 25, 50, 100, 200};
  public static final ClipSpec[] CLIPS = {ClipSpec.NONE, new ClipSpec(ClipMode.GLOBAL_NORM, 1.0)};
  public static final double[] LRS = {0.1, 0.03, 0.01, 0.003, 0.001};
  /** Trials per seed: one of every combination of the other axes. */
  public static final int PER_SEED = NETWORKS.length * SEQ_LENS.length * CLIPS.length * LRS.length;

  public final List<TrialSpec> trials;
  public final List<TrialResult> results;

  private LargeSweep(List<TrialSpec> trials, List<TrialResult> results) {
    this.trials = List.copyOf(trials);
    this.results = List.copyOf(results);
  }

  /** The first {@code n} trials of the plan (seeds outermost, so that n = 200 k is k complete seeds). */
  public static LargeSweep of(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, got " + n);
    }
    List<TrialSpec> trials = new ArrayList<>(n);
    List<TrialResult> results = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int k = i % PER_SEED;
      long seed = i / PER_SEED + 1;
      String[] net = NETWORKS[k % NETWORKS.length];
      k /= NETWORKS.length;
      int t = SEQ_LENS[k % SEQ_LENS.length];
      k /= SEQ_LENS.length;
      ClipSpec clip = CLIPS[k % CLIPS.length];
      k /= CLIPS.length;
      double lr = LRS[k % LRS.length];
      TrialSpec spec = new TrialSpec("exp", "large", "adding", 500, 7, t, net[0], net[1], clip, 0, "adam", lr, 32,
          1, "default", seed, 32, 2000, 50, 0.01, 50);
      trials.add(spec);
      results.add(result(spec, new SplittableRandom(31L * i + 17)));
    }
    return new LargeSweep(trials, results);
  }

  /** Per-step decay rate of the top layer's gradient for a network after training (before: a little lower). */
  private static double rate(TrialSpec s) {
    return switch (s.cell()) {
      case "lstm" -> 0.985;
      case "gru" -> 0.975;
      default -> "relu".equals(s.activation()) ? 0.96 : 0.9;
    };
  }

  private static TrialResult result(TrialSpec s, SplittableRandom rnd) {
    double wall = 5 + s.seqLen() * 0.2 * (0.5 + rnd.nextDouble());
    if (rnd.nextDouble() < 0.01) {
      return TrialResult.failed(s.id(), s.displayName(), "run-" + s.id(), "OutOfMemoryError: synthetic", wall);
    }
    double r = rate(s);
    double[] init = profile(s.seqLen(), r - 0.05, 0.02, new SplittableRandom(s.seed() * 1_000 + s.seqLen()
        + s.cell().hashCode()));
    boolean unclipped = !s.clip().enabled();
    double pDiverge = (unclipped ? 0.25 : 0.02) * (s.lr() >= 0.03 ? 1 : 0.1)
        * ("relu".equals(s.activation()) ? 2 : 1);
    double pSolve = Math.pow(r, s.seqLen() / 4.0) * (s.lr() <= 0.01 ? 1 : 0.6);
    double u = rnd.nextDouble();
    double rFinal = r * (0.97 + 0.06 * rnd.nextDouble());
    double[] fin = profile(s.seqLen(), rFinal, 0.05, rnd);
    int horizon = horizon(fin);
    double maxNorm = 0.5 + 10 * rnd.nextDouble();
    if (u < pDiverge) {
      int at = 1 + rnd.nextInt(300);
      for (int t = 0; t < fin.length; t += 3) {
        fin[t] = Double.POSITIVE_INFINITY;
      }
      return new TrialResult(s.id(), s.displayName(), "run-" + s.id(), TrialStatus.DIVERGED, at, -1, at,
          Double.NaN, 1.0 / 6, 1e6 * (1 + rnd.nextDouble()), unclipped ? 0 : 0.8, Double.NaN, -1, wall, null,
          init, fin);
    }
    boolean solved = u < pSolve; // and not diverged: a trial that may diverge solves less often
    int toSolve = solved ? 50 * (1 + rnd.nextInt(Math.max(1, s.seqLen() / 5))) : -1;
    double loss = solved ? 0.002 + 0.007 * rnd.nextDouble() : 0.05 + 0.12 * rnd.nextDouble();
    return new TrialResult(s.id(), s.displayName(), "run-" + s.id(), solved ? TrialStatus.SOLVED
        : TrialStatus.NOT_SOLVED, solved ? toSolve : 2000, toSolve, -1, loss, 1.0 / 6, maxNorm,
        unclipped ? 0 : rnd.nextDouble() * 0.3, rFinal, horizon, wall, null, init, fin);
  }

  /** ||dL/dh_t|| for t = 0..T-1: g at the loss (t = T-1), times rate per step back, with 20% noise. */
  private static double[] profile(int seqLen, double rate, double g, SplittableRandom rnd) {
    double[] p = new double[seqLen];
    for (int t = 0; t < seqLen; t++) {
      p[t] = g * Math.pow(rate, seqLen - 1 - t) * (0.8 + 0.4 * rnd.nextDouble());
    }
    return p;
  }

  private static int horizon(double[] p) {
    double at = p[p.length - 1];
    int h = 0;
    for (int t = p.length - 1; t >= 0 && p[t] >= 1e-3 * at; t--) {
      h++;
    }
    return h;
  }
}
