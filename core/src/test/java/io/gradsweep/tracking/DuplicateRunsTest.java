package io.gradsweep.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The one rule for a trial with several runs: at most one FINISHED, the first stored wins, races by start time. */
class DuplicateRunsTest {

  private static RunSnapshot run(String id, String trial, String status, long start) {
    return new RunSnapshot(id, "1", "t", status, start, Map.of(),
        trial == null ? Map.of() : Map.of(Names.Tag.TRIAL_ID, trial), Map.of());
  }

  @Test
  void theWinnerIsTheFirstStartedFinishedRunThenTheSmallerRunId() {
    assertEquals(Optional.empty(), DuplicateRuns.winner(List.of(run("a", "t1", "RUNNING", 1),
        run("b", "t1", "FAILED", 2))).map(RunSnapshot::runId));
    assertEquals("c", DuplicateRuns.winner(List.of(run("b", "t1", "FAILED", 1), run("d", "t1", "FINISHED", 9),
        run("c", "t1", "FINISHED", 5))).orElseThrow().runId());
    assertEquals("c", DuplicateRuns.winner(List.of(run("d", "t1", "FINISHED", 5), run("c", "t1", "FINISHED", 5)))
        .orElseThrow().runId(), "equal start times: the smaller run id, whatever the order given");
  }

  @Test
  void aRunAboutToFinishLosesToAnotherFinishedRunOfItsTrialEvenAnOlderOneReplayedLate() {
    // the retry's run r2 FINISHED; the first attempt's run r1 (older) comes back from a spool: it must not win
    List<RunSnapshot> runs = List.of(run("r1", "t1", "FAILED", 1), run("r2", "t1", "FINISHED", 2));
    assertEquals(Optional.of("r2"), DuplicateRuns.finishedElsewhere("r1", runs));
    assertEquals(Optional.empty(), DuplicateRuns.finishedElsewhere("r2", runs), "itself does not count");
    assertEquals(Optional.empty(), DuplicateRuns.finishedElsewhere("r1", List.of(run("r1", "t1", "RUNNING", 1),
        run("r0", "t1", "KILLED", 0))), "KILLED and FAILED runs do not count");
  }

  @Test
  void losersAreTheFinishedRunsBesideTheirTrialsWinnerAndEveryObserverAgrees() {
    List<RunSnapshot> runs = List.of(run("x2", "t1", "FINISHED", 7), run("x1", "t1", "FINISHED", 3),
        run("y1", "t2", "FINISHED", 1), run("y2", "t2", "FAILED", 2), run("p", null, "FINISHED", 0),
        run("x3", "t1", "KILLED", 1));
    assertEquals(List.of(new DuplicateRuns.Duplicate("t1", "x2", "x1")), DuplicateRuns.losers(runs));
    List<RunSnapshot> reversed = new java.util.ArrayList<>(runs);
    java.util.Collections.reverse(reversed);
    assertEquals(DuplicateRuns.losers(runs), DuplicateRuns.losers(reversed),
        "the order the runs are read in does not change the decision");
    assertTrue(DuplicateRuns.losers(List.of(run("y1", "t2", "FINISHED", 1))).isEmpty());
  }
}
