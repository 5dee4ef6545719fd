package io.gradsweep.spec;

import static io.gradsweep.spec.SpecFixtures.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.gradsweep.search.Sweeps;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code training.checkpoint_every} and {@code search.scheduler.asha}: values, defaults, params, errors. */
class SchedulingSpecTest {
  private static String spec(String training, String search) {
    return """
        name: t
        experiment: e
        task: {name: adding}
        training: {max_steps: 900, eval_every: 50%s}
        %s
        grid: {cell: [rnn], seq_len: [20]}
        """.formatted(training, search);
  }

  @Test
  void noneByDefault() {
    SweepSpec s = Sweeps.parse(spec("", ""), "t.yaml");
    assertEquals(Scheduling.NONE, s.scheduling());
    assertFalse(s.sweepParams().containsKey("training.checkpoint_every"));
    assertFalse(s.sweepParams().containsKey("search.scheduler"));
  }

  @Test
  void ashaWithDefaultsAndParams() {
    SweepSpec s = Sweeps.parse(spec(", checkpoint_every: 100", "search: {scheduler: {asha: {min_steps: 100}}}"),
        "t.yaml");
    assertEquals(100, s.scheduling().checkpointEvery());
    assertEquals(new AshaSpec(100, 3, 900, "eval_loss"), s.scheduling().asha());
    assertEquals(List.of(100, 300, 900), s.scheduling().asha().rungs());
    assertEquals("100", s.sweepParams().get("training.checkpoint_every"));
    assertEquals("asha", s.sweepParams().get("search.scheduler"));
    assertEquals("3", s.sweepParams().get("search.scheduler.asha.reduction_factor"));
    assertEquals("900", s.sweepParams().get("search.scheduler.asha.max_steps"));
    // the trials are those of the grid: scheduling is not part of their ids
    assertEquals(Sweeps.parse(spec("", ""), "t.yaml").trials(), s.trials());
    assertNull(Sweeps.parse(spec(", checkpoint_every: 1", ""), "t.yaml").scheduling().asha());
  }

  @Test
  void earlyStoppingRulesAreRefusedWithCheckpointsOrAScheduler() {
    String stop = ", stop: {plateau: {}}";
    assertError(spec(stop + ", checkpoint_every: 100", ""), "training.stop", "training.checkpoint_every",
        "cannot be combined");
    assertError(spec(stop, "search: {scheduler: {asha: {min_steps: 100}}}"), "training.stop", "search.scheduler",
        "cannot be combined");
    // each alone is fine
    assertEquals(100, Sweeps.parse(spec(", checkpoint_every: 100", ""), "t.yaml").scheduling().checkpointEvery());
    assertEquals(Scheduling.NONE, Sweeps.parse(spec(stop, ""), "t.yaml").scheduling());
  }

  @Test
  void errors() {
    assertError(spec(", checkpoint_every: 901", ""), "training.checkpoint_every", "1..training.max_steps (900)");
    assertError(spec(", checkpoint_every: 0", ""), "training.checkpoint_every", "an integer 1..");
    assertError(spec("", "search: {scheduler: {hyperband: {}}}"), "search.scheduler.hyperband", "asha");
    assertError(spec("", "search: {scheduler: {}}"), "search.scheduler", "one scheduler: asha");
    assertError(spec("", "search: {scheduler: {asha: {reduction_factor: 3}}}"), "search.scheduler.asha.min_steps",
        "required key is missing");
    assertError(spec("", "search: {scheduler: {asha: {min_steps: 75}}}"), "search.scheduler.asha.min_steps",
        "a multiple of training.eval_every (50)", "every rung ends with an evaluation");
    assertError(spec("", "search: {scheduler: {asha: {min_steps: 900}}}"), "search.scheduler.asha.min_steps",
        "1..max_steps - 1 (899)");
    assertError(spec("", "search: {scheduler: {asha: {min_steps: 100, max_steps: 1000}}}"),
        "search.scheduler.asha.max_steps", "2..training.max_steps (900)");
    assertError(spec("", "search: {scheduler: {asha: {min_steps: 100, max_steps: 420}}}"),
        "search.scheduler.asha.max_steps", "a multiple of training.eval_every (50)");
    assertError(spec("", "search: {scheduler: {asha: {min_steps: 100, reduction_factor: 1}}}"),
        "search.scheduler.asha.reduction_factor", "an integer 2..100");
    assertError(spec("", "search: {scheduler: {asha: {min_steps: 100, metric: accuracy}}}"),
        "search.scheduler.asha.metric", "eval_loss");
    assertError(spec("", "search: {scheduler: {asha: {min_steps: 100, min_step: 3}}}"),
        "search.scheduler.asha.min_step", "min_steps");
  }
}
