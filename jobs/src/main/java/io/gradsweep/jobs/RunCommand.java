package io.gradsweep.jobs;

import io.gradsweep.conf.ConfKeys;
import io.gradsweep.conf.GradsweepConf;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.sweep.ExitStatus;
import io.gradsweep.sweep.ResultsWriter;
import io.gradsweep.sweep.SweepDriver;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingTarget;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code run SPEC}: trains every trial of a sweep as a Spark task and logs it to the tracking backend. Named
 * steps: check the options, parse the spec on the driver (nothing is logged for an invalid spec), check that the
 * tracking backend answers, read what a resumed sweep already did, start Spark ({@link SparkSessions}), check the
 * {@code --results} directory ({@link ParquetResults}), let the {@link SweepDriver} run the sweep on a
 * {@link SparkTrialExecutor} (it writes the results table last), stop Spark.
 */
@Command(name = "run", sortOptions = false, usageHelpWidth = HelpText.WIDTH, description = {
    "train every trial as a task of a local Spark (local[*], one core per trial) and log one MLflow parent run for "
        + "the sweep with one child run per trial; prints a summary table and the parent run's address. At the end "
        + "it attaches trials.csv and the ablation report (report/report.md with figures and CSV tables) to the "
        + "parent run, and with --results writes the same table as Parquet"})
final class RunCommand implements Callable<Integer> {
  @Spec
  CommandSpec command;

  @Mixin
  RunOptions options = new RunOptions();

  @Option(names = "--master", paramLabel = "URL", hidden = true)
  String master;

  @Option(names = "--validate-only", hidden = true,
      description = "check the command line and the spec, then exit (jobs/bin/gradsweep, before it starts MLflow)")
  boolean validateOnly;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help")
  boolean help;

  private final JobContext ctx;

  RunCommand(JobContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() throws InterruptedException {
    if (master != null) {
      throw new ParameterException(command.commandLine(), "--master is for submit; for run use --conf "
          + "spark.master=URL");
    }
    options.checkResults(command);
    options.liveView.checkGivenWithLive(command, options.live, options.tracking.backend);
    if (validateOnly) {
      options.settings(command, note -> { }); // the run that follows prints the notes
      options.tracking.credentials(command, ctx.env());
      options.loadSpec();
      return ExitStatus.OK;
    }
    GradsweepConf settings = options.settings(command, note -> ctx.err().println("gradsweep: " + note));
    TrackingTarget target = options.tracking.target(command, ctx.env(),
        "bin/gradsweep starts a local MLflow server when neither is given").withConf(settings);
    SweepSpec spec = options.loadSpec();
    return runSweep(spec, target);
  }

  /** The trials get the settings with the target; the driver reads its own from it too. */
  private int runSweep(SweepSpec spec, TrackingTarget target) throws InterruptedException {
    try (TrackingSink sink = SweepDriver.connect(target);
        LiveOptions.Session live = options.live
            ? options.liveView.open(command, target, spec.name(), null, ctx.err()) : null) {
      SweepDriver driver = new SweepDriver(sink, target, ctx.out(), ctx.err());
      if (live != null) {
        driver.onParentRun(run -> {
          live.view().attach(run);
          ctx.err().println("gradsweep: live view " + live.view().url() + " (parent run "
              + (run.uiUrl() == null ? run.runId() : run.uiUrl()) + ")");
        });
      }
      SweepDriver.Plan plan = driver.prepare(spec, options.resume);
      SparkSession spark = SparkSessions.start(spec.name(), options.conf, ctx.env(), ctx.err());
      try {
        ResultsWriter results = openResults(spark);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        SparkSessions.awaitExecutors(jsc, target.conf().get(ConfKeys.EXECUTOR_WAIT_SECONDS));
        return driver.run(plan, new SparkTrialExecutor(jsc), options.parallelism, results);
      } finally {
        spark.stop();
        if (live != null) {
          ctx.err().println("gradsweep: the live view closes with the driver; gradsweep watch --experiment "
              + spec.experiment() + " --sweep " + spec.name() + " opens it again");
        }
      }
    }
  }

  /** {@code --results} checked against the file system before any trial runs (a usage error when it fails). */
  private ResultsWriter openResults(SparkSession spark) {
    if (options.results == null) {
      return ResultsWriter.NONE;
    }
    try {
      return ParquetResults.open(options.results, spark, ctx.err());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage() + "\n(nothing was trained; the parent run "
          + "was not started)");
    }
  }
}
