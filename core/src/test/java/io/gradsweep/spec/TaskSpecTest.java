package io.gradsweep.spec;

import static io.gradsweep.spec.SpecFixtures.assertError;
import static io.gradsweep.spec.SpecFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code task} mapping per task: task-specific keys, their checks, the task's seq_len and solve threshold. */
class TaskSpecTest {

  private static String spec(String task, String training, String grid) {
    return "name: t\nexperiment: e\ntask: " + task + "\ntraining: " + training + "\ngrid: " + grid + "\n";
  }

  private static String temporal(String task) {
    return spec(task, "{max_steps: 10}", "{cell: [lstm], seq_len: [20]}");
  }

  @Test
  void temporalOrderTrialsCarryEveryOptionAsAParamAndTheDefaultAccuracyThreshold() {
    TrialSpec t = parse(temporal("{name: temporal_order, relevant: 3}")).trials().get(0);
    assertEquals(Map.of("relevant", "3"), t.taskOptions());
    assertEquals("3", t.params().get("task.relevant"));
    assertEquals(0.99, t.solveThreshold(), 0.0);
    TrialSpec dflt = parse(temporal("{name: temporal_order}")).trials().get(0);
    assertEquals("2", dflt.params().get("task.relevant"), "an option left out is the default, written out");
    assertEquals(dflt.id(), parse(temporal("{name: temporal_order, relevant: 2}")).trials().get(0).id());
    assertNotEquals(dflt.id(), t.id());
    assertEquals("3", parse(temporal("{name: temporal_order, relevant: 3}")).sweepParams().get("task.relevant"));
  }

  @Test
  void addingTrialsHaveNoTaskParamsSoTheirIdsDoNotChange() {
    TrialSpec t = parse(spec("{name: adding}", "{max_steps: 10}", "{cell: [lstm], seq_len: [20]}")).trials().get(0);
    assertEquals(Map.of(), t.taskOptions());
    assertFalse(t.params().keySet().stream().anyMatch(k -> k.startsWith("task.")), t.params().toString());
    assertEquals(0.01, t.solveThreshold(), 0.0);
  }

  @Test
  void anOptionOutOfRangeNamesTheAllowedValues() {
    assertError(temporal("{name: temporal_order, relevant: 4}"), "task.relevant", "expected an integer 2..3",
        "got 4");
  }

  @Test
  void anOptionOfAnotherTaskNamesItsTask() {
    assertError(spec("{name: adding, relevant: 3}", "{max_steps: 10}", "{cell: [lstm], seq_len: [20]}"),
        "task.relevant", "is an option of task temporal_order, not of task adding",
        "the keys of task adding: name, eval_size, eval_seed");
  }

  @Test
  void anUnknownKeySuggestsTheTasksOwn() {
    assertError(temporal("{name: temporal_order, relevnt: 3}"), "task.relevnt", "unknown key \"relevnt\"",
        "name, eval_size, eval_seed, relevant", "did you mean \"relevant\"?");
  }

  @Test
  void copyOptions() {
    TrialSpec t = parse(spec("{name: copy, alphabet: 4}", "{max_steps: 10}", "{cell: [gru], seq_len: [5]}"))
        .trials().get(0);
    assertEquals(Map.of("alphabet", "4", "symbols", "10"), t.taskOptions());
    assertError(spec("{name: copy, symbols: 0}", "{max_steps: 10}", "{cell: [gru], seq_len: [5]}"),
        "task.symbols", "expected an integer 1..100", "got 0");
  }

  @Test
  void aSequenceTooShortForTheTaskIsNamed() {
    assertError(spec("{name: temporal_order}", "{max_steps: 10}", "{cell: [lstm], seq_len: [20, 8]}"),
        "grid.seq_len[1]", "seq_len 8 is too short for task temporal_order", "needs seq_len >= 10");
  }

  @Test
  void theSolveThresholdOfAnAccuracyIsAboveTheBaseline() {
    assertError(spec("{name: temporal_order, relevant: 3}", "{max_steps: 10, solve_threshold: 0.1}",
        "{cell: [lstm], seq_len: [20]}"), "training.solve_threshold",
        "a number 1/8 < x <= 1 (above the temporal_order task's trivial-baseline accuracy)", "got 0.1");
    assertError(spec("{name: copy}", "{max_steps: 10, solve_threshold: 1.5}", "{cell: [lstm], seq_len: [20]}"),
        "training.solve_threshold", "1/8 < x <= 1", "recall accuracy");
    assertError(spec("{name: adding}", "{max_steps: 10, solve_threshold: 0.2}", "{cell: [lstm], seq_len: [20]}"),
        "training.solve_threshold", "a number 0 < x < 1/6 (below the adding task's trivial-baseline MSE)");
  }
}
