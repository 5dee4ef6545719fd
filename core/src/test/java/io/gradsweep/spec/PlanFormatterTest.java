package io.gradsweep.spec;

import static io.gradsweep.spec.SpecFixtures.grid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PlanFormatterTest {
  @Test
  void tableWithHeaderRowsAndTotal() {
    SweepSpec spec = grid("{cell: [rnn, lstm], seq_len: [10, 100], clip: [none, {mode: global_norm, threshold: 1}]}");
    String text = PlanFormatter.format(spec.trials());
    List<String> lines = text.lines().toList();
    assertEquals(1 + 8 + 1, lines.size(), text);
    assertEquals("total: 8 trials", lines.get(lines.size() - 1));
    String header = lines.get(0);
    for (String h : List.of("#", "trial id", "cell", "activation", "seq_len", "clip", "tbptt", "optimizer", "lr",
        "hidden", "seed")) {
      assertTrue(header.contains(h), header);
    }
    assertFalse(header.contains("layers"), "default-only columns are left out: " + header);
    String first = lines.get(1);
    assertTrue(first.startsWith("1  " + spec.trials().get(0).id() + "  rnn   tanh"), first);
    assertTrue(lines.get(5).contains(" lstm  -  "), "lstm has no activation: " + lines.get(5));
    // fixed width: the "cell" column starts at the same offset on every row, numbers are right-aligned
    int seqLenEnd = header.indexOf("seq_len") + "seq_len".length();
    for (String row : lines.subList(1, 9)) {
      assertTrue(row.charAt(seqLenEnd - 1) == '0' && row.charAt(seqLenEnd) == ' ', row);
    }
    assertTrue(text.endsWith("\n"));
  }

  @Test
  void aSampledSweepNamesItsSamplesAndSeedAndListsTheDrawnValues() {
    SweepSpec spec = SpecFixtures.parse(SpecFixtures.HEAD + "search: {strategy: sobol, num_samples: 5, seed: 3}\n"
        + "grid: {cell: lstm, seq_len: 10, lr: {log_uniform: [0.0001, 0.1]}, hidden: {int_uniform: [8, 64]}}\n");
    String text = PlanFormatter.format(spec);
    List<String> lines = text.lines().toList();
    assertTrue(lines.get(0).contains(", strategy sobol (5 samples, seed 3), from test.yaml)"), lines.get(0));
    assertEquals("total: 5 trials", lines.get(lines.size() - 1));
    for (int i = 0; i < 5; i++) {
      TrialSpec t = spec.trials().get(i);
      assertTrue(lines.get(2 + i).contains(io.gradsweep.util.Canon.num(t.lr()) + " ")
          && lines.get(2 + i).contains(" " + t.hidden() + " "), lines.get(2 + i));
    }
    String grid = PlanFormatter.format(grid("{cell: [lstm], seq_len: [10]}"));
    assertTrue(grid.lines().findFirst().orElseThrow().contains(", strategy grid, from "), grid);
  }

  @Test
  void optionalColumnsAppearWhenUsed() {
    String text = PlanFormatter.format(grid("{cell: [lstm], seq_len: [10], layers: [1, 2]}").trials());
    assertTrue(text.lines().findFirst().orElseThrow().contains("layers"), text);
    assertTrue(text.endsWith("total: 2 trials\n"), text);
  }

  @Test
  void aMixedSweepShowsWhichTrialsAreDataParallel() {
    String text = PlanFormatter.format(SpecFixtures.parse(SpecFixtures.HEAD.replace("max_steps: 10", "max_steps: 10, batch_size: 16")
        + "grid: {cell: [lstm], seq_len: [10]}\nvariants: [{}, {data_parallel: {workers: 2, averaging_frequency: 3, "
        + "batch_per_worker: 8}}]\n").trials());
    List<String> lines = text.lines().toList();
    assertTrue(lines.get(0).endsWith("  seed  data_parallel"), text);
    assertTrue(lines.get(1).endsWith("  -"), text);
    assertTrue(lines.get(2).endsWith("  2x8/3"), text);
    assertFalse(PlanFormatter.format(grid("{cell: [lstm], seq_len: [10]}").trials()).contains("data_parallel"));
  }

  @Test
  void withSweepHeading() {
    SweepSpec spec = grid("{cell: rnn, seq_len: 5}");
    String text = PlanFormatter.format(spec);
    assertTrue(text.startsWith("sweep t (experiment e, task adding, strategy grid, from test.yaml)\n"), text);
    assertTrue(text.endsWith("total: 1 trial\n"), text);
  }

  @Test
  void emptyList() {
    assertEquals("#  trial id  cell  activation  seq_len  clip  tbptt  optimizer  lr  hidden  seed\ntotal: 0 trials\n",
        PlanFormatter.format(List.of()));
  }
}
