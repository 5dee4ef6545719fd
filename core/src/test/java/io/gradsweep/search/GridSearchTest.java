package io.gradsweep.search;

import static io.gradsweep.spec.SpecFixtures.HEAD;
import static io.gradsweep.spec.SpecFixtures.grid;
import static io.gradsweep.spec.SpecFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.SearchSpace;
import io.gradsweep.spec.SpecException;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.TrialSpec;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Grid search: counts and the documented order (the contract runs in {@link SearchStrategyContractTest}). */
class GridSearchTest {
  private static <T> List<T> column(SweepSpec spec, Function<TrialSpec, T> f) {
    return spec.trials().stream().map(f).toList();
  }

  @Test
  void countIsTheProductOfTheAxisSizes() {
    SweepSpec spec = grid("{cell: [rnn], activation: [tanh, relu], seq_len: [10, 20, 30], hidden: [8, 16],"
        + " lr: [0.1, 0.01], seeds: [1, 2, 3]}");
    assertEquals(2 * 3 * 2 * 2 * 3, spec.trials().size());
    assertEquals(72L, spec.space().gridSize());
  }

  @Test
  void withVariantsCountIsTheSumOverVariants() {
    SweepSpec spec = parse(HEAD + "grid: {seq_len: [10, 20], seeds: [1, 2]}\n"
        + "variants: [{cell: rnn, activation: [tanh, relu, sigmoid]}, {cell: lstm}, {cell: lstm, hidden: [64]}]\n");
    assertEquals(3 * 4 + 4 + 4, spec.trials().size());
  }

  @Test
  void handCheckedOrderOfATwoByTwoGrid() {
    SweepSpec spec = grid("{cell: rnn, seq_len: [10, 20], hidden: [8, 16]}");
    assertEquals(List.of("T10 h8", "T10 h16", "T20 h8", "T20 h16"),
        column(spec, t -> "T" + t.seqLen() + " h" + t.hidden()));
  }

  @Test
  void keyOrderInTheFileDoesNotChangeTheOrder() {
    assertEquals(grid("{cell: rnn, seq_len: [10, 20], hidden: [8, 16]}").trials(),
        grid("{hidden: [8, 16], seq_len: [10, 20], cell: rnn}").trials());
  }

  @Test
  void seedsAreInnermostAndVariantsInFileOrder() {
    SweepSpec spec = parse(HEAD + "grid: {seq_len: [5], seeds: [1, 2], lr: [0.1, 0.2]}\n"
        + "variants: [{cell: lstm}, {cell: rnn}]\n");
    assertEquals(List.of("lstm 0.1 1", "lstm 0.1 2", "lstm 0.2 1", "lstm 0.2 2",
            "rnn 0.1 1", "rnn 0.1 2", "rnn 0.2 1", "rnn 0.2 2"),
        column(spec, t -> t.cell() + " " + t.lr() + " " + t.seed()));
  }

  @Test
  void aDataParallelVariantExpandsLikeTheOthersAndReachesOnlyItsTrials() {
    SweepSpec spec = parse("name: t\nexperiment: e\ntask: {name: adding}\ntraining: {max_steps: 10, batch_size: 64}\n"
        + "grid: {cell: lstm, seq_len: [10, 20], seeds: [1, 2]}\n"
        + "variants:\n  - {}\n  - {seeds: [1], data_parallel: {workers: 2, averaging_frequency: 1, "
        + "batch_per_worker: 32}}\n  - {seeds: [1], data_parallel: {workers: 4, averaging_frequency: 2, "
        + "batch_per_worker: 16}}\n");
    // the same configurations as one task and with two data-parallel settings: distinct trials, not an overlap
    assertEquals(List.of("T10 s1 -", "T10 s2 -", "T20 s1 -", "T20 s2 -", "T10 s1 2x32/1", "T20 s1 2x32/1",
            "T10 s1 4x16/2", "T20 s1 4x16/2"),
        column(spec, t -> "T" + t.seqLen() + " s" + t.seed() + " " + (t.dataParallel() == null ? "-"
            : t.dataParallel().workers() + "x" + t.dataParallel().batchPerWorker() + "/"
            + t.dataParallel().averagingFrequency())));
    assertEquals(8, spec.trials().stream().map(TrialSpec::id).distinct().count());
    assertEquals(spec.trials().get(0), spec.trials().get(4).asOneTask());
  }

  @Test
  void theJavadocExample() {
    SweepSpec spec = grid("{cell: [rnn, lstm], seq_len: [10, 30], seeds: [1, 2]}");
    assertEquals(List.of("rnn T10 s1", "rnn T10 s2", "rnn T30 s1", "rnn T30 s2",
            "lstm T10 s1", "lstm T10 s2", "lstm T30 s1", "lstm T30 s2"),
        column(spec, t -> t.cell() + " T" + t.seqLen() + " s" + t.seed()));
  }

  @Test
  void valuesKeepTheirWrittenOrder() {
    assertEquals(List.of(30, 10, 20), column(grid("{cell: rnn, seq_len: [30, 10, 20]}"), TrialSpec::seqLen));
  }

  @Test
  void maxTrialsIsCheckedBeforeExpanding() {
    SweepSpec spec = grid("{cell: rnn, seq_len: [10, 20, 30], seeds: [1, 2]}");
    SearchSpace space = spec.space().withMaxTrials(5);
    SpecException e = assertThrows(SpecException.class, () -> new GridSearch().expand(space));
    assertEquals("search.max_trials", e.path());
    assertTrue(e.getMessage().contains("the grid expands to 6 trials, more than max_trials 5"), e.getMessage());
    assertTrue(e.getMessage().contains("grid: seq_len 3 x seeds 2 = 6"), e.getMessage());
    assertEquals(6, new GridSearch().expand(spec.space().withMaxTrials(6)).size());
  }

  @Test
  void hugeGridsFailWithoutExpanding() {
    String hundred = IntStream.rangeClosed(1, 100).mapToObj(Integer::toString)
        .collect(Collectors.joining(", ", "[", "]"));
    String seeds = IntStream.rangeClosed(1, 101).mapToObj(Integer::toString)
        .collect(Collectors.joining(", ", "[", "]"));
    long start = System.nanoTime();
    SpecException e = assertThrows(SpecException.class, () -> parse(HEAD + "grid: {cell: rnn, seq_len: [10, 20],"
        + " hidden: " + hundred + ", layers: [1, 2, 3, 4, 5, 6, 7, 8], seeds: " + seeds + ","
        + " lr: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}\n"
        + "search: {max_trials: 1000000}\n"));
    assertTrue(e.getMessage().contains("the grid expands to 1616000 trials, more than max_trials 1000000"),
        e.getMessage());
    assertTrue(System.nanoTime() - start < 2_000_000_000L, "should fail before building trials");
  }
}
