package io.gradsweep.sweep;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.DuplicateRuns;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.train.TrialResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A sweep being resumed: its parent run and, by trial id, the trial runs that FINISHED (the first started if a
 * trial has several: {@link DuplicateRuns}).
 *
 * @param run the parent run being resumed
 * @param parent what the tracking backend holds of the parent run (status, params, tags)
 * @param finished trial id to its FINISHED run
 * @param checkpoints trial id to the latest checkpoint of a trial without a FINISHED run (the run it is in, its
 *     step): where {@code --resume} continues the trial instead of starting it again
 */
public record Resumption(SweepRun run, RunSnapshot parent, Map<String, RunSnapshot> finished,
    Map<String, Checkpoint> checkpoints) {

  /** A trial's checkpoint: in run {@code runId}, at step {@code step} (tag {@link Names.Tag#CHECKPOINT_STEP}). */
  public record Checkpoint(String runId, int step) {}

  /** A sweep resumed without checkpoints. */
  public Resumption(SweepRun run, RunSnapshot parent, Map<String, RunSnapshot> finished) {
    this(run, parent, finished, Map.of());
  }

  public Resumption {
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(parent, "parent");
    finished = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(finished));
    Map<String, Checkpoint> open = new LinkedHashMap<>(checkpoints == null ? Map.of() : checkpoints);
    open.keySet().removeAll(finished.keySet());
    checkpoints = java.util.Collections.unmodifiableMap(open);
  }

  /**
   * Trial id to the checkpoint of its latest run that has one (tag {@link Names.Tag#CHECKPOINT_STEP}; {@code runs}
   * oldest first), for trials whose runs did not finish; a run whose tag is not a step is skipped.
   */
  public static Map<String, Checkpoint> checkpointsByTrialId(List<RunSnapshot> runs) {
    Map<String, Checkpoint> byId = new LinkedHashMap<>();
    for (RunSnapshot r : runs) {
      String step = r.tags().get(Names.Tag.CHECKPOINT_STEP);
      if (r.trialId().isEmpty() || step == null || r.finished()) {
        continue;
      }
      try {
        int s = Integer.parseInt(step.strip());
        if (s > 0) {
          byId.put(r.trialId().get(), new Checkpoint(r.runId(), s));
        }
      } catch (NumberFormatException e) {
        // not a checkpoint gradsweep wrote
      }
    }
    return byId;
  }

  /**
   * Trial id to its FINISHED run; of several FINISHED runs of a trial (duplicates a sweep before this version left),
   * the one {@link DuplicateRuns#winner} keeps, the first started: the driver ends the others KILLED at the end of
   * the resumed sweep.
   */
  public static Map<String, RunSnapshot> finishedByTrialId(List<RunSnapshot> runs) {
    Map<String, RunSnapshot> byId = new LinkedHashMap<>();
    DuplicateRuns.byTrial(runs).forEach((id, group) -> DuplicateRuns.winner(group).ifPresent(w -> byId.put(id, w)));
    return byId;
  }

  /** The planned trials without a FINISHED run, in plan order. */
  public List<TrialSpec> remaining(List<TrialSpec> planned) {
    return planned.stream().filter(t -> !finished.containsKey(t.id())).toList();
  }

  /** One result per planned trial, in plan order: read back for the finished ones, else from this run. */
  public List<TrialResult> merge(List<TrialSpec> planned, List<TrialSpec> ran, List<TrialOutcome> outcomes) {
    if (ran.size() != outcomes.size()) {
      throw new IllegalArgumentException(ran.size() + " trials ran but " + outcomes.size() + " outcomes");
    }
    Map<String, TrialResult> now = new HashMap<>();
    for (int i = 0; i < ran.size(); i++) {
      now.put(ran.get(i).id(), outcomes.get(i).result());
    }
    List<TrialResult> out = new ArrayList<>(planned.size());
    for (TrialSpec t : planned) {
      TrialResult r = now.get(t.id());
      RunSnapshot done = finished.get(t.id());
      out.add(r != null ? r : TrialResult.fromRun(done.trialId().orElse(null), done.runId(), done.tags(),
          done.metrics(), t.displayName()));
    }
    return out;
  }
}
