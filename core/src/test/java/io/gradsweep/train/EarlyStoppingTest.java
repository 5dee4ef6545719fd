package io.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.StopRules;
import org.junit.jupiter.api.Test;

class EarlyStoppingTest {
  /** T = 100, baseline 1.0; vanished below 10 steps of horizon at 3 profiles in a row, 5% tolerance. */
  static final StopRules VANISHED = new StopRules(new StopRules.Vanished(0.1, 3, 0.05), null);
  /** Plateau at 4 evaluations, 5% tolerance, improvements of 1%. */
  static final StopRules PLATEAU = new StopRules(null, new StopRules.Plateau(4, 0.05, 0.01));

  @Test
  void vanishedFiresAtExactlyTheKthProfileInARow() {
    EarlyStopping s = new EarlyStopping(VANISHED, 100, 1.0);
    assertNull(s.onProfile(3), "step 1: counts, but no evaluation yet");
    assertNull(s.onEval(1.2));
    assertNull(s.onProfile(5));
    assertNull(s.fired());
    assertEquals(TrialStatus.VANISHED, s.onProfile(9), "the third profile in a row below 10 steps");
    assertEquals(TrialStatus.VANISHED, s.fired());
    assertTrue(s.reason().contains("3 profiles in a row"), s.reason());
    assertNull(s.onProfile(1), "fires once");
  }

  @Test
  void aLongHorizonStartsTheCountAgain() {
    EarlyStopping s = new EarlyStopping(VANISHED, 100, 1.0);
    s.onEval(1.0);
    assertNull(s.onProfile(2));
    assertNull(s.onProfile(2));
    assertNull(s.onProfile(10), "10 is not below 0.1 * 100");
    assertNull(s.onProfile(2));
    assertNull(s.onProfile(2));
    assertEquals(TrialStatus.VANISHED, s.onProfile(2));
  }

  @Test
  void vanishedDoesNotFireWhileTheLossIsBelowTheBaseline() {
    EarlyStopping s = new EarlyStopping(VANISHED, 100, 1.0);
    s.onEval(0.9); // 10% below the baseline: the net has learned something
    for (int i = 0; i < 10; i++) {
      assertNull(s.onProfile(1), "profile " + i);
    }
    s.onEval(0.96); // back within 5%: the count starts from here
    assertNull(s.onProfile(1));
    assertNull(s.onProfile(1));
    assertEquals(TrialStatus.VANISHED, s.onProfile(1));
  }

  @Test
  void anEvaluationThatLeavesTheBaselineResetsTheVanishedCount() {
    EarlyStopping s = new EarlyStopping(VANISHED, 100, 1.0);
    s.onEval(1.0);
    s.onProfile(1);
    s.onProfile(1);
    s.onEval(0.5);
    s.onEval(1.0);
    assertNull(s.onProfile(1));
    assertNull(s.onProfile(1));
    assertEquals(TrialStatus.VANISHED, s.onProfile(1));
  }

  @Test
  void theVanishedRuleIgnoresEvaluationsAndThePlateauRuleProfiles() {
    EarlyStopping v = new EarlyStopping(VANISHED, 100, 1.0);
    for (int i = 0; i < 50; i++) {
      assertNull(v.onEval(1.0));
    }
    EarlyStopping p = new EarlyStopping(PLATEAU, 100, 1.0);
    for (int i = 0; i < 50; i++) {
      assertNull(p.onProfile(1));
    }
    EarlyStopping none = new EarlyStopping(StopRules.NONE, 100, 1.0);
    assertFalse(none.enabled());
    for (int i = 0; i < 50; i++) {
      assertNull(none.onProfile(1));
      assertNull(none.onEval(1.0));
    }
  }

  @Test
  void plateauFiresAfterEvalsWithoutImprovementAtTheBaseline() {
    EarlyStopping s = new EarlyStopping(PLATEAU, 100, 1.0);
    assertNull(s.onEval(1.00), "the reference");
    assertNull(s.onEval(0.995), "0.5% better: not an improvement over min_delta 1%");
    assertNull(s.onEval(1.01));
    assertNull(s.onEval(0.999));
    assertEquals(TrialStatus.PLATEAU, s.onEval(1.0), "the fourth evaluation without improvement");
    assertTrue(s.reason().contains("4 evaluations in a row"), s.reason());
  }

  @Test
  void anImprovementStartsThePlateauCountAgain() {
    EarlyStopping s = new EarlyStopping(PLATEAU, 100, 1.0);
    s.onEval(1.2);
    s.onEval(1.2);
    s.onEval(1.2);
    s.onEval(1.2);
    assertNull(s.onEval(1.1), "8% better than the best 1.2");
    assertNull(s.onEval(1.1));
    assertNull(s.onEval(1.1));
    assertNull(s.onEval(1.1));
    assertEquals(TrialStatus.PLATEAU, s.onEval(1.1));
  }

  @Test
  void plateauDoesNotFireWhenTheLossSitsBelowTheBaseline() {
    // a trial stuck at 60% of the baseline has learned something: not this rule's business
    EarlyStopping s = new EarlyStopping(PLATEAU, 100, 1.0);
    for (int i = 0; i < 30; i++) {
      assertNull(s.onEval(0.6), "evaluation " + i);
    }
    assertNull(s.fired());
  }

  @Test
  void stepsMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> new EarlyStopping(VANISHED, 0, 1.0));
  }
}
