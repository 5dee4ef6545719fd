package io.gradsweep.spec;

import io.gradsweep.util.Canon;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Renders trials as a fixed-width text table for the {@code plan} command, e.g.
 * <pre>
 *  #  trial id          cell  activation  seq_len  clip           tbptt  optimizer  lr     hidden  seed
 *  1  3f0c9a1b2d4e5f60  rnn   tanh             10  none           none   adam       0.003      32     0
 *  ...
 * total: 12 trials
 * </pre>
 * Numbers are right-aligned; columns {@code layers}, {@code init} and {@code data_parallel} (workers x
 * batch_per_worker / averaging_frequency, e.g. {@code 2x32/1}, as in the display name) appear only when some trial
 * differs from the default (1, default, -). Plain ASCII; every line ends with a newline.
 */
public final class PlanFormatter {
  private record Column(String header, boolean right, Function<TrialSpec, String> cell) {}

  private static final List<Column> COLUMNS = List.of(
      new Column("trial id", false, TrialSpec::id),
      new Column("cell", false, TrialSpec::cell),
      new Column("activation", false, t -> t.activation() == null ? "-" : t.activation()),
      new Column("seq_len", true, t -> Integer.toString(t.seqLen())),
      new Column("clip", false, t -> t.clip().canonical()),
      new Column("tbptt", false, t -> t.tbptt() == 0 ? "none" : Integer.toString(t.tbptt())),
      new Column("optimizer", false, TrialSpec::optimizer),
      new Column("lr", false, t -> Canon.num(t.lr())),
      new Column("hidden", true, t -> Integer.toString(t.hidden())),
      new Column("layers", true, t -> Integer.toString(t.layers())),
      new Column("init", false, TrialSpec::init),
      new Column("seed", true, t -> Long.toString(t.seed())),
      new Column("data_parallel", false, t -> t.dataParallel() == null ? "-" : t.dataParallel().workers() + "x"
          + t.dataParallel().batchPerWorker() + "/" + t.dataParallel().averagingFrequency()));

  private PlanFormatter() {}

  /**
   * A heading naming the sweep (a sampled search's {@code num_samples} and {@code seed}, e.g.
   * {@code strategy random (64 samples, seed 14)}, and its early-stopping rules, when it has some), then the table
   * of its trials.
   */
  public static String format(SweepSpec spec) {
    SearchSpace space = spec.space();
    String sampling = space.numSamples().isEmpty() ? "" : " (" + space.numSamples().getAsInt() + " sample"
        + (space.numSamples().getAsInt() == 1 ? "" : "s") + ", seed " + space.seedOrDefault() + ")";
    StopRules stop = spec.template().stop();
    return "sweep " + spec.name() + " (experiment " + spec.experiment() + ", task " + spec.template().task()
        + ", strategy " + spec.strategy() + sampling + ", from " + spec.source() + ")\n"
        + (stop.enabled() ? "early stopping: " + stop.canonical() + "\n" : "") + format(spec.trials());
  }

  /** The table of trials, numbered from 1, with a total line. */
  public static String format(List<TrialSpec> trials) {
    List<Column> columns = new ArrayList<>();
    columns.add(new Column("#", true, null));
    for (Column c : COLUMNS) {
      boolean optional = c.header().equals("layers") || c.header().equals("init")
          || c.header().equals("data_parallel");
      String defaultValue = switch (c.header()) {
        case "layers" -> "1";
        case "data_parallel" -> "-";
        default -> "default";
      };
      if (!optional || trials.stream().anyMatch(t -> !c.cell().apply(t).equals(defaultValue))) {
        columns.add(c);
      }
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(columns.stream().map(Column::header).toArray(String[]::new));
    for (int i = 0; i < trials.size(); i++) {
      TrialSpec t = trials.get(i);
      String[] row = new String[columns.size()];
      row[0] = Integer.toString(i + 1);
      for (int c = 1; c < columns.size(); c++) {
        row[c] = columns.get(c).cell().apply(t);
      }
      rows.add(row);
    }
    int[] width = new int[columns.size()];
    for (String[] row : rows) {
      for (int c = 0; c < row.length; c++) {
        width[c] = Math.max(width[c], row[c].length());
      }
    }
    StringBuilder sb = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int c = 0; c < row.length; c++) {
        if (c > 0) {
          line.append("  ");
        }
        String pad = " ".repeat(width[c] - row[c].length());
        line.append(columns.get(c).right() ? pad + row[c] : row[c] + pad);
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    sb.append("total: ").append(trials.size()).append(trials.size() == 1 ? " trial" : " trials").append('\n');
    return sb.toString();
  }
}
