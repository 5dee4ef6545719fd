package io.gradsweep.jobs;

import io.gradsweep.sweep.ExitStatus;
import io.gradsweep.sweep.SweepDriver;
import io.gradsweep.sweep.SweepFailure;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingTarget;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code watch --experiment E --sweep NAME}: the live view of {@code run --live} ({@link LiveOptions}) for a sweep
 * already running or finished, read from the tracking backend alone; no Spark. Serves until interrupted.
 */
@Command(name = "watch", sortOptions = false, usageHelpWidth = HelpText.WIDTH, description = {
    "open the live view of run --live (docs/live.md) for a sweep that is running or finished, reading only MLflow: "
        + "the most recent parent run of --sweep in --experiment. Serves until Ctrl-C. Needs no Spark"})
final class WatchCommand implements Callable<Integer> {
  @Spec
  CommandSpec command;

  @Option(names = "--experiment", paramLabel = "E", required = true, description = "(watch) the MLflow experiment "
      + "of the sweep")
  String experiment;

  @Option(names = "--sweep", paramLabel = "NAME", required = true, description = "(watch) the sweep's name (its "
      + "spec's name:)")
  String sweep;

  @Mixin
  LiveOptions live = new LiveOptions();

  @Mixin
  TrackingOptions tracking = new TrackingOptions();

  @Option(names = "--validate-only", hidden = true)
  boolean validateOnly;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help")
  boolean help;

  private final JobContext ctx;
  /** Counted down to end the command (tests); otherwise it serves until the JVM is interrupted. */
  final CountDownLatch stop = new CountDownLatch(1);

  WatchCommand(JobContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() throws InterruptedException {
    if (tracking.backend.equals("none")) {
      throw new ParameterException(command.commandLine(), "watch reads the sweep from its tracking backend: "
          + "--tracking-backend none has nothing to read; use mlflow (default)");
    }
    if (validateOnly) {
      tracking.credentials(command, ctx.env());
      return ExitStatus.OK;
    }
    TrackingTarget target = tracking.target(command, ctx.env(),
        "bin/gradsweep uses the local MLflow server when neither is given");
    SweepRun run;
    try (TrackingSink sink = SweepDriver.connect(target)) {
      Optional<SweepRun> found = sink.findSweep(experiment, sweep);
      if (found.isEmpty()) {
        throw new SweepFailure(ExitStatus.USAGE_ERROR, "watch: no sweep '" + sweep + "' in experiment '"
            + experiment + "' at " + (target.uri() == null ? target.backend() : target.uri())
            + " (the names are those of the spec: experiment: and name:)");
      }
      run = found.get();
    }
    try (LiveOptions.Session session = live.open(command, target, sweep, run, ctx.err())) {
      ctx.err().println("gradsweep: parent run " + (run.uiUrl() == null ? run.runId() : run.uiUrl())
          + "; Ctrl-C ends the view");
      stop.await();
    }
    return ExitStatus.OK;
  }
}
