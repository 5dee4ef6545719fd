package io.gradsweep.live;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SweptFactorsTest {

  @Test
  void theFactorsAreTheParamsThatVary() {
    List<Map<String, String>> trials = List.of(
        Map.of("cell", "lstm", "lr", "0.01", "seed", "1", "task", "adding"),
        Map.of("cell", "rnn", "lr", "0.01", "seed", "2", "task", "adding"),
        Map.of("cell", "rnn", "lr", "0.01", "task", "adding"));
    assertEquals(List.of("cell", "seed"), SweptFactors.of(trials).keys());
    assertEquals(List.of(), SweptFactors.of(List.of(Map.of("cell", "rnn"))).keys());
  }

  @Test
  void theStripIsOrderedByEachFactorInTurnNumbersNumerically() {
    List<Map<String, String>> trials = new ArrayList<>(List.of(
        Map.of("cell", "rnn", "lr", "0.01"),
        Map.of("cell", "lstm", "lr", "1e-3"),
        Map.of("cell", "rnn", "lr", "1e-3"),
        Map.of("cell", "lstm", "lr", "0.1"),
        Map.of("cell", "gru", "lr", "0.01"),
        Map.of("cell", "gru", "lr", "2")));
    SweptFactors f = SweptFactors.of(trials);
    trials.sort(f.order());
    assertEquals(List.of("gru 0.01", "gru 2", "lstm 1e-3", "lstm 0.1", "rnn 1e-3", "rnn 0.01"),
        trials.stream().map(t -> t.get("cell") + " " + t.get("lr")).toList());
  }

  @Test
  void numbersComeBeforeWordsAndAMissingValueFirst() {
    assertEquals(-1, Integer.signum(SweptFactors.compareValues("10", "abc")));
    assertEquals(1, Integer.signum(SweptFactors.compareValues("9", "10.0") * -1));
    List<Map<String, String>> trials = new ArrayList<>(List.of(Map.of("x", "b"), Map.of("x", "3"), Map.of("y", "1")));
    trials.sort(SweptFactors.of(trials).order());
    assertEquals(List.of(Map.of("y", "1"), Map.of("x", "3"), Map.of("x", "b")), trials);
  }
}
