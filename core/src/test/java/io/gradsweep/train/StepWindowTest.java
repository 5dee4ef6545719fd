package io.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StepWindowTest {

  @Test
  void aOneStepSpikeSurvivesInTheWindowMaximumAndMovesTheMean() {
    StepWindow w = new StepWindow(10);
    List<Map<String, Double>> logged = new ArrayList<>();
    List<Integer> at = new ArrayList<>();
    for (int step = 1; step <= 30; step++) {
      double norm = step == 17 ? 5000.0 : 1.0;   // one exploding step in the second window
      w.meanAndMax("grad/global_norm", norm);
      w.mean("grad/clipped", step % 2 == 0 ? 1.0 : 0.0);
      if (w.endStep(step)) {
        at.add(w.lastStep());
        logged.add(w.drain());
      }
    }
    assertEquals(List.of(10, 20, 30), at);
    assertEquals(1.0, logged.get(0).get("grad/global_norm_max"));
    assertEquals(5000.0, logged.get(1).get("grad/global_norm_max"), "the spike is the second window's maximum");
    assertEquals((9 * 1.0 + 5000.0) / 10, logged.get(1).get("grad/global_norm"), 1e-12);
    assertEquals(1.0, logged.get(2).get("grad/global_norm_max"));
    assertEquals(0.5, logged.get(0).get("grad/clipped"), 1e-12, "a 0/1 series becomes the share of steps");
    assertFalse(logged.get(0).containsKey("grad/clipped_max"), "only norms get a maximum");
  }

  @Test
  void aPartialWindowIsLoggedAtItsLastStepAndDrainingResets() {
    StepWindow w = new StepWindow(4);
    for (int step = 1; step <= 6; step++) {
      w.mean("train/loss", step);
      if (w.endStep(step)) {
        assertEquals(2.5, w.drain().get("train/loss"), 1e-12);
      }
    }
    assertEquals(2, w.pending());
    assertEquals(6, w.lastStep());
    assertEquals(5.5, w.drain().get("train/loss"), 1e-12);
    assertEquals(0, w.pending());
    assertTrue(w.drain().isEmpty(), "nothing pending, nothing logged");
  }

  @Test
  void aWindowOfOneStepLogsEveryStepAsItIs() {
    StepWindow w = new StepWindow(1);
    w.meanAndMax("grad/layer0_norm", 0.25);
    assertTrue(w.endStep(1));
    assertEquals(Map.of("grad/layer0_norm", 0.25, "grad/layer0_norm_max", 0.25), w.drain());
  }

  @Test
  void aWindowMustHoldAStep() {
    assertThrows(IllegalArgumentException.class, () -> new StepWindow(0));
  }
}
