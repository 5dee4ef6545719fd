package io.gradsweep.sweep;

import io.gradsweep.report.TrialRow;
import java.util.List;

/**
 * Where the sweep's results table goes besides the parent run's {@code trials.csv}, e.g. a Parquet directory
 * ({@code run --results URI}). The {@link SweepDriver} calls {@link #write} once, at the end of the sweep, after
 * everything else has been logged, with one row per planned trial in plan order (on {@code --resume}, the trials
 * that finished before included): the same rows as {@code trials.csv}. A writer that throws fails nothing that
 * was logged; the sweep then ends with {@link ExitStatus#RESULTS_ERROR}.
 */
public interface ResultsWriter {
  /** No table besides {@code trials.csv}. */
  ResultsWriter NONE = new ResultsWriter() {
    @Override
    public String where() {
      return "nowhere";
    }

    @Override
    public void write(List<TrialRow> rows) {}
  };

  /** Where the table goes, for messages, e.g. {@code --results file:/data/sweep1}. */
  String where();

  /** Writes (or replaces) the table; throws when it cannot. */
  void write(List<TrialRow> rows) throws Exception;
}
