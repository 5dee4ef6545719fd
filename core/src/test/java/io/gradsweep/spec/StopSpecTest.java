package io.gradsweep.spec;

import static io.gradsweep.spec.SpecFixtures.assertError;
import static io.gradsweep.spec.SpecFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code training.stop}: the early-stopping rules, their defaults, their checks, and trial ids. */
class StopSpecTest {
  private static final String GRID = "grid: {cell: [rnn], activation: [tanh], seq_len: [20], seeds: [1, 2]}\n";

  private static String spec(String training) {
    return "name: t\nexperiment: e\ntask: {name: adding}\ntraining: " + training + "\n" + GRID;
  }

  @Test
  void absentMeansNoRuleAndTheIdsOfExistingSpecsStay() {
    SweepSpec s = parse(spec("{max_steps: 100, eval_every: 10}"));
    TrialSpec t = s.trials().get(0);
    assertSame(StopRules.NONE, t.stop());
    assertFalse(t.stop().enabled());
    assertFalse(t.params().containsKey("stop"));
    assertFalse(t.canonical().contains("stop"), t.canonical());
    assertFalse(s.sweepParams().containsKey("training.stop"));
    // pinned: the id of this trial before training.stop existed
    assertEquals("task=adding;seq_len=20;cell=rnn;activation=tanh;clip=none;tbptt=none;optimizer=adam;lr=0.001;"
        + "hidden=32;layers=1;init=default;seed=1;batch_size=32;max_steps=100;eval_every=10;eval_size=1000;"
        + "eval_seed=12345;solve_threshold=0.01;", t.canonical());
    assertEquals(t.id(), new TrialSpec(t.experiment(), t.sweepName(), t.task(), t.evalSize(), t.evalSeed(),
        t.seqLen(), t.cell(), t.activation(), t.clip(), t.tbptt(), t.optimizer(), t.lr(), t.hidden(), t.layers(),
        t.init(), t.seed(), t.batchSize(), t.maxSteps(), t.evalEvery(), t.solveThreshold(), t.profileEvery(),
        t.logPoints(), t.taskOptions(), (StopRules) null).id(), "null rules are no rules");
  }

  @Test
  void thePlanNamesTheRules() {
    String plain = PlanFormatter.format(parse(spec("{max_steps: 100, eval_every: 10}")));
    assertFalse(plain.contains("early stopping"), plain);
    String plan = PlanFormatter.format(parse(spec("{max_steps: 200, eval_every: 10, stop: {plateau: {}}}")));
    assertEquals("early stopping: plateau(evals=10,baseline_tolerance=0.05,min_delta=0.01)", plan.lines().toList()
        .get(1));
  }

  @Test
  void emptyRuleMappingsTakeEveryDefault() {
    TrialSpec t = parse(spec("{max_steps: 200, eval_every: 10, stop: {vanished: {}, plateau: {}}}")).trials().get(0);
    assertEquals(StopRules.Vanished.DEFAULTS, t.stop().vanished());
    assertEquals(new StopRules.Vanished(0.1, 5, 0.05), t.stop().vanished());
    assertEquals(new StopRules.Plateau(10, 0.05, 0.01), t.stop().plateau());
    assertEquals("vanished(horizon_fraction=0.1,profiles=5,baseline_tolerance=0.05) "
        + "plateau(evals=10,baseline_tolerance=0.05,min_delta=0.01)", t.params().get("stop"));
  }

  @Test
  void everyKeyIsRead() {
    SweepSpec s = parse(spec("""
        
          max_steps: 200
          eval_every: 10
          stop:
            vanished: {horizon_fraction: 0.25, profiles: 3, baseline_tolerance: 0}
            plateau:
              evals: 4
              baseline_tolerance: 0.1
              min_delta: 1e-3
        """));
    StopRules r = s.trials().get(0).stop();
    assertEquals(new StopRules.Vanished(0.25, 3, 0.0), r.vanished());
    assertEquals(new StopRules.Plateau(4, 0.1, 0.001), r.plateau());
    assertEquals(r.canonical(), s.sweepParams().get("training.stop"));
    assertEquals(r.canonical(), s.trials().get(1).params().get("stop"));
  }

  @Test
  void oneRuleAlone() {
    StopRules v = parse(spec("{max_steps: 100, stop: {vanished: {profiles: 2}}}")).trials().get(0).stop();
    assertEquals(2, v.vanished().profiles());
    assertNull(v.plateau());
    StopRules p = parse(spec("{max_steps: 100, eval_every: 10, stop: {plateau: {evals: 3}}}")).trials().get(0).stop();
    assertNull(p.vanished());
    assertEquals(3, p.plateau().evals());
    assertEquals("plateau(evals=3,baseline_tolerance=0.05,min_delta=0.01)", p.canonical());
  }

  @Test
  void rulesArePartOfTheIdAndTheirSpellingIsNot() {
    String plain = parse(spec("{max_steps: 100, eval_every: 10}")).trials().get(0).id();
    String withRule = parse(spec("{max_steps: 100, eval_every: 10, stop: {vanished: {}}}")).trials().get(0).id();
    String spelledOut = parse(spec("{max_steps: 100, eval_every: 10, stop: {vanished: {horizon_fraction: 1e-1, "
        + "profiles: 5, baseline_tolerance: 0.050}}}")).trials().get(0).id();
    String other = parse(spec("{max_steps: 100, eval_every: 10, stop: {vanished: {profiles: 4}}}")).trials().get(0)
        .id();
    assertNotEquals(plain, withRule, "a trial that may stop early is another experiment");
    assertEquals(withRule, spelledOut);
    assertNotEquals(withRule, other);
  }

