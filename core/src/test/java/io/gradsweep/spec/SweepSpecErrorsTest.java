package io.gradsweep.spec;

import static io.gradsweep.spec.SpecFixtures.HEAD;
import static io.gradsweep.spec.SpecFixtures.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One test per kind of spec error: each message names the key path, the value found and what is allowed. */
class SweepSpecErrorsTest {
  private static final String GRID = "grid: {cell: [rnn], seq_len: [20]}\n";

  private static String grid(String axes) {
    return HEAD + "grid: {cell: [rnn], seq_len: [20], " + axes + "}\n";
  }

  @Nested
  class Text {
    @Test
    void syntaxErrorHasLineAndColumn() {
      assertError("name: t\ngrid: [1, 2\n", "", "YAML syntax error", "test.yaml:3:1", "flow sequence");
    }

    @Test
    void tabIndentationIsExplained() {
      assertError("name: t\ntask:\n\tname: adding\n", "", "YAML syntax error", "test.yaml:3:1", "not tabs");
    }

    @Test
    void emptyText() {
      assertError("", "", "test.yaml is empty", "name, experiment");
    }

    @Test
    void onlyComments() {
      assertError("# nothing here\n   \n# still nothing\n", "", "is empty (or only comments)");
    }

    @Test
    void documentIsNotAMapping() {
      assertError("- rnn\n- lstm\n", "", "a sweep spec must be a mapping with keys name, experiment, task",
          "got [rnn, lstm] (list)");
      assertError("just words\n", "", "got \"just words\" (string)");
    }

    @Test
    void nulCharacter() {
      assertError("name: a\u0000b\n", "", "NUL character", "line 1, column 8", "binary");
    }

    @Test
    void controlCharacter() {
      assertError("name: a\u0007b\n", "", "U+0007", "line 1, column 8");
    }

    @Test
    void severalDocuments() {
      assertError(HEAD + GRID + "---\nname: other\n", "", "more than one YAML document", "line 7");
    }

    @Test
    void aliasBomb() {
      StringBuilder sb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
      for (char c = 'b'; c <= 'i'; c++) {
        sb.append(c).append(": &").append(c).append(" [");
        for (int i = 0; i < 9; i++) {
          sb.append(i == 0 ? "" : ", ").append('*').append((char) (c - 1));
        }
        sb.append("]\n");
      }
      assertError(sb.toString(), "", "more than 20 aliases", "bombs");
    }

    @Test
    void tooLong() {
      assertError("# " + "x".repeat(SpecYaml.MAX_CHARS) + "\n", "", "a sweep spec may have at most");
    }

    @Test
    void unsupportedTag() {
      assertError(HEAD.replace("name: t", "name: !!python/object:os.system x") + GRID, "", "unsupported YAML",
          "test.yaml:1:7");
      assertError(HEAD.replace("name: t", "name: !!binary aGVsbG8=") + GRID, "name", "(binary)");
    }
  }

  @Nested
  class Files_ {
    @TempDir
    Path dir;

    @Test
    void missingFile() {
      Path p = dir.resolve("nope.yaml");
      SpecException e = assertThrows(SpecException.class, () -> Sweeps.parseFile(p));
      assertTrue(e.getMessage().contains(p.toString()) && e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void directory() {
      SpecException e = assertThrows(SpecException.class, () -> Sweeps.parseFile(dir));
      assertTrue(e.getMessage().contains("is a directory"), e.getMessage());
    }

    @Test
    void notUtf8() throws IOException {
      Path p = write("bad.yaml", "name: caf".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xE9, '\n'});
      SpecException e = assertThrows(SpecException.class, () -> Sweeps.parseFile(p));
      assertTrue(e.getMessage().contains("not valid UTF-8") && e.getMessage().contains("0xE9")
          && e.getMessage().contains("offset 9") && e.getMessage().contains(p.toString()), e.getMessage());
    }

    @Test
    void binaryGarbage() throws IOException {
      Path p = write("bin.yaml", new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13});
      SpecException e = assertThrows(SpecException.class, () -> Sweeps.parseFile(p));
      assertTrue(e.getMessage().contains("NUL byte at offset 4") && e.getMessage().contains("binary"),
          e.getMessage());
    }

    @Test
    void utf16() throws IOException {
      Path p = write("u16.yaml", new byte[] {(byte) 0xFF, (byte) 0xFE, 'n', 0});
      SpecException e = assertThrows(SpecException.class, () -> Sweeps.parseFile(p));
      assertTrue(e.getMessage().contains("UTF-16"), e.getMessage());
    }

