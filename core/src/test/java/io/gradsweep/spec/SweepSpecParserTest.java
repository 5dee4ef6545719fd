package io.gradsweep.spec;

import static io.gradsweep.spec.SpecFixtures.HEAD;
import static io.gradsweep.spec.SpecFixtures.grid;
import static io.gradsweep.spec.SpecFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Specs that parse: the example of the format, defaults, shorthands and YAML conveniences. */
class SweepSpecParserTest {
  /** The complete example of the format (all keys, with variants). */
  static final String FULL = """
      name: quickstart
      experiment: gradsweep-quickstart
      task:
        name: adding
        eval_size: 512
        eval_seed: 20240601
      training:
        batch_size: 32
        max_steps: 400
        eval_every: 20
        solve_threshold: 0.01
      search:
        strategy: grid
        max_trials: 10000
      grid:
        cell: [rnn, lstm]
        seq_len: [20, 50]
        clip: [none, {mode: global_norm, threshold: 1.0}]
        tbptt: [none, 10]
        optimizer: [adam]
        lr: [0.001]
        hidden: [32]
        layers: [1]
        init: [default]
        seeds: [1, 2]
      variants:
        - cell: [rnn]
          activation: [tanh, relu]
        - cell: [lstm]
      """;

  @Test
  void fullExample() {
    SweepSpec spec = Sweeps.parse(FULL, "full.yaml");
    assertEquals("quickstart", spec.name());
    assertEquals("gradsweep-quickstart", spec.experiment());
    assertEquals("full.yaml", spec.source());
    assertEquals("grid", spec.strategy());
    assertEquals(10000, spec.maxTrials());
    assertSame(FULL, spec.yaml());
    // rnn: 2 activations x 2 seq_len x 2 clip x 2 tbptt x 2 seeds = 32; lstm: 16
    assertEquals(48, spec.trials().size());
    TrialSpec first = spec.trials().get(0);
    assertEquals(new TrialSpec("gradsweep-quickstart", "quickstart", "adding", 512, 20240601L, 20, "rnn", "tanh",
        ClipSpec.NONE, 0, "adam", 0.001, 32, 1, "default", 1L, 32, 400, 20, 0.01), first);
    assertEquals(List.of("variants[0]", "variants[1]"),
        spec.space().blocks().stream().map(GridBlock::path).toList());
    assertEquals(new TrialTemplate("gradsweep-quickstart", "quickstart", "adding", 512, 20240601L, 32, 400, 20,
        0.01), spec.template());
  }

  @Test
  void defaults() {
    SweepSpec spec = grid("{cell: [rnn, lstm], seq_len: [20]}");
    assertEquals(2, spec.trials().size());
    TrialSpec rnn = spec.trials().get(0);
    TrialSpec lstm = spec.trials().get(1);
    assertEquals("tanh", rnn.activation());
    assertNull(lstm.activation(), "gated cells have no activation");
    for (TrialSpec t : spec.trials()) {
      assertEquals(ClipSpec.NONE, t.clip());
      assertEquals(0, t.tbptt());
      assertEquals("adam", t.optimizer());
      assertEquals(0.001, t.lr());
      assertEquals(32, t.hidden());
      assertEquals(1, t.layers());
      assertEquals("default", t.init());
      assertEquals(0L, t.seed());
      assertEquals(1000, t.evalSize());
      assertEquals(12345L, t.evalSeed());
      assertEquals(32, t.batchSize());
      assertEquals(10, t.maxSteps());
      assertEquals(10, t.evalEvery(), "eval_every defaults to min(50, max_steps)");
      assertEquals(0.01, t.solveThreshold());
    }
    assertEquals("grid", spec.strategy());
    assertEquals(10000, spec.maxTrials());
  }

  @Test
  void evalEveryDefaultsTo50() {
    SweepSpec spec = parse(HEAD.replace("max_steps: 10", "max_steps: 1000") + "grid: {cell: rnn, seq_len: 20}\n");
    assertEquals(50, spec.trials().get(0).evalEvery());
  }

