package io.gradsweep.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The shipped specs in conf/ parse, have the intended shape, and the README documents every key. */
class SweepConfFilesTest {
  private static final Path CONF = SpecFixtures.repoRoot().resolve("conf");

  @Test
  void everyConfFileParses() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(CONF)) {
      files = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no YAML in " + CONF);
    for (Path f : files) {
      SweepSpec spec = Sweeps.parseFile(f);
      assertFalse(spec.trials().isEmpty(), f.toString());
      SweepParamsTest.assertWithinMlflowLimits(spec.sweepParams());
    }
  }

  @Test
  void quickstart() {
    SweepSpec spec = Sweeps.parseFile(CONF.resolve("quickstart.yaml"));
    assertEquals(12, spec.trials().size());
    assertEquals(Set.of("rnn-tanh", "rnn-relu", "lstm-null"),
        spec.trials().stream().map(t -> t.cell() + "-" + t.activation()).collect(Collectors.toSet()));
    assertEquals(2, spec.trials().stream().map(TrialSpec::seqLen).distinct().count(), "two sequence lengths");
    assertEquals(Set.of("none", "global_norm:1"),
        spec.trials().stream().map(t -> t.clip().canonical()).collect(Collectors.toSet()));
    // everything but the compared knobs is the same for all trials
    assertEquals(1, spec.trials().stream().map(t -> List.of(t.optimizer(), t.lr(), t.hidden(), t.batchSize(),
        t.maxSteps(), t.evalEvery())).distinct().count());
    assertEquals(1, spec.trials().stream().map(TrialSpec::seed).distinct().count());
  }

  @Test
  void randomSearch() {
    SweepSpec spec = Sweeps.parseFile(CONF.resolve("random-search.yaml"));
    assertEquals("random", spec.strategy());
    assertEquals(64, spec.trials().size());
    assertEquals(Set.of("lstm"), spec.trials().stream().map(TrialSpec::cell).collect(Collectors.toSet()));
    assertEquals(Set.of(50), spec.trials().stream().map(TrialSpec::seqLen).collect(Collectors.toSet()));
    assertEquals("adding", spec.template().task());
    assertTrue(spec.trials().stream().allMatch(t -> t.lr() >= 1e-4 && t.lr() <= 0.1
        && t.clip().enabled() && t.clip().threshold() >= 0.1 && t.clip().threshold() <= 10));
    assertEquals(Set.of(16, 32, 64, 128), spec.trials().stream().map(TrialSpec::hidden).collect(Collectors.toSet()));
    assertEquals(64, spec.trials().stream().map(TrialSpec::lr).distinct().count(), "continuous: no repeats");
    assertEquals("64", spec.sweepParams().get("search.num_samples"));
  }

  @Test
  void addingRemedies() {
    SweepSpec spec = Sweeps.parseFile(CONF.resolve("adding-remedies.yaml"));
    assertEquals(3 * 3 * 3 * 2 * 3 * 3 + 3 * 3 * 2 * 3 * 3, spec.trials().size());
    assertEquals(Set.of(20, 50, 100), spec.trials().stream().map(TrialSpec::seqLen).collect(Collectors.toSet()));
    assertEquals(Set.of("sgd", "rmsprop", "adam"),
        spec.trials().stream().map(TrialSpec::optimizer).collect(Collectors.toSet()));
    assertEquals(3, spec.trials().stream().map(TrialSpec::seed).distinct().count());
  }

  @Test
  void longRangeSpecsCoverTheThreeTasksAndCellsAtSeveralLengths() {
    for (String task : List.of("adding", "copy", "temporal_order")) {
      SweepSpec spec = Sweeps.parseFile(CONF.resolve("long-range-" + task.replace('_', '-') + ".yaml"));
      List<TrialSpec> full = spec.trials().stream().filter(t -> t.tbptt() == 0).toList();
      assertEquals(Set.of(task), spec.trials().stream().map(TrialSpec::task).collect(Collectors.toSet()));
      assertEquals(Set.of("rnn", "lstm", "gru"), full.stream().map(TrialSpec::cell).collect(Collectors.toSet()));
      for (String cell : List.of("rnn", "lstm", "gru")) {
        assertTrue(full.stream().filter(t -> t.cell().equals(cell)).map(TrialSpec::seqLen).distinct().count() >= 2,
            task + " " + cell + ": at least two lengths");
      }
      assertEquals(Set.of(1L, 2L, 3L), spec.trials().stream().map(TrialSpec::seed).collect(Collectors.toSet()),
          task + ": three seeds");
    }
    // truncation below the lag: temporal order at L = 60 with a window of 10 never sees a relevant symbol
    SweepSpec order = Sweeps.parseFile(CONF.resolve("long-range-temporal-order.yaml"));
    assertEquals(Set.of(10), order.trials().stream().filter(t -> t.tbptt() > 0).map(TrialSpec::tbptt)
        .collect(Collectors.toSet()));
    assertTrue(order.trials().stream().filter(t -> t.tbptt() > 0).allMatch(t -> 0.6 * t.seqLen() < t.seqLen() - 10));
  }

  @Test
  void readmeDocumentsEveryKey() throws IOException {
    String readme = Files.readString(CONF.resolve("README.md"));
    Stream.concat(Stream.of(SweepSpecParser.TOP_KEYS, SweepSpecParser.TASK_KEYS, SweepSpecParser.TRAINING_KEYS,
            SweepSpecParser.SEARCH_KEYS, Axis.keys(), SweepSpecParser.STOP_KEYS, SweepSpecParser.VANISHED_KEYS,
            SweepSpecParser.PLATEAU_KEYS).flatMap(List::stream),
            io.gradsweep.task.SequenceTasks.all().stream().flatMap(t -> t.options().stream())
                .map(io.gradsweep.task.TaskOption::key))
        .forEach(k -> assertTrue(readme.contains("`" + k + "`"), "conf/README.md does not document " + k));
  }
}
