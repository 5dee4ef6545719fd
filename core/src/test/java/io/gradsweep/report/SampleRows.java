package io.gradsweep.report;

import io.gradsweep.spec.ClipMode;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Rows of a results table with every kind of cell, for the tests of trials.csv and of its typed forms. */
public final class SampleRows {
  private SampleRows() {}

  private static TrialSpec spec(String cell, String activation, ClipSpec clip, int tbptt, long seed) {
    return new TrialSpec("exp", "rows", "adding", 64, 7, 50, cell, activation, clip, tbptt, "sgd", 0.001, 8, 1,
        "default", seed, 16, 20, 10, 0.01);
  }

  /**
   * A SOLVED trial (clipped, truncated, a seed beyond the int range), a DIVERGED one (NaN loss, infinite gradient
   * norm, no horizon), a FAILED one (parameters only), and a NOT_SOLVED one with a parameter of another version
   * ({@code zz.future_knob}, whose value holds a comma).
   */
  public static List<TrialRow> mixed() {
    TrialSpec a = spec("lstm", null, new ClipSpec(ClipMode.GLOBAL_NORM, 0.5), 10, 5_000_000_000L);
    TrialSpec b = spec("rnn", "relu", ClipSpec.NONE, 0, 2);
    TrialSpec c = spec("rnn", "tanh", ClipSpec.NONE, 0, 3);
    TrialRow solved = TrialRow.of(1, a, new TrialResult(a.id(), a.displayName(), "run-1", TrialStatus.SOLVED, 20,
        15, -1, 0.004, 1.0 / 6, 4.5, 0.25, 0.93, 50, 1.5, null));
    TrialRow diverged = TrialRow.of(2, b, new TrialResult(b.id(), b.displayName(), "run-2", TrialStatus.DIVERGED, 7,
        -1, 7, Double.NaN, 1.0 / 6, Double.POSITIVE_INFINITY, 0, Double.NaN, -1, 0.2, null));
    TrialRow failed = TrialRow.notRun(3, c);
    Map<String, String> params = new LinkedHashMap<>(c.params());
    params.put("zz.future_knob", "on, sometimes");
    TrialRow other = new TrialRow(4, "other-id", "other", params, TrialStatus.NOT_SOLVED, 20, -1, -1, 0.1, 0.16,
        2.0, 0, 0.5, 9, 1.0, "run-4");
    return List.of(solved, diverged, failed, other);
  }
}
