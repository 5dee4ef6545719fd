package io.gradsweep.jobs;

import io.gradsweep.sweep.ExitStatus;
import io.gradsweep.sweep.SweepFailure;
import io.gradsweep.tracking.mlflow.MlflowTrackingSink;
import io.gradsweep.tracking.mlflow.RetryPolicy;
import io.gradsweep.tracking.mlflow.SpoolReplay;
import io.gradsweep.tracking.TrackingException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code replay [SPOOL_DIR]}: sends what run spools kept while the tracking server was unreachable. */
@Command(name = "replay", sortOptions = false, usageHelpWidth = HelpText.WIDTH, description = {
    "send what trial runs kept in their disk spools while the MLflow server was unreachable (a sweep that ends with "
        + "exit status 3 names the hosts and directories and prints this command), in order and exactly once; ends "
        + "the runs as they ended and deletes the spools sent. Run it on the host whose disk holds the spool. "
        + "SPOOL_DIR: default setting spark.gradsweep.spool.dir (-Dspark.gradsweep.spool.dir=DIR in "
        + "GRADSWEEP_JAVA_OPTS), else $TMPDIR/gradsweep-spool; the "
        + "server: --tracking-uri, else the one each spool was written for"})
final class ReplayCommand implements Callable<Integer> {
  @Spec
  CommandSpec command;

  @Option(names = "--tracking-uri", paramLabel = "URI", description = "the MLflow server to send to (default: the "
      + "one each spool was written for)")
  String uri;

  @Option(names = "--tracking-backend", paramLabel = "NAME", hidden = true, defaultValue = "mlflow")
  String backend;

  @Parameters(index = "0", arity = "0..1", paramLabel = "SPOOL_DIR", description = "the spool directory")
  Path dir;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help")
  boolean help;

  private final JobContext ctx;

  ReplayCommand(JobContext ctx) {
    this.ctx = ctx;
  }

  /** gradsweep's settings of this JVM ({@code -Dspark.gradsweep.*}, or the deprecated {@code -Dgradsweep.*}). */
  private io.gradsweep.conf.GradsweepConf settings() {
    try {
      return JobSettings.read(new org.apache.spark.SparkConf(), System.getProperties(),
          note -> ctx.err().println("gradsweep: " + note));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage() + " (README: Settings)");
    }
  }

  @Override
  public Integer call() {
    if (!backend.equals("mlflow")) {
      throw new ParameterException(command.commandLine(), "replay: spools are MLflow's; --tracking-backend must be "
          + "mlflow, got '" + backend + "'");
    }
    TrackingOptions server = new TrackingOptions();
    server.uri = uri;
    Path spools = dir != null ? dir : MlflowTrackingSink.Spool.root(settings(), null);
    SpoolReplay.Result r;
    try {
      r = SpoolReplay.replay(spools, uri == null || uri.isBlank() ? null : uri, RetryPolicy.DEFAULT,
          server.credentials(command, ctx.env()), ctx.out());
    } catch (TrackingException e) {
      throw new SweepFailure(ExitStatus.TRACKING_ERROR, e.getMessage());
    }
    if (r.runs() > 0) {
      ctx.out().println("replay of " + spools + ": " + r.delivered() + " of " + r.runs() + " run spools sent and "
          + "deleted (" + r.records() + " records)" + (r.inUse() > 0 ? ", " + r.inUse() + " in use (skipped)" : "")
          + (r.failed() > 0 ? ", " + r.failed() + " left on disk" : ""));
    }
    if (r.failed() > 0) {
      throw new SweepFailure(ExitStatus.TRACKING_ERROR, r.failed() + " run spool" + (r.failed() == 1 ? "" : "s")
          + " in " + spools + " could not be sent (see above); they stay on disk: run the replay again once the "
          + "server answers");
    }
    return ExitStatus.OK;
  }
}