    @Test
    void tooLarge() throws IOException {
      Path p = write("big.yaml", new byte[SpecYaml.MAX_BYTES + 1]);
      SpecException e = assertThrows(SpecException.class, () -> Sweeps.parseFile(p));
      assertTrue(e.getMessage().contains("at most " + SpecYaml.MAX_BYTES + " bytes"), e.getMessage());
    }

    @Test
    void errorsInFilesNameTheFile() throws IOException {
      Path p = write("f.yaml", (HEAD + "grid: {cell: [rnn], seq_len: [1]}\n").getBytes(StandardCharsets.UTF_8));
      SpecException e = assertThrows(SpecException.class, () -> Sweeps.parseFile(p));
      assertTrue(e.getMessage().startsWith("grid.seq_len[0]: ") && e.getMessage().contains(p + ":5:"),
          e.getMessage());
    }

    private Path write(String name, byte[]... parts) throws IOException {
      Path p = dir.resolve(name);
      try (var out = Files.newOutputStream(p)) {
        for (byte[] b : parts) {
          out.write(b);
        }
      }
      return p;
    }
  }

  @Nested
  class Keys {
    @Test
    void unknownTopLevelKeySuggestsTheClosest() {
      assertError(HEAD + GRID + "variant: []\n", "variant", "unknown key \"variant\" in the top level",
          "did you mean \"variants\"?", "allowed keys: name, experiment, task, training, search, grid, variants",
          "test.yaml:6:1");
    }

    @Test
    void unknownAxisKey() {
      assertError(grid("hiden: [32]"), "grid.hiden", "unknown key \"hiden\" in grid", "did you mean \"hidden\"?",
          "allowed keys: cell, activation, seq_len, clip, tbptt, optimizer, lr, hidden, layers, init, seeds");
      assertError(grid("seed: [1]"), "grid.seed", "did you mean \"seeds\"?");
    }

    @Test
    void unknownKeyFarFromAnyHasNoSuggestion() {
      SpecException e = assertError(HEAD + GRID + "launcher: spark\n", "launcher", "allowed keys: name");
      assertFalse(e.getMessage().contains("did you mean"), e.getMessage());
    }

    @Test
    void unknownKeyInSection() {
      assertError(HEAD.replace("max_steps: 10", "max_steps: 10, lr: 0.1") + GRID, "training.lr",
          "unknown key \"lr\" in training", "allowed keys: batch_size, max_steps, eval_every, solve_threshold");
    }

    @Test
    void nonStringKey() {
      assertError(HEAD + GRID + "1: x\n", "", "key 1 (integer) in the top level is not a name");
    }

    @Test
    void duplicateKey() {
      assertError(HEAD + "grid:\n  cell: [rnn]\n  seq_len: [20]\n  hidden: [32]\n  hidden: [64]\n", "grid.hidden",
          "duplicate key \"hidden\"", "test.yaml:9:3");
      assertError("name: a\nname: b\n", "name", "duplicate key \"name\"");
    }

    @Test
    void missingRequiredKey() {
      assertError(HEAD.replace("training: {max_steps: 10}", "training: {batch_size: 8}") + GRID,
          "training.max_steps", "required key is missing", "max_steps: 1000");
      assertError(HEAD.replace("name: t\n", "") + GRID, "name", "required key is missing");
      assertError(HEAD, "grid", "required key is missing");
    }

    @Test
    void missingRequiredAxis() {
      assertError(HEAD + "grid: {seq_len: [20]}\n", "grid.cell", "required axis is missing", "cell: [rnn, lstm]");
      assertError(HEAD + "grid: {seq_len: [20]}\nvariants: [{cell: [rnn]}, {hidden: [8]}]\n", "variants[1].cell",
          "set cell in grid or in this variant");
    }

    @Test
    void sectionIsNotAMapping() {
      assertError(HEAD.replace("task: {name: adding}", "task: adding") + GRID, "task",
          "expected a mapping with keys name, eval_size, eval_seed", "got \"adding\" (string)");
    }
  }

  @Nested
  class Types {
    @Test
    void stringForAnInteger() {
      assertError(grid("hidden: [32, abc]"), "grid.hidden[1]",
          "grid.hidden[1]: expected an integer 1..4096, got \"abc\" (string)");
    }

    @Test
    void quotedNumberForAnInteger() {
      assertError(grid("hidden: ['32']"), "grid.hidden[0]", "got \"32\" (string)", "remove the quotes");
    }

    @Test
    void floatForAnInteger() {
      assertError(grid("hidden: [32.0]"), "grid.hidden[0]", "expected an integer 1..4096, got 32.0 (float)");
    }

