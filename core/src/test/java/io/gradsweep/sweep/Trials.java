package io.gradsweep.sweep;

import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.util.ArrayList;
import java.util.List;

/** Small trials and results for unit tests (core's and, through the test jar, the jobs'). */
public final class Trials {
  private Trials() {}

  public static TrialSpec trial(String cell, double lr, long seed) {
    return new TrialSpec("exp", "sweep", "adding", 64, 7, 10, cell, cell.equals("rnn") ? "tanh" : null,
        ClipSpec.NONE, 0, "adam", lr, 8, 1, "default", seed, 16, 30, 10, 0.05);
  }

  /** n trials differing only in seed. */
  public static List<TrialSpec> seeds(int n) {
    List<TrialSpec> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(trial("rnn", 0.01, i + 1));
    }
    return out;
  }

  public static TrialResult result(TrialSpec t, TrialStatus status, int stepsToSolve, double evalLoss) {
    return new TrialResult(t.id(), t.displayName(), "run-" + t.id(), status, 30, stepsToSolve, -1, evalLoss,
        1.0 / 6, 12.5, 0.25, 0.8, 12, 61.0, null);
  }
}