  @Test
  void singleValuesAreOneElementLists() {
    SweepSpec spec = grid("{cell: rnn, seq_len: 20, hidden: 64, lr: 1e-2, tbptt: 5, "
        + "clip: {mode: value, threshold: 2}, seeds: 7}");
    TrialSpec t = spec.trials().get(0);
    assertEquals(1, spec.trials().size());
    assertEquals(64, t.hidden());
    assertEquals(0.01, t.lr());
    assertEquals(5, t.tbptt());
    assertEquals(new ClipSpec(ClipMode.VALUE, 2.0), t.clip());
    assertEquals(7L, t.seed());
  }

  @Test
  void clipForms() {
    SweepSpec spec = grid("{cell: [rnn], seq_len: [20], clip: [{mode: none}, {mode: global_norm, threshold: 1},"
        + " {mode: layer_norm, threshold: 0.5}, {mode: value, threshold: 5}]}");
    assertEquals(List.of("none", "global_norm:1", "layer_norm:0.5", "value:5"),
        spec.trials().stream().map(t -> t.clip().canonical()).toList());
  }

  @Test
  void profileEveryDefaultsToEvalEveryAndIsNotPartOfTheId() {
    SweepSpec plain = grid("{cell: [rnn], seq_len: [20]}");
    TrialSpec t = plain.trials().get(0);
    assertEquals(t.evalEvery(), t.profileEvery());
    String yaml = plain.yaml().replace("training: {", "training: {profile_every: 7, ");
    assertTrue(yaml.contains("profile_every: 7"), yaml);
    SweepSpec sparse = Sweeps.parse(yaml, "t.yaml");
    TrialSpec s = sparse.trials().get(0);
    assertEquals(7, s.profileEvery());
    assertEquals("7", s.params().get("profile_every"));
    assertEquals(t.id(), s.id(), "the profile cadence measures; it does not change what is trained");
    assertEquals("7", sparse.sweepParams().get("training.profile_every"));
  }

  @Test
  void logPointsSetsTheLoggingWindowAndIsNotPartOfTheId() {
    SweepSpec plain = grid("{cell: [rnn], seq_len: [20]}");
    TrialSpec t = plain.trials().get(0);
    assertEquals(TrialSpec.DEFAULT_LOG_POINTS, t.logPoints());
    String yaml = plain.yaml().replace("training: {", "training: {log_points: 7, ");
    SweepSpec sparse = Sweeps.parse(yaml, "t.yaml");
    TrialSpec s = sparse.trials().get(0);
    assertEquals(7, s.logPoints());
    assertEquals((s.maxSteps() + 6) / 7, s.logWindow());
    assertEquals("7", s.params().get("log_points"));
    assertEquals(t.id(), s.id(), "the logging budget measures; it does not change what is trained");
    assertEquals("7", sparse.sweepParams().get("training.log_points"));
  }

  @Test
  void gruCellAndInitForms() {
    SweepSpec spec = grid("{cell: [gru], seq_len: [20], init: [default, identity, orthogonal,"
        + " {scheme: orthogonal, spectral_radius: 0.9}, {scheme: default, spectral_radius: 1.0e0}]}");
    assertEquals(List.of("default", "identity", "orthogonal", "orthogonal:rho=0.9", "default:rho=1"),
        spec.trials().stream().map(TrialSpec::init).toList());
    assertEquals("gru", spec.trials().get(0).cell());
    // every init text the parser produces is one the engine reads back
    spec.trials().forEach(t -> assertEquals(t.init(), io.gradsweep.engine.InitScheme.fromWord(t.init()).canonical()));
  }

  @Test
  void tbpttWindowMayEqualTheSequenceLength() {
    assertEquals(2, grid("{cell: [rnn], seq_len: [10], tbptt: [none, 10]}").trials().size());
  }

  @Test
  void numberSpellings() {
    SweepSpec spec = grid("{cell: [rnn], seq_len: [1_000], lr: [1, 0.5, 2.5e-1, +3], seeds: [-0]}");
    assertEquals(List.of(1.0, 0.5, 0.25, 3.0), spec.trials().stream().map(TrialSpec::lr).toList());
    assertEquals(1000, spec.trials().get(0).seqLen());
    assertEquals(0L, spec.trials().get(0).seed());
  }