    @Test
    void booleanForAnInteger() {
      assertError(grid("layers: yes"), "grid.layers", "expected an integer 1..8, got yes (boolean)");
    }

    @Test
    void booleanForAWord() {
      assertError(grid("optimizer: [adam, off]"), "grid.optimizer[1]", "one of sgd, rmsprop, adam",
          "got off (boolean)", "YAML reads yes/no/on/off/true/false as booleans");
    }

    @Test
    void nestedList() {
      assertError(grid("hidden: [[32, 64]]"), "grid.hidden[0]", "expected an integer 1..4096",
          "got [32, 64] (list)");
    }

    @Test
    void nullValue() {
      assertError(HEAD + "grid:\n  cell: [rnn]\n  seq_len: [20]\n  hidden:\n", "grid.hidden",
          "expected a list of values (an integer 1..4096), got nothing (null)");
    }

    @Test
    void nonDecimalIntegers() {
      assertError(grid("seeds: [010]"), "grid.seeds[0]", "got 010 (integer)", "plain decimal", "octal");
      assertError(grid("hidden: [0x20]"), "grid.hidden[0]", "plain decimal");
    }

    @Test
    void numberWhereAStringIsExpected() {
      assertError(HEAD.replace("name: t", "name: 2024") + GRID, "name", "got 2024 (integer)",
          "quote it if you mean the text \"2024\"");
    }

    @Test
    void profileEveryMustBePositive() {
      assertError(HEAD.replace("training: {", "training: {profile_every: 0, ") + GRID, "training.profile_every",
          "got 0");
    }

    @Test
    void logPointsMustBeAPositiveBudget() {
      assertError(HEAD.replace("training: {", "training: {log_points: 0, ") + GRID, "training.log_points",
          "got 0");
      assertError(HEAD.replace("training: {", "training: {log_points: 5000000, ") + GRID, "training.log_points",
          "100000");
    }

    @Test
    void wrongWordSuggestsTheClosest() {
      assertError(grid("optimizer: [Adam]"), "grid.optimizer[0]", "expected one of sgd, rmsprop, adam",
          "got \"Adam\" (string)", "did you mean \"adam\"?");
      assertError(HEAD + "grid: {cell: [rnn, GRU], seq_len: [20]}\n", "grid.cell[1]", "one of rnn, lstm, gru",
          "got \"GRU\" (string)", "did you mean \"gru\"?");
      assertError(grid("init: [glorot]"), "grid.init[0]", "one of default, identity, orthogonal",
          "got \"glorot\" (string)");
      assertError(grid("init: [{scheme: orthogonal, spectral_radius: -1}]"), "grid.init[0].spectral_radius",
          "0 < r <= 100");
      assertError(grid("init: [{spectral_radius: 0.9}]"), "grid.init[0]", "without a scheme");
    }

    @Test
    void unknownTask() {
      assertError(HEAD.replace("{name: adding}", "{name: copying}") + GRID, "task.name", "one of adding",
          "got \"copying\"");
    }

    @Test
    void unknownStrategy() {
      assertError(HEAD + GRID + "search: {strategy: grdi}\n", "search.strategy", "expected one of grid",
          "got \"grdi\" (string)", "did you mean \"grid\"?");
    }
  }

  @Nested
  class Ranges {
    @Test
    void integerOutOfRange() {
      assertError(grid("layers: [1, 9]"), "grid.layers[1]", "expected an integer 1..8, got 9 (integer)");
      assertError(HEAD + "grid: {cell: [rnn], seq_len: [1]}\n", "grid.seq_len[0]", "an integer 2..100000");
      assertError(grid("seeds: [-1]"), "grid.seeds[0]", "an integer >= 0, got -1");
      assertError(grid("seeds: [99999999999999999999]"), "grid.seeds[0]", "an integer >= 0");
    }

    @Test
    void sectionNumbersOutOfRange() {
      assertError(HEAD.replace("max_steps: 10", "max_steps: 0") + GRID, "training.max_steps",
          "an integer 1..10000000, got 0");
      assertError(HEAD.replace("{name: adding}", "{name: adding, eval_size: 100001}") + GRID, "task.eval_size",
          "an integer 1..100000");
      assertError(HEAD.replace("max_steps: 10", "max_steps: 10, batch_size: 4097") + GRID,
          "training.batch_size", "an integer 1..4096");
      assertError(HEAD + GRID + "search: {max_trials: 2000000}\n", "search.max_trials", "an integer 1..1000000");
    }

