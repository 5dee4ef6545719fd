package io.gradsweep.sweep;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingTarget;
import java.util.List;
import java.util.Objects;

/**
 * What a {@link TrialExecutor} needs to run trials: the trials (in the order their outcomes come back), the
 * sweep's parent run each child run goes under, where the trials log, and how many may run at once.
 *
 * @param trials the trials to run; not empty
 * @param sweep the parent run of the sweep
 * @param tracking the tracking backend each trial opens a sink to (serializable: it travels with the tasks)
 * @param parallelism most trials running at once, at least 1
 * @param segments what to run of each trial, in the trials' order: by default each whole trial in a new run; a trial
 *     resumed from its checkpoint continues in its run ({@link TrialSegment})
 */
public record TrialBatch(List<TrialSpec> trials, SweepRun sweep, TrackingTarget tracking, int parallelism,
    List<TrialSegment> segments) {

  /** Each whole trial in a new run, without checkpoints. */
  public TrialBatch(List<TrialSpec> trials, SweepRun sweep, TrackingTarget tracking, int parallelism) {
    this(trials, sweep, tracking, parallelism, null);
  }

  public TrialBatch {
    trials = List.copyOf(trials);
    if (trials.isEmpty()) {
      throw new IllegalArgumentException("a trial batch needs at least one trial");
    }
    segments = segments == null ? trials.stream().map(t -> TrialSegment.whole(t, 0)).toList()
        : List.copyOf(segments);
    if (segments.size() != trials.size()) {
      throw new IllegalArgumentException(trials.size() + " trials but " + segments.size() + " segments");
    }
    for (int i = 0; i < trials.size(); i++) {
      if (!segments.get(i).trial().id().equals(trials.get(i).id())) {
        throw new IllegalArgumentException("segment " + i + " is of trial " + segments.get(i).trial().id()
            + ", not " + trials.get(i).id());
      }
    }
    Objects.requireNonNull(sweep, "sweep");
    Objects.requireNonNull(tracking, "tracking");
    if (parallelism < 1) {
      throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
    }
  }
}
