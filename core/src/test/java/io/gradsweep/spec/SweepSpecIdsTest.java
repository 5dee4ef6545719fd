package io.gradsweep.spec;

import static io.gradsweep.spec.SpecFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Trial ids depend on the parameters only, not on how the YAML spells them. */
class SweepSpecIdsTest {
  private static final String A = """
      name: ids
      experiment: ids-exp
      task: {name: adding, eval_size: 100}
      training: {max_steps: 100, eval_every: 10, solve_threshold: 0.01}
      grid:
        cell: [rnn]
        activation: [tanh, relu]
        seq_len: [10, 20]
        clip: [none, {mode: global_norm, threshold: 1.0}]
        lr: [0.003]
        seeds: [1, 2]
      """;

  /** The same sweep: other key order, block style, other number spellings, comments. */
  private static final String A_REFORMATTED = """
      # the same sweep, written differently
      training:
        solve_threshold: 1e-2
        eval_every: 10
        max_steps: 100
      task:
        eval_size: 100
        name: adding
      grid:
        seeds:
          - 1
          - 2
        lr: [3.0e-3]
        clip:
          - none
          - threshold: 1e0
            mode: global_norm
        seq_len: [10, 20]
        activation: [tanh, relu]
        cell: rnn
        hidden: [32]    # the default, written out
      experiment: "ids-exp"
      name: 'ids'
      """;

  private static List<String> ids(String yaml) {
    return parse(yaml).trials().stream().map(TrialSpec::id).toList();
  }

  @Test
  void sameSpecSameIds() {
    assertEquals(ids(A), ids(A));
    assertEquals(parse(A).trials(), parse(A).trials());
  }

  @Test
  void reformattedSpecSameIdsInTheSameOrder() {
    assertEquals(ids(A), ids(A_REFORMATTED));
    assertEquals(parse(A).trials(), parse(A_REFORMATTED).trials());
  }

  @Test
  void valueOrderChangesTheOrderNotTheIds() {
    List<String> reordered = ids(A.replace("seq_len: [10, 20]", "seq_len: [20, 10]"));
    assertNotEquals(ids(A), reordered);
    assertEquals(new HashSet<>(ids(A)), new HashSet<>(reordered));
  }

  @Test
  void differentParametersDifferentIds() {
    Set<String> base = new HashSet<>(ids(A));
    assertEquals(16, base.size(), "ids within a sweep are distinct");
    for (String changed : List.of(
        A.replace("lr: [0.003]", "lr: [0.004]"),
        A.replace("max_steps: 100", "max_steps: 101"),
        A.replace("eval_size: 100", "eval_size: 101"),
        A.replace("seeds: [1, 2]", "seeds: [3, 4]"))) {
      Set<String> other = new HashSet<>(ids(changed));
      other.retainAll(base);
      assertTrue(other.isEmpty(), "ids should all change for:\n" + changed);
    }
  }

  @Test
  void clipThresholdChangesTheId() {
    String one = "clip: [{mode: global_norm, threshold: 1.0}]";
    assertNotEquals(ids(A.replace("clip: [none, {mode: global_norm, threshold: 1.0}]", one)),
        ids(A.replace("clip: [none, {mode: global_norm, threshold: 1.0}]", one.replace("1.0", "1.5"))));
  }

  @Test
  void sweepAndExperimentNamesAreNotPartOfTheId() {
    assertEquals(ids(A), ids(A.replace("name: ids", "name: other").replace("ids-exp", "other-exp")));
  }
}