    @Test
    void evalEveryBeyondMaxSteps() {
      assertError(HEAD.replace("max_steps: 10", "max_steps: 10, eval_every: 20") + GRID, "training.eval_every",
          "expected an integer 1..training.max_steps (10), got 20 (integer)");
    }

    @Test
    void solveThresholdAboveTheTrivialBaseline() {
      assertError(HEAD.replace("max_steps: 10", "max_steps: 10, solve_threshold: 0.2") + GRID,
          "training.solve_threshold", "0 < x < 1/6", "adding task's trivial-baseline MSE", "got 0.2 (float)");
    }

    @Test
    void notANumber() {
      assertError(grid("lr: [.nan]"), "grid.lr[0]", "expected a finite number 0 < lr <= 10, got .nan (float)");
      assertError(grid("lr: [-.inf]"), "grid.lr[0]", "got -.inf (float)");
      assertError(grid("clip: [{mode: value, threshold: .inf}]"), "grid.clip[0].threshold",
          "expected a finite number > 0, got .inf (float)");
      assertError(grid("lr: [0]"), "grid.lr[0]", "0 < lr <= 10, got 0 (integer)");
      assertError(grid("lr: [1e400]"), "grid.lr[0]", "got 1e400 (float)");
      assertError(grid("lr: [._]"), "", "test.yaml has a value YAML cannot convert to a number");
    }
  }

  @Nested
  class Axes {
    @Test
    void emptyList() {
      assertError(grid("hidden: []"), "grid.hidden", "empty list", "an integer 1..4096");
    }

    @Test
    void duplicateValues() {
      assertError(grid("lr: [0.001, 1e-3]"), "grid.lr[1]", "duplicate value 1e-3 (float)", "grid.lr[0]",
          "(0.001)");
      assertError(grid("clip: [{mode: value, threshold: 1}, {threshold: 1.0, mode: value}]"), "grid.clip[1]",
          "duplicate value", "value:1");
    }

    @Test
    void tbpttZeroOrWord() {
      assertError(grid("tbptt: [0]"), "grid.tbptt[0]", "expected none or an integer 1..seq_len", "got 0 (integer)");
      assertError(grid("tbptt: [None]"), "grid.tbptt[0]", "did you mean \"none\"?");
    }

    @Test
    void clipModeWithoutThresholdWrittenAsWord() {
      assertError(grid("clip: [global_norm]"), "grid.clip[0]",
          "expected none or {mode: global_norm|layer_norm|value, threshold: number > 0}",
          "got \"global_norm\" (string)", "write {mode: global_norm, threshold: 1.0}");
    }

    @Test
    void clipModeUnknown() {
      assertError(grid("clip: [{mode: norm, threshold: 1}]"), "grid.clip[0].mode",
          "expected one of none, global_norm, layer_norm, value, got \"norm\" (string)");
    }

    @Test
    void clipNoneWithThreshold() {
      assertError(grid("clip: [{mode: none, threshold: 1.0}]"), "grid.clip[0].threshold",
          "does not apply to clip mode none");
    }

    @Test
    void clipThresholdWithoutMode() {
      assertError(grid("clip: [none, {threshold: 1.0}]"), "grid.clip[1]", "threshold given without a mode",
          "{mode: global_norm, threshold: 1.0}");
    }

    @Test
    void clipModeWithoutThreshold() {
      assertError(grid("clip: [{mode: layer_norm}]"), "grid.clip[0]", "clip mode layer_norm needs a threshold");
    }

    @Test
    void clipUnknownKey() {
      assertError(grid("clip: [{mode: value, treshold: 1}]"), "grid.clip[0].treshold",
          "did you mean \"threshold\"?", "allowed keys: mode, threshold");
    }
  }

  @Nested
  class Combinations {
    @Test
    void activationWithLstmInTheSameGrid() {
      assertError(HEAD + "grid: {cell: [rnn, lstm], activation: [tanh, relu], seq_len: [20]}\n", "grid.activation",
          "activation applies only to cell rnn", "grid.cell[1] in the grid is lstm", "variants");
    }

    @Test
    void activationInALstmVariant() {
      assertError(HEAD + GRID + "variants: [{cell: [rnn]}, {cell: [lstm], activation: [relu]}]\n",
          "variants[1].activation", "applies only to cell rnn", "variants[1].cell[0] in the variant variants[1]");
    }

    @Test
    void gridActivationInheritedByALstmVariant() {
      assertError(HEAD + "grid: {activation: [relu], seq_len: [20]}\nvariants: [{cell: [rnn]}, {cell: [lstm]}]\n",
          "grid.activation", "applies to every variant that does not set its own");
    }

