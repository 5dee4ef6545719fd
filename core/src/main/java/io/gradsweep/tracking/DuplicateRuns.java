package io.gradsweep.tracking;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one rule for a trial with more than one child run under its parent run (a Spark task retried after its worker
 * was lost, a run whose end was spooled during an MLflow outage and sent later): a trial has at most one FINISHED run.
 *
 * <ul>
 *   <li>A run about to end FINISHED while another run of its trial already is FINISHED ends {@value #KILLED}
 *       instead, with tag {@link Names.Tag#DUPLICATE_OF} naming that run ({@link #finishedElsewhere}): the first run
 *       stored FINISHED wins, so a late replay never displaces what a retry logged.
 *   <li>When two runs got FINISHED anyway (their ends raced), the winner is the one that started first (start time,
 *       then run id; {@link #winner}) and the others are ended {@value #KILLED} with {@link Names.Tag#DUPLICATE_OF}
 *       ({@link #losers}). Whoever sees the duplicates (the sweep's driver, a run's sender) applies the same rule, so
 *       they agree on the winner.
 * </ul>
 *
 * <p>The tracking backends apply it where a run ends; the sweep's driver applies it once more over all the trial runs
 * before it writes the summary, and takes each trial's result from its winning run.
 */
public final class DuplicateRuns {
  /** MLflow's status of a run ended because it duplicates another. */
  public static final String KILLED = "KILLED";

  private static final Comparator<RunSnapshot> FIRST_STARTED = Comparator.comparingLong(RunSnapshot::startTime)
      .thenComparing(RunSnapshot::runId);

  private DuplicateRuns() {}

  /** A FINISHED run that lost to {@code winnerRunId}, both of trial {@code trialId}. */
  public record Duplicate(String trialId, String runId, String winnerRunId) {}

  /** The FINISHED run that stands for a trial among its runs: the first started; empty when none is FINISHED. */
  public static Optional<RunSnapshot> winner(Collection<RunSnapshot> runsOfTrial) {
    return runsOfTrial.stream().filter(RunSnapshot::finished).min(FIRST_STARTED);
  }

  /**
   * For run {@code runId} about to end FINISHED: the run id of another FINISHED run of its trial among
   * {@code runsOfTrial} (the {@link #winner} of those), or empty when {@code runId} may end FINISHED.
   */
  public static Optional<String> finishedElsewhere(String runId, Collection<RunSnapshot> runsOfTrial) {
    return winner(runsOfTrial.stream().filter(r -> !r.runId().equals(runId)).toList()).map(RunSnapshot::runId);
  }

  /**
   * The FINISHED runs that are not their trial's {@link #winner}, in the order of {@code runs} (any trials, any
   * parents are not told apart: give the runs of one parent run). Runs without a trial id are left out.
   */
  public static List<Duplicate> losers(Collection<RunSnapshot> runs) {
    List<Duplicate> out = new ArrayList<>();
    byTrial(runs).forEach((trialId, group) -> winner(group).ifPresent(w -> group.stream()
        .filter(r -> r.finished() && !r.runId().equals(w.runId()))
        .forEach(r -> out.add(new Duplicate(trialId, r.runId(), w.runId())))));
    return out;
  }

  /** The runs grouped by trial id (tag {@link Names.Tag#TRIAL_ID}), in first-seen order; runs without one left out. */
  public static Map<String, List<RunSnapshot>> byTrial(Collection<RunSnapshot> runs) {
    Map<String, List<RunSnapshot>> out = new LinkedHashMap<>();
    for (RunSnapshot r : runs) {
      r.trialId().ifPresent(id -> out.computeIfAbsent(id, k -> new ArrayList<>()).add(r));
    }
    return out;
  }
}