  @Test
  void anchorsAliasesAndMergeKeys() {
    SweepSpec spec = parse(HEAD + """
        grid:
          cell: [rnn]
          seq_len: &lengths [10, 20]
          hidden: [16]
        variants:
          - &base {activation: [tanh], hidden: [8]}
          - <<: *base
            activation: [relu]
            seq_len: *lengths
        """);
    assertEquals(4, spec.trials().size());
    assertEquals(List.of("tanh", "tanh", "relu", "relu"),
        spec.trials().stream().map(TrialSpec::activation).toList());
    assertTrue(spec.trials().stream().allMatch(t -> t.hidden() == 8));
  }

  @Test
  void variantsAloneWithoutGrid() {
    SweepSpec spec = parse(HEAD + "variants:\n  - {cell: rnn, seq_len: 10}\n  - {cell: lstm, seq_len: 30}\n");
    assertEquals(List.of("rnn", "lstm"), spec.trials().stream().map(TrialSpec::cell).toList());
  }

  @Test
  void unicodeAndQuotingAreFineInTheExperiment() {
    SweepSpec spec = parse(HEAD.replace("experiment: e", "experiment: \"Gradienten – Versuch #1 ✓\"")
        + "grid: {cell: rnn, seq_len: 5}\n");
    assertEquals("Gradienten – Versuch #1 ✓", spec.experiment());
    assertEquals("Gradienten – Versuch #1 ✓", spec.trials().get(0).experiment());
  }

  @Test
  void byteOrderMarkAndCrLfAreAccepted() {
    String text = "\uFEFF" + (HEAD + "grid: {cell: rnn, seq_len: 5}\n").replace("\n", "\r\n");
    assertEquals(1, parse(text).trials().size());
  }

  @Test
  void resultIsImmutable() {
    SweepSpec spec = grid("{cell: [rnn], seq_len: [5, 6]}");
    assertThrows(UnsupportedOperationException.class, () -> spec.trials().clear());
    assertThrows(UnsupportedOperationException.class, () -> spec.sweepParams().clear());
    assertThrows(UnsupportedOperationException.class, () -> spec.space().blocks().clear());
    assertThrows(UnsupportedOperationException.class, () -> spec.space().blocks().get(0).values(Axis.SEQ_LEN)
        .clear());
  }

  @Test
  void gridBlockKnowsWhereValuesCameFrom() {
    SweepSpec spec = parse(HEAD + "grid: {cell: [rnn], seq_len: [5]}\nvariants: [{hidden: [4, 8]}]\n");
    GridBlock b = spec.space().blocks().get(0);
    assertEquals("variants[0]", b.path());
    assertEquals("variants[0].hidden", b.origin(Axis.HIDDEN).orElseThrow());
    assertEquals("grid.seq_len", b.origin(Axis.SEQ_LEN).orElseThrow());
    assertTrue(b.origin(Axis.LR).isEmpty());
    assertEquals(2, b.size());
    assertEquals("hidden 2 = 2", b.sizeFormula());
  }

  @Test
  void parseFileReadsUtf8() throws IOException {
    Path file = tmp.resolve("s.yaml");
    String text = "# ünïcode comment\n" + HEAD + "grid: {cell: rnn, seq_len: 5}\n";
    Files.write(file, text.getBytes(StandardCharsets.UTF_8));
    SweepSpec spec = Sweeps.parseFile(file);
    assertEquals(text, spec.yaml());
    assertEquals(file.toString(), spec.source());
  }

  @TempDir
  Path tmp;

  @Test
  void axesListMatchesTheDocumentedOrder() {
    assertEquals(List.of("cell", "activation", "seq_len", "clip", "tbptt", "optimizer", "lr", "hidden", "layers",
        "init", "seeds"), Axis.keys());
    Set<String> required = java.util.Arrays.stream(Axis.values()).filter(Axis::required).map(Axis::key)
        .collect(Collectors.toSet());
    assertEquals(Set.of("cell", "seq_len"), required);
  }
}