  @Test
  void unknownKeysAreNamedWithASuggestion() {
    assertError(spec("{max_steps: 100, stop: {vanishd: {}}}"), "training.stop.vanishd",
        "unknown key \"vanishd\" in training.stop", "allowed keys: vanished, plateau", "did you mean \"vanished\"");
    assertError(spec("{max_steps: 100, stop: {vanished: {horizon: 0.1}}}"), "training.stop.vanished.horizon",
        "allowed keys: horizon_fraction, profiles, baseline_tolerance", "horizon_fraction");
    assertError(spec("{max_steps: 100, stop: {plateau: {patience: 3}}}"), "training.stop.plateau.patience",
        "allowed keys: evals, baseline_tolerance, min_delta");
    assertError(spec("{max_steps: 100, stpo: {}}"), "training.stpo", "did you mean \"stop\"");
  }

  @Test
  void valuesOutOfRangeNameFieldValueAndRange() {
    assertError(spec("{max_steps: 100, stop: {vanished: {horizon_fraction: 0}}}"),
        "training.stop.vanished.horizon_fraction", "expected a number 0 < horizon_fraction <= 1, got 0 (integer)");
    assertError(spec("{max_steps: 100, stop: {vanished: {horizon_fraction: 1.5}}}"),
        "training.stop.vanished.horizon_fraction", "got 1.5 (float)");
    assertError(spec("{max_steps: 100, stop: {vanished: {profiles: 0}}}"), "training.stop.vanished.profiles",
        "expected an integer 1..1000000, got 0 (integer)");
    assertError(spec("{max_steps: 100, stop: {vanished: {profiles: 2.0}}}"), "training.stop.vanished.profiles",
        "got 2.0 (float)");
    assertError(spec("{max_steps: 100, stop: {vanished: {baseline_tolerance: 1}}}"),
        "training.stop.vanished.baseline_tolerance", "0 <= baseline_tolerance < 1, got 1 (integer)");
    assertError(spec("{max_steps: 100, stop: {plateau: {baseline_tolerance: -0.1}}}"),
        "training.stop.plateau.baseline_tolerance", "got -0.1 (float)");
    assertError(spec("{max_steps: 100, stop: {plateau: {min_delta: .nan}}}"), "training.stop.plateau.min_delta",
        "0 <= min_delta < 1");
    assertError(spec("{max_steps: 100, stop: {plateau: {evals: \"3\"}}}"), "training.stop.plateau.evals",
        "remove the quotes");
  }

  @Test
  void shapesAreChecked() {
    assertError(spec("{max_steps: 100, stop: {}}"), "training.stop", "at least one of vanished, plateau",
        "remove training.stop");
    assertError(spec("{max_steps: 100, stop: yes}"), "training.stop", "a mapping with keys vanished, plateau");
    assertError(spec("{max_steps: 100, stop: {vanished: }}"), "training.stop.vanished",
        "a mapping with keys horizon_fraction", "got nothing (null)", "write {} to use every default");
    assertError(spec("{max_steps: 100, stop: {plateau: true}}"), "training.stop.plateau", "got true (boolean)");
  }

  @Test
  void aRuleThatCouldNeverFireIsRefused() {
    // profiles at steps 1, 10, 20: three
    assertError(spec("{max_steps: 20, eval_every: 10, stop: {vanished: {profiles: 4}}}"),
        "training.stop.vanished.profiles", "needs 4 profiles in a row, but the trial takes 3", "lower profiles (1..3)");
    parse(spec("{max_steps: 20, eval_every: 10, stop: {vanished: {profiles: 3}}}"));
    // the default 5 profiles with profile_every 50 in 100 steps: steps 1, 50, 100
    assertError(spec("{max_steps: 100, stop: {vanished: {}}}"), "training.stop.vanished",
        "needs 5 profiles in a row, but the trial takes 3");
    // evaluations at 10, 20, 25: three, the first is the reference
    assertError(spec("{max_steps: 25, eval_every: 10, stop: {plateau: {evals: 3}}}"),
        "training.stop.plateau.evals", "needs evals + 1 = 4 evaluations", "the trial makes 3", "lower evals (1..2)");
    parse(spec("{max_steps: 25, eval_every: 10, stop: {plateau: {evals: 2}}}"));
    assertError(spec("{max_steps: 10, eval_every: 10, stop: {plateau: {evals: 1}}}"),
        "training.stop.plateau.evals", "the trial makes 1", "lower eval_every");
  }

  @Test
  void theRecordsCheckTheirValuesToo() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new StopRules.Vanished(0.1, 0, 0.05));
    assertEquals("training.stop.vanished.profiles: expected an integer 1..1000000, got 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new StopRules.Plateau(3, 0.05, 1.0));
    assertTrue(e.getMessage().startsWith("training.stop.plateau.min_delta: expected a number 0 <= min_delta < 1"),
        e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new StopRules.Vanished(Double.NaN, 5, 0.05));
  }
}
