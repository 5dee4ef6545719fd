package io.gradsweep.spec;

import static io.gradsweep.spec.SpecFixtures.HEAD;
import static io.gradsweep.spec.SpecFixtures.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.SearchStrategies;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Distributions on axes, search.num_samples and search.seed: what the parser reads and what it refuses. */
class DistributionSpecTest {
  private static final String RANDOM = "search: {strategy: random, num_samples: 8}\n";

  private static ParsedSweep parsed(String yaml) {
    return SweepSpecParser.parse(HEAD + yaml, "test.yaml", SearchStrategies.names());
  }

  private static void fails(String grid, String path, String... fragments) {
    assertError(HEAD + RANDOM + grid, path, fragments);
  }

  @Test
  void readsEveryDistributionAsAValue() {
    ParsedSweep p = parsed(RANDOM + "grid: {cell: lstm, seq_len: {int_uniform: [20, 60]},"
        + " tbptt: {log_int_uniform: [2, 16]}, lr: {log_uniform: [1e-4, 1e-1]}, hidden: {int_uniform: [16, 256]},"
        + " layers: {int_uniform: [1, 2]}, clip: [none, {mode: value, threshold: {uniform: [0.5, 5]}}]}\n");
    GridBlock b = p.space().blocks().get(0);
    assertEquals(List.of(new Distribution.IntUniform(20, 60)), b.values(Axis.SEQ_LEN));
    assertEquals(List.of(new Distribution.LogIntUniform(2, 16)), b.values(Axis.TBPTT));
    assertEquals(List.of(new Distribution.LogUniform(1e-4, 1e-1)), b.values(Axis.LR));
    assertEquals(List.of(new Distribution.IntUniform(16, 256)), b.values(Axis.HIDDEN));
    assertEquals(List.of(ClipSpec.NONE, new ClipRange(ClipMode.VALUE, new Distribution.Uniform(0.5, 5))),
        b.values(Axis.CLIP));
    assertEquals(List.of(Axis.SEQ_LEN, Axis.CLIP, Axis.TBPTT, Axis.LR, Axis.HIDDEN, Axis.LAYERS), b.sampledAxes());
    assertFalse(b.sampled(Axis.CELL));
    assertEquals(OptionalInt.of(8), p.space().numSamples());
    assertEquals(OptionalLong.empty(), p.space().seed());
    assertEquals(SearchSpace.DEFAULT_SEED, p.space().seedOrDefault());
    assertEquals("{log_uniform: [0.0001, 0.1]}", Axis.LR.text(b.values(Axis.LR).get(0)));
    assertEquals("value:{uniform: [0.5, 5]}", Axis.CLIP.text(b.values(Axis.CLIP).get(1)));
  }

