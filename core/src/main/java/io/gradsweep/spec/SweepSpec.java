package io.gradsweep.spec;

import java.util.List;
import java.util.Map;

/**
 * PLACEHOLDER (spark worktree only; the spec engineer owns the real one). A parsed sweep: its name, MLflow
 * experiment, the YAML as written, the expanded trials and the sweep-level parameters.
 */
public record SweepSpec(String name, String experiment, String yaml, List<TrialSpec> trials,
    Map<String, String> sweepParams) {
  public SweepSpec {
    trials = List.copyOf(trials);
    sweepParams = Map.copyOf(sweepParams);
  }
}
