package io.gradsweep.jobs;

import io.gradsweep.spec.SweepSpec;
import io.gradsweep.sweep.ExitStatus;
import io.gradsweep.sweep.ReportRebuild;
import io.gradsweep.sweep.SweepDriver;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code report}: rebuilds the ablation report of a sweep from its runs in the tracking backend
 * ({@link ReportRebuild}); no Spark. The sweep is named by a spec file, or by {@code --experiment} and
 * {@code --sweep} (or a positional sweep name).
 */
@Command(name = "report", sortOptions = false, usageHelpWidth = HelpText.WIDTH, description = {
    "rebuild the ablation report of a sweep from its runs in MLflow (e.g. one that ran before this version, or is "
        + "still running), write it to --out and attach it to the sweep's parent run (report/). The sweep is found "
        + "by the spec file's experiment and name, or by --experiment and --sweep (the most recent parent run of "
        + "that name). Needs no Spark"})
final class ReportCommand implements Callable<Integer> {
  @Spec
  CommandSpec command;

  @Parameters(index = "0", arity = "0..1", paramLabel = "SPEC", description = "the sweep's spec file (a path that "
      + "exists, or ends in .yaml/.yml); any other word is taken as the sweep's name, like --sweep")
  String positional;

  @Option(names = "--experiment", paramLabel = "E", description = "(report) the MLflow experiment of the sweep, "
      + "instead of a spec file")
  String experiment;

  @Option(names = "--sweep", paramLabel = "NAME", description = "(report) the sweep's name (its spec's name:); the "
      + "most recent parent run of that name in the experiment is used")
  String sweep;

  @Option(names = "--out", paramLabel = "DIR", description = "(report) where to write the report: "
      + "DIR/report/report.md, its figures and tables, and DIR/trials.csv (default: ./gradsweep-report/<sweep>/, "
      + "characters other than A-Z a-z 0-9 . _ - of the sweep's name as _)")
  Path out;

  @Mixin
  TrackingOptions tracking = new TrackingOptions();

  @Option(names = "--validate-only", hidden = true)
  boolean validateOnly;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help")
  boolean help;

  private final JobContext ctx;

  ReportCommand(JobContext ctx) {
    this.ctx = ctx;
  }

  /** Which sweep: a spec file, or an experiment and a sweep name. */
  private record Which(Path specFile, String experiment, String sweep) {}

  @Override
  public Integer call() {
    Which which = which();
    if (tracking.backend.equals("none")) {
      throw usage("report reads the sweep from its tracking backend: --tracking-backend none has nothing to read; "
          + "use mlflow (default) or memory");
    }
    if (validateOnly) {
      tracking.credentials(command, ctx.env());
      return ExitStatus.OK;
    }
    TrackingTarget target = tracking.target(command, ctx.env(),
        "bin/gradsweep uses the local MLflow server when neither is given");
    SweepSpec given = which.specFile() == null ? null : SpecFile.load(which.specFile());
    String exp = given == null ? which.experiment() : given.experiment();
    String name = given == null ? which.sweep() : given.name();
    // the sweep's name as one safe file name: --sweep is not checked like a spec's name
    Path outDir = out != null ? out : Path.of("gradsweep-report", io.gradsweep.util.Words.fileName(name));
    try (TrackingSink sink = SweepDriver.connect(target)) {
      String where = target.uri() == null ? target.backend() : target.uri();
      return new ReportRebuild(sink, where, ctx.out(), ctx.err()).rebuild(given, which.specFile(), exp, name,
          outDir);
    }
  }

  /** The positional argument is a spec file (a path that exists, or ends in .yaml/.yml) or a sweep name. */
  private Which which() {
    Path specFile = null;
    String name = sweep;
    if (positional != null) {
      boolean isFile = Files.exists(Path.of(positional)) || positional.endsWith(".yaml")
          || positional.endsWith(".yml");
      if (isFile) {
        if (experiment != null || sweep != null) {
          throw usage("report: give either a spec file (" + positional + ") or --experiment and --sweep, not both");
        }
        specFile = Path.of(positional);
      } else if (sweep != null && !sweep.equals(positional)) {
        throw usage("report: two sweep names given: '" + positional + "' and --sweep '" + sweep + "'");
      } else {
        name = positional;
      }
    }
    if (specFile == null && (name == null || experiment == null)) {
      throw usage("report: which sweep? give its spec file, or --experiment E --sweep NAME"
          + (name != null ? " (--experiment is missing)" : experiment != null ? " (--sweep is missing)" : ""));
    }
    return new Which(specFile, experiment, name);
  }

  private ParameterException usage(String message) {
    return new ParameterException(command.commandLine(), message);
  }
}
