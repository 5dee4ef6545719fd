package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.Names;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResumptionTest {

  private static RunSnapshot run(String runId, String trialId, String status, Map<String, String> tags,
      Map<String, Double> metrics) {
    Map<String, String> all = new java.util.HashMap<>(tags);
    if (trialId != null) {
      all.put(Names.Tag.TRIAL_ID, trialId);
    }
    return new RunSnapshot(runId, "1", "name", status, 0, Map.of(), all, metrics);
  }

  @Test
  void onlyFinishedRunsWithATrialIdCountAndOfDuplicatesTheFirstStartedWins() {
    List<RunSnapshot> runs = List.of(
        run("a1", "A", "FAILED", Map.of(), Map.of()),
        run("a2", "A", "FINISHED", Map.of(), Map.of()),
        run("b1", "B", "RUNNING", Map.of(), Map.of()),
        run("c1", "C", "FINISHED", Map.of(), Map.of()),
        run("c2", "C", "FINISHED", Map.of(), Map.of()),
        run("x", null, "FINISHED", Map.of(), Map.of()));
    Map<String, RunSnapshot> done = Resumption.finishedByTrialId(runs);
    assertEquals(List.of("A", "C"), List.copyOf(done.keySet()));
    assertEquals("a2", done.get("A").runId());
    assertEquals("c1", done.get("C").runId(), "equal start times: the smaller run id (DuplicateRuns)");
  }

  @Test
  void checkpointsAreTheLatestRunWithOneOfEachTrialWithoutAFinishedRun() {
    String ckpt = Names.Tag.CHECKPOINT_STEP;
    List<RunSnapshot> runs = List.of(
        run("a1", "A", "FAILED", Map.of(ckpt, "40"), Map.of()),
        run("a2", "A", "FAILED", Map.of(ckpt, "60"), Map.of()), // the latest checkpoint of A
        run("a3", "A", "RUNNING", Map.of(), Map.of()), // cut off before its first checkpoint
        run("b1", "B", "FAILED", Map.of(ckpt, "20"), Map.of()),
        run("b2", "B", "FINISHED", Map.of(ckpt, "20"), Map.of()), // B finished: nothing to resume
        run("c1", "C", "FAILED", Map.of(ckpt, "not a step"), Map.of()),
        run("x", null, "FAILED", Map.of(ckpt, "20"), Map.of()));
    Map<String, Resumption.Checkpoint> c = Resumption.checkpointsByTrialId(runs);
    assertEquals(new Resumption.Checkpoint("a2", 60), c.get("A"));
    assertEquals(new Resumption.Checkpoint("b1", 20), c.get("B"), "before the finished runs are known");
    assertNull(c.get("C"));
    Resumption r = new Resumption(new SweepRun("1", "p", null), run("p", null, "FAILED", Map.of(), Map.of()),
        Resumption.finishedByTrialId(runs), c);
    assertEquals(Map.of("A", new Resumption.Checkpoint("a2", 60)), r.checkpoints(), "B has a FINISHED run");
  }

  @Test
  void remainingKeepsPlanOrderAndMergeReadsFinishedTrialsBack() {
    List<TrialSpec> planned = Trials.seeds(4);
    TrialSpec t0 = planned.get(0);
    TrialSpec t2 = planned.get(2);
    RunSnapshot done0 = run("r0", t0.id(), "FINISHED", Map.of(Names.Tag.STATUS, "SOLVED"),
        Map.of("final/steps", 120.0, "final/steps_to_solve", 110.0, "final/eval_loss", 0.01,
            "final/baseline_loss", 0.17, "final/decay_rate", 0.9, "final/horizon", 12.0));
    RunSnapshot done2 = run("r2", t2.id(), "FINISHED", Map.of(Names.Tag.STATUS, "DIVERGED"),
        Map.of("final/steps", 3.0, "final/diverged_at_step", 3.0));
    Resumption r = new Resumption(new SweepRun("1", "p", null),
        run("p", null, "FAILED", Map.of(), Map.of()), Resumption.finishedByTrialId(List.of(done0, done2)));

    List<TrialSpec> todo = r.remaining(planned);
    assertEquals(List.of(planned.get(1), planned.get(3)), todo);

    TrialResult new1 = Trials.result(planned.get(1), TrialStatus.NOT_SOLVED, -1, 0.2);
    TrialResult new3 = Trials.result(planned.get(3), TrialStatus.SOLVED, 50, 0.01);
    List<TrialResult> merged = r.merge(planned, todo,
        List.of(new TrialOutcome(new1, null), new TrialOutcome(new3, null)));
    assertEquals(4, merged.size());
    assertSame(new1, merged.get(1));
    assertSame(new3, merged.get(3));
    TrialResult back0 = merged.get(0);
    assertEquals(TrialStatus.SOLVED, back0.status());
    assertEquals("r0", back0.runId());
    assertEquals(t0.id(), back0.trialId());
    assertEquals(t0.displayName(), back0.displayName());
    assertEquals(120, back0.steps());
    assertEquals(110, back0.stepsToSolve());
    assertEquals(0.01, back0.finalEvalLoss());
    assertEquals(12, back0.horizon());
    assertNull(back0.error());
    TrialResult back2 = merged.get(2);
    assertEquals(TrialStatus.DIVERGED, back2.status());
    assertEquals(3, back2.divergedAtStep());
    assertEquals(-1, back2.stepsToSolve(), "absent metric: -1");
    assertEquals(Double.NaN, back2.finalEvalLoss(), "absent metric: NaN");
  }
}