    @Test
    void tbpttLongerThanASequence() {
      assertError(HEAD + "grid: {cell: [rnn], seq_len: [50, 20], tbptt: [none, 30]}\n", "grid.tbptt[1]",
          "tbptt window 30 is longer than seq_len 20 (grid.seq_len[1])");
    }

    @Test
    void tbpttFromTheGridAgainstAVariantSequence() {
      assertError(HEAD + "grid: {cell: [rnn], seq_len: [50], tbptt: [30]}\nvariants: [{}, {seq_len: [10]}]\n",
          "grid.tbptt[0]", "seq_len 10 (variants[1].seq_len[0]) in the variant variants[1]");
    }

    @Test
    void tooManyTrials() {
      assertError(HEAD + "grid: {cell: [rnn], seq_len: [20, 30, 40], seeds: [1, 2, 3, 4]}\n"
          + "search: {max_trials: 10}\n", "search.max_trials", "the grid expands to 12 trials",
          "more than max_trials 10", "seq_len 3 x seeds 4 = 12");
    }

    @Test
    void sameTrialTwice() {
      SpecException e = assertError(HEAD + GRID + "variants: [{hidden: [8, 32]}, {hidden: [32]}]\n",
          "variants[1]", "is produced twice", "as trial #2 by variants[0]", "as trial #3 by variants[1]",
          "variants must not overlap");
      String id = SpecFixtures.grid("{cell: [rnn], seq_len: [20]}").trials().get(0).id();
      assertTrue(e.getMessage().contains(id), e.getMessage());
    }

    @Test
    void variantsNotAListOfMappings() {
      assertError(HEAD + GRID + "variants: []\n", "variants", "empty list");
      assertError(HEAD + GRID + "variants: [rnn]\n", "variants[0]", "expected a mapping with keys cell",
          "got \"rnn\" (string)");
    }
  }

  @Nested
  class Names {
    @Test
    void longName() {
      assertError(HEAD.replace("name: t", "name: " + "n".repeat(100)) + GRID, "name",
          "expected 1-64 characters of A-Z a-z 0-9 . _ -", "(string of 100 characters)", "it has 100 characters");
    }

    @Test
    void unicodeName() {
      assertError(HEAD.replace("name: t", "name: naïve") + GRID, "name", "got \"naïve\"",
          "'ï' (U+00EF) is not allowed");
    }

    @Test
    void pathLikeNames() {
      assertError(HEAD.replace("name: t", "name: runs/a") + GRID, "name", "'/' (U+002F) is not allowed",
          "must not look like a path");
      assertError(HEAD.replace("name: t", "name: '..'") + GRID, "name", "it starts with '.'");
      assertError(HEAD.replace("name: t", "name: ..\\\\x") + GRID, "name", "'\\\\' (U+005C)");
      assertError(HEAD.replace("name: t", "name: ''") + GRID, "name", "got \"\" (string)");
    }

    @Test
    void experimentName() {
      assertError(HEAD.replace("experiment: e", "experiment: \"a\\tb\"") + GRID, "experiment",
          "1-200 printable characters (e.g. gradsweep-runs or a workspace path /Users/name@example.com/sweeps)",
          "got \"a\\tb\" (string)", "'\\t' (U+0009) is not allowed");
      assertError(HEAD.replace("experiment: e", "experiment: \"x\\u202Ey\"") + GRID, "experiment",
          "got \"x\\u202Ey\"");
      assertError(HEAD.replace("experiment: e", "experiment: 'e '") + GRID, "experiment", "ends with a space");
      assertError(HEAD.replace("experiment: e", "experiment: " + "x".repeat(201)) + GRID, "experiment",
          "it has 201 characters");
      assertError(HEAD.replace("experiment: e", "experiment: ''") + GRID, "experiment", "got \"\" (string)");
    }

    /** MLflow takes '/' (and Databricks wants workspace paths): such names are accepted as they are. */
    @Test
    void experimentNamesMayBeWorkspacePaths() {
      for (String name : java.util.List.of("/Users/someone@example.com/gradsweep-it", "team/sweeps", "a\\b",
          "/Shared/ünïcode sweeps")) {
        String yaml = HEAD.replace("experiment: e", "experiment: '" + name + "'") + GRID;
        assertEquals(name, SpecFixtures.parse(yaml).experiment(), name);
      }
    }
  }

  @Test
  void wholeMessageIsOneReadableLine() {
    SpecException e = assertError(grid("hidden: [32, abc]"), "grid.hidden[1]");
    assertEquals("grid.hidden[1]: expected an integer 1..4096, got \"abc\" (string) (test.yaml:5:49)",
        e.getMessage());
  }
}