  @Test
  void distributionValuesAreCheckedInTheirConstructors() {
    assertThrows(IllegalArgumentException.class, () -> new Distribution.Uniform(2, 1));
    assertThrows(IllegalArgumentException.class, () -> new Distribution.Uniform(0, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new Distribution.LogUniform(0, 1));
    assertThrows(IllegalArgumentException.class, () -> new Distribution.IntUniform(3, 3));
    assertThrows(IllegalArgumentException.class, () -> new Distribution.LogIntUniform(0, 8));
    assertThrows(IllegalArgumentException.class,
        () -> new ClipRange(ClipMode.NONE, new Distribution.Uniform(1, 2)));
    assertThrows(IllegalArgumentException.class,
        () -> new ClipRange(ClipMode.VALUE, new Distribution.IntUniform(1, 2)));
  }

  @Test
  void aMisspelledDistributionIsSuggested() {
    fails("grid: {cell: lstm, seq_len: 10, lr: {log_unifrom: [0.001, 0.1]}}\n", "grid.lr",
        "unknown distribution \"log_unifrom\" for lr", "lr takes {uniform: [low, high]}, {log_uniform: [low, high]}",
        "did you mean \"log_uniform\"?");
    fails("grid: {cell: lstm, seq_len: 10, hidden: {int_uniforn: [8, 64]}}\n", "grid.hidden",
        "did you mean \"int_uniform\"?");
    // on a list-only axis a near miss is still recognised as an attempted distribution
    fails("grid: {cell: {unifrom: [rnn, lstm]}, seq_len: 10}\n", "grid.cell", "cell takes a list of values only");
  }

  @Test
  void aDistributionAnAxisDoesNotTakeNamesWhatItTakes() {
    fails("grid: {cell: lstm, seq_len: 10, lr: {int_uniform: [1, 3]}}\n", "grid.lr",
        "distribution int_uniform is not allowed for lr", "{uniform: [low, high]}, {log_uniform: [low, high]}",
        "or a list of values");
    fails("grid: {cell: lstm, seq_len: 10, hidden: {log_uniform: [8, 64]}}\n", "grid.hidden",
        "distribution log_uniform is not allowed for hidden", "{int_uniform: [low, high]}");
    fails("grid: {cell: lstm, seq_len: 10, optimizer: {uniform: [1, 2]}}\n", "grid.optimizer",
        "optimizer takes a list of values only", "each value equally likely",
        "distributions (uniform, log_uniform, int_uniform, log_int_uniform) apply to lr, seq_len, tbptt, hidden,"
            + " layers and a clip threshold");
    fails("grid: {cell: lstm, seq_len: 10, seeds: {int_uniform: [1, 5]}}\n", "grid.seeds",
        "seeds takes a list of values only (a sampled search runs each configuration it draws once per listed seed)");
    fails("grid: {cell: lstm, seq_len: 10, init: {uniform: [0.5, 1]}}\n", "grid.init", "init takes a list");
    fails("grid: {cell: lstm, seq_len: 10, clip: {mode: value, threshold: {int_uniform: [1, 3]}}}\n",
        "grid.clip.threshold", "distribution int_uniform is not allowed for a clip threshold",
        "{uniform: [low, high]}, {log_uniform: [low, high]}");
  }

  @Test
  void boundsAreValuesOfTheAxis() {
    fails("grid: {cell: lstm, seq_len: 10, lr: {log_uniform: [0.001, 20]}}\n", "grid.lr.log_uniform[1]",
        "expected a finite number 0 < lr <= 10, got 20 (integer)");
    fails("grid: {cell: lstm, seq_len: 10, hidden: {int_uniform: [8.5, 64]}}\n", "grid.hidden.int_uniform[0]",
        "expected an integer 1..4096, got 8.5 (float)");
    fails("grid: {cell: lstm, seq_len: 10, lr: {uniform: [0.1, 0.01]}}\n", "grid.lr.uniform",
        "the low bound must be below the high bound, got [0.1, 0.01] (list)", "write a list, e.g. [0.1]");
    fails("grid: {cell: lstm, seq_len: 10, lr: {uniform: [0.1]}}\n", "grid.lr.uniform",
        "expected [low, high], two bounds, e.g. {uniform: [0.5, 5]}");
    fails("grid: {cell: lstm, seq_len: 10, lr: {uniform: 0.1}}\n", "grid.lr.uniform", "expected [low, high]");
    fails("grid: {cell: lstm, seq_len: 10, lr: {uniform: [0.1, 0.2], log_uniform: [0.1, 0.2]}}\n", "grid.lr",
        "a distribution: a mapping with one key");
    fails("grid: {cell: lstm, seq_len: 10, clip: {mode: value, threshold: {uniform: [0, 1]}}}\n",
        "grid.clip.threshold.uniform[0]", "expected a finite number > 0, got 0 (integer)");
  }

  @Test
  void aDistributionInAListIsRefused() {
    fails("grid: {cell: lstm, seq_len: 10, lr: [0.1, {uniform: [0.01, 0.1]}]}\n", "grid.lr[1]",
        "a distribution is written alone, not in a list: lr: {uniform: [low, high]}");
  }

  @Test
  void combinationRulesUseTheRanges() {
    fails("grid: {cell: lstm, seq_len: {int_uniform: [20, 60]}, tbptt: [none, 30]}\n", "grid.tbptt[1]",
        "tbptt window 30 is longer than seq_len as short as 20 ({int_uniform: [20, 60]}, grid.seq_len)");
    fails("grid: {cell: lstm, seq_len: [40], tbptt: {int_uniform: [10, 50]}}\n", "grid.tbptt",
        "tbptt window up to 50 ({int_uniform: [10, 50]}) is longer than seq_len 40 (grid.seq_len[0])");
    assertError(HEAD.replace("{name: adding}", "{name: temporal_order}") + RANDOM
        + "grid: {cell: lstm, seq_len: {int_uniform: [5, 60]}}\n", "grid.seq_len", "seq_len 5 is too short");
  }

  @Test
  void searchKeysAreStrict() {
    assertError(HEAD + "search: {strategy: random, num_sample: 8}\ngrid: {cell: lstm, seq_len: 10}\n",
        "search.num_sample", "unknown key \"num_sample\" in search", "did you mean \"num_samples\"?");
    assertError(HEAD + "search: {strategy: random, num_samples: 0}\ngrid: {cell: lstm, seq_len: 10}\n",
        "search.num_samples", "expected an integer 1..1000000, got 0 (integer)");
    assertError(HEAD + "search: {strategy: random, num_samples: 4, seed: -1}\ngrid: {cell: lstm, seq_len: 10}\n",
        "search.seed", "expected an integer >= 0, got -1 (integer)");
    assertError(HEAD + "search: {strategy: random, num_samples: \"8\"}\ngrid: {cell: lstm, seq_len: 10}\n",
        "search.num_samples", "remove the quotes");
  }

  @Test
  void gridSearchRefusesWhatOnlySampledSearchesUse() {
    assertError(HEAD + "grid: {cell: lstm, seq_len: 10, lr: {log_uniform: [0.001, 0.1]}}\n", "grid.lr",
        "a distribution ({log_uniform: [0.001, 0.1]}) needs a sampled search, but search.strategy is grid",
        "set search.strategy: random or sobol with search.num_samples", "or write a list of values",
        "(test.yaml:");
    assertError(HEAD + "grid: {seq_len: 10, clip: [none, {mode: value, threshold: {uniform: [1, 2]}}]}\n"
        + "variants: [{cell: rnn}, {cell: lstm}]\n", "grid.clip",
        "a sampled clip threshold ([none, value:{uniform: [1, 2]}]) needs a sampled search",
        "or write a number, e.g. {mode: global_norm, threshold: 1.0}");
    assertError(HEAD + "search: {num_samples: 8}\ngrid: {cell: lstm, seq_len: 10}\n", "search.num_samples",
        "num_samples 8 applies only to a sampled search (search.strategy random or sobol)");
    assertError(HEAD + "search: {strategy: grid, seed: 3}\ngrid: {cell: lstm, seq_len: 10}\n", "search.seed",
        "seed 3 applies only to a sampled search");
  }

  @Test
  void parsingDoesNotDependOnTheStrategyWords() {
    // the parser reads distributions for any strategy word; whether the strategy accepts them is its business
    ParsedSweep p = SweepSpecParser.parse(HEAD + "search: {strategy: mine, num_samples: 3, seed: 9}\n"
        + "grid: {cell: lstm, seq_len: 10, lr: {uniform: [0.01, 0.1]}}\n", "t.yaml", List.of("mine"));
    assertEquals(OptionalLong.of(9), p.space().seed());
    assertTrue(p.space().blocks().get(0).sampled(Axis.LR));
    assertEquals("9", p.sweepParams().get("search.seed"));
  }
}
