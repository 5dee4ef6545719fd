package io.gradsweep.jobs;

import io.gradsweep.sweep.ExitStatus;
import io.gradsweep.sweep.SweepFailure;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code submit --master URL SPEC}: {@code run} on a Spark standalone cluster. jobs/bin/gradsweep carries it out
 * with the Spark distribution's bin/spark-submit (client mode), which then calls {@code run} in the driver JVM;
 * this class holds its options and help, and checks them for the launcher ({@code --validate-only}).
 */
@Command(name = "submit", sortOptions = false, usageHelpWidth = HelpText.WIDTH, description = {
    "the same as run on a Spark standalone cluster: jobs/bin/gradsweep submits the uber jar to --master URL with "
        + "the Spark distribution's bin/spark-submit (client mode: the driver runs here, the trials on the cluster's "
        + "executors). "
        + "jobs/bin/spark-cluster start runs a cluster on this machine and prints its URL"})
final class SubmitCommand implements Callable<Integer> {
  @Spec
  CommandSpec command;

  @Option(names = "--master", paramLabel = "URL", description = "(submit) the standalone master, e.g. "
      + "spark://127.0.0.1:7077")
  String master;

  @Mixin
  RunOptions options = new RunOptions();

  @Option(names = "--validate-only", hidden = true)
  boolean validateOnly;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help")
  boolean help;

  private final JobContext ctx;

  SubmitCommand(JobContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    if (master == null || master.isBlank()) {
      throw new ParameterException(command.commandLine(), "submit needs --master URL (jobs/bin/spark-cluster url "
          + "prints the local cluster's)");
    }
    options.checkResults(command);
    options.liveView.checkGivenWithLive(command, options.live, options.tracking.backend);
    options.settings(command, note -> { }); // run, which SparkSubmit calls, prints the notes
    options.tracking.credentials(command, ctx.env());
    options.loadSpec();
    if (validateOnly) {
      return ExitStatus.OK;
    }
    throw new SweepFailure(ExitStatus.USAGE_ERROR, "submit is carried out by jobs/bin/gradsweep (it calls Spark's "
        + "spark-submit); with spark-submit of your own, pass run: $SPARK_HOME/bin/spark-submit --master " + master
        + " jobs/target/gradsweep-spark3.jar run " + options.spec + " ...");
  }
}
