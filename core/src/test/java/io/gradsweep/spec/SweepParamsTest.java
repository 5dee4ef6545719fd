package io.gradsweep.spec;

import static io.gradsweep.spec.SpecFixtures.HEAD;
import static io.gradsweep.spec.SpecFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The parent run's params: complete, readable, and within MLflow's limits. */
class SweepParamsTest {
  /** MLflow: at most 100 params per batch; keys of at most 250 characters; values of at most 6000. */
  static void assertWithinMlflowLimits(Map<String, String> params) {
    assertTrue(params.size() <= 100, "too many params: " + params.size());
    params.forEach((k, v) -> {
      assertTrue(k.length() <= 250 && k.matches("[\\w./ -]+"), "bad key: " + k);
      assertTrue(v != null && !v.isEmpty() && v.length() <= 6000, "bad value for " + k + ": " + v);
    });
  }

  @Test
  void fullExample() {
    Map<String, String> p = Sweeps.parse(SweepSpecParserTest.FULL, "full.yaml").sweepParams();
    assertEquals(List.of("name", "task.name", "task.eval_size", "task.eval_seed", "training.batch_size",
        "training.max_steps", "training.eval_every", "training.solve_threshold", "training.profile_every",
        "training.log_points", "search.strategy", "search.max_trials", "grid.cell", "grid.seq_len", "grid.clip", "grid.tbptt", "grid.optimizer", "grid.lr",
        "grid.hidden", "grid.layers", "grid.init", "grid.seeds", "variants", "trials"), List.copyOf(p.keySet()));
    assertEquals("quickstart", p.get("name"));
    assertEquals("adding", p.get("task.name"));
    assertEquals("20240601", p.get("task.eval_seed"));
    assertEquals("0.01", p.get("training.solve_threshold"));
    assertEquals("[rnn, lstm]", p.get("grid.cell"));
    assertEquals("[none, global_norm:1]", p.get("grid.clip"));
    assertEquals("[none, 10]", p.get("grid.tbptt"));
    assertEquals("[0.001]", p.get("grid.lr"));
    assertEquals("[{cell: [rnn], activation: [tanh, relu]}, {cell: [lstm]}]", p.get("variants"));
    assertEquals("48", p.get("trials"));
    assertWithinMlflowLimits(p);
  }

  @Test
  void onlyAxesWrittenInTheGridAreListed() {
    Map<String, String> p = parse(HEAD + "grid: {cell: rnn, seq_len: 5}\n").sweepParams();
    assertEquals(List.of("grid.cell", "grid.seq_len"),
        p.keySet().stream().filter(k -> k.startsWith("grid.")).toList());
    assertFalse(p.containsKey("variants"));
  }

  @Test
  void longListsAreCut() {
    String many = IntStream.range(0, 200).mapToObj(Integer::toString).collect(Collectors.joining(", ", "[", "]"));
    String variants = IntStream.range(0, 120).mapToObj(i -> "{hidden: [" + (i + 1) + "]}")
        .collect(Collectors.joining(", ", "[", "]"));
    Map<String, String> p = parse(HEAD + "grid: {cell: rnn, seq_len: 5, seeds: " + many + "}\nvariants: "
        + variants + "\nsearch: {max_trials: 1000000}\n").sweepParams();
    assertWithinMlflowLimits(p);
    assertTrue(p.get("grid.seeds").endsWith("..."), p.get("grid.seeds"));
    assertTrue(p.get("grid.seeds").length() <= 500);
    assertTrue(p.get("variants").length() <= 500);
    assertEquals("24000", p.get("trials"));
  }
}
