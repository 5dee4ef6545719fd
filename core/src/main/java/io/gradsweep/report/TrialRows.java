package io.gradsweep.report;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.Names;
import io.gradsweep.train.TrialResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The rows of a sweep, from the driver's results or from the runs read back from the tracking backend. */
public final class TrialRows {
  private TrialRows() {}

  /** One row per trial, in plan order, from the trials and their results (same order). */
  public static List<TrialRow> of(List<TrialSpec> trials, List<TrialResult> results) {
    if (trials.size() != results.size()) {
      throw new IllegalArgumentException(trials.size() + " trials but " + results.size() + " results");
    }
    List<TrialRow> rows = new ArrayList<>(trials.size());
    for (int i = 0; i < trials.size(); i++) {
      rows.add(TrialRow.of(i + 1, trials.get(i), results.get(i)));
    }
    return rows;
  }

  /**
   * One row per trial from the trial runs of a sweep (every attempt, any status). Of several attempts of one trial
   * (Spark retried its task), the row comes from the FINISHED one; when none finished, from the latest attempt not
   * marked {@value Names.Tag#SUPERSEDED}, else the latest. With the sweep's {@code plan} (may be null) the rows
   * follow plan order, a planned trial without any run becomes a FAILED row, and runs of trials outside the plan
   * are left out; without it the rows follow the order of the trials' first runs, numbered 1, 2, ...
   */
  public static List<TrialRow> fromRuns(List<TrialSpec> plan, List<RunSnapshot> runs) {
    Map<String, RunSnapshot> chosen = new LinkedHashMap<>();
    for (RunSnapshot r : runs) {
      String id = r.trialId().orElse(null);
      if (id == null) {
        continue;
      }
      RunSnapshot prev = chosen.get(id);
      if (prev == null || PREFERENCE.compare(r, prev) >= 0) {
        chosen.put(id, r);
      }
    }
    List<TrialRow> rows = new ArrayList<>();
    if (plan == null) {
      int i = 0;
      for (RunSnapshot r : chosen.values()) {
        rows.add(TrialRow.fromRun(++i, r));
      }
      return rows;
    }
    for (int i = 0; i < plan.size(); i++) {
      TrialSpec t = plan.get(i);
      RunSnapshot r = chosen.get(t.id());
      rows.add(r == null ? TrialRow.notRun(i + 1, t) : TrialRow.fromRun(i + 1, r));
    }
    return rows;
  }

  /** Finished beats not finished, not superseded beats superseded, then the later start wins. */
  private static final Comparator<RunSnapshot> PREFERENCE = Comparator
      .comparing((RunSnapshot r) -> r.finished())
      .thenComparing(r -> !"true".equals(r.tags().get(Names.Tag.SUPERSEDED)))
      .thenComparingLong(RunSnapshot::startTime);
}
