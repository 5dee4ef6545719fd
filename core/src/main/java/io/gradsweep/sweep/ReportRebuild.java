package io.gradsweep.sweep;

import io.gradsweep.report.AblationReport;
import io.gradsweep.report.TrialRow;
import io.gradsweep.report.TrialRows;
import io.gradsweep.report.TrialsTable;
import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingException;
import io.gradsweep.tracking.TrackingSink;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Rebuilds the ablation report of a sweep from its runs in the tracking backend, without running anything: finds
 * the sweep's parent run, reads its trial runs back, builds the report, writes it and {@code trials.csv} to a
 * directory and attaches the report to the parent run. The plan comes from the parent run's {@code sweep.yaml}
 * (what actually ran), else from the spec file given; without either, the rows are the trials that have runs.
 */
public final class ReportRebuild {
  private final TrackingSink sink;
  private final String where;
  private final PrintStream out;
  private final PrintStream err;

  /** @param where the backend, for messages (its URI or name) */
  public ReportRebuild(TrackingSink sink, String where, PrintStream out, PrintStream err) {
    this.sink = sink;
    this.where = where;
    this.out = out;
    this.err = err;
  }

  /** The sweep read back: its parent run, what the backend holds of it, its trial runs, its sweep.yaml. */
  private record ReadBack(SweepRun sweep, RunSnapshot parent, List<RunSnapshot> runs, Optional<byte[]> yaml) {}

  /**
   * Rebuilds the report of sweep {@code name} in {@code experiment} into {@code outDir}; prints where it went.
   *
   * @param given the spec file's sweep when the sweep was named by one (its plan is the fallback), else null
   * @param specFile the spec file, for messages; null when none was given
   * @return {@link ExitStatus#OK}; failures are {@link SweepFailure}s
   */
  public int rebuild(SweepSpec given, Path specFile, String experiment, String name, Path outDir) {
    ReadBack back = readBack(experiment, name);
    List<TrialSpec> plan = plan(back, given, specFile);
    if (RunSnapshot.RUNNING.equals(back.parent().status())) {
      err.println(ProgressReporter.PREFIX + "the sweep is still running: the report covers the trials that "
          + "have finished so far");
    }
    List<TrialRow> rows = TrialRows.fromRuns(plan, back.runs());
    Map<String, byte[]> files = SweepArtifacts.uploadReport(sink, back.sweep(), name, rows, err);
    if (files.isEmpty()) {
      throw new SweepFailure(ExitStatus.INTERNAL_ERROR, "could not build the report of sweep '" + name
          + "' (see above)");
    }
    write(outDir, files, rows);
    long withRun = rows.stream().filter(r -> r.runId() != null).count();
    out.println("sweep '" + name + "' (experiment '" + experiment + "'): " + rows.size() + " trials, " + withRun
        + " with a run");
    out.println("report:      " + outDir.resolve(AblationReport.DIR).resolve(AblationReport.MARKDOWN));
    out.println("trials.csv:  " + outDir.resolve(SweepArtifacts.TRIALS_CSV));
    SweepRun sweep = back.sweep();
    out.println("parent run:  " + (sweep.uiUrl() == null ? sweep.runId() : sweep.uiUrl()) + "  (artifacts: "
        + AblationReport.DIR + "/)");
    return ExitStatus.OK;
  }

  private ReadBack readBack(String experiment, String name) {
    try {
      SweepRun sweep = sink.findSweep(experiment, name).orElseThrow(() -> new SweepFailure(ExitStatus.USAGE_ERROR,
          "no sweep '" + name + "' in experiment '" + experiment + "' at " + where + " (check the names, or run it "
          + "first: gradsweep run SPEC)"));
      return new ReadBack(sweep, sink.sweepSnapshot(sweep), sink.trialRuns(sweep),
          sink.readSweepArtifact(sweep, Names.Artifact.SWEEP_YAML));
    } catch (TrackingException e) {
      throw new SweepFailure(ExitStatus.TRACKING_ERROR, "could not read sweep '" + name + "' back: "
          + e.getMessage());
    }
  }

  /** The parent run's sweep.yaml's trials, else the given spec's, else null (the trials that have runs). */
  private List<TrialSpec> plan(ReadBack back, SweepSpec given, Path specFile) {
    List<TrialSpec> plan = given == null ? null : given.trials();
    if (back.yaml().isPresent()) {
      try {
        plan = Sweeps.parse(new String(back.yaml().get(), StandardCharsets.UTF_8), "sweep.yaml of run "
            + back.sweep().runId()).trials();
      } catch (RuntimeException e) { // SpecException, or anything the parser trips over
        err.println(ProgressReporter.PREFIX + "warning: the parent run's sweep.yaml does not parse ("
            + e.getMessage() + "); " + (plan == null ? "reporting on the trial runs found" : "using " + specFile));
      }
    }
    return plan;
  }

  private static void write(Path outDir, Map<String, byte[]> files, List<TrialRow> rows) {
    try {
      for (Map.Entry<String, byte[]> f : files.entrySet()) {
        Path p = outDir.resolve(f.getKey());
        Files.createDirectories(p.getParent());
        Files.write(p, f.getValue());
      }
      Files.write(outDir.resolve(SweepArtifacts.TRIALS_CSV), TrialsTable.csv(rows));
    } catch (IOException e) {
      throw new SweepFailure(ExitStatus.USAGE_ERROR, "could not write the report to " + outDir + ": " + e);
    }
  }
}
