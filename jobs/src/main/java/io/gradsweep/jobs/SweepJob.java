package io.gradsweep.jobs;

import io.gradsweep.sweep.ExitStatus;
import io.gradsweep.sweep.SweepFailure;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Entry point of gradsweep (jobs/bin/gradsweep, spark-submit): dispatches to one command class per command
 * ({@link RunCommand}, {@link SubmitCommand}, {@link PlanCommand}, {@link ReportCommand}, {@link WatchCommand},
 * {@link ReplayCommand})
 * and turns what they end with into an exit status: 0 done, 1 unexpected error, 2 usage or spec error, 3 tracking
 * backend unreachable or refusing, 4 Spark could not run some trials, 5 the {@code --results} table could not be
 * written ({@link ExitStatus}). The help of every command, and the overview {@code gradsweep --help}, come from
 * the commands' declarations ({@link HelpText}).
 */
@Command(name = "gradsweep", usageHelpWidth = HelpText.WIDTH, description = {
    "Plan a sweep of recurrent-network training knobs, run it on local Spark or submit it to a Spark standalone "
        + "master, rebuild the ablation report of a sweep that ran, watch a sweep live, or replay what an MLflow outage left behind."})
public final class SweepJob implements Callable<Integer> {
  static final int OK = ExitStatus.OK;
  static final int INTERNAL_ERROR = ExitStatus.INTERNAL_ERROR;
  static final int USAGE_ERROR = ExitStatus.USAGE_ERROR;
  static final int TRACKING_ERROR = ExitStatus.TRACKING_ERROR;
  static final int SPARK_ERROR = ExitStatus.EXECUTOR_ERROR;
  static final int RESULTS_ERROR = ExitStatus.RESULTS_ERROR;


  /** The commands, in the order the help lists them. */
  static final List<String> COMMANDS = List.of("plan", "run", "submit", "report", "watch", "replay");

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help (COMMAND --help: that "
      + "command's)")
  boolean help;

  @Spec
  CommandSpec spec;

  private SweepJob() {}

  public static void main(String[] args) {
    // before anything loads ND4J: on local Spark this JVM trains the trials
    SparkSessions.defaultTrialJvmProperties(System.getProperties());
    int status = run(args, System.getenv(), System.out, System.err);
    System.out.flush();
    if (inYarnApplicationMaster(System.getProperties())) {
      // YARN cluster mode: the ApplicationMaster runs this method in a thread of its own, reports the application's
      // final status when it returns, then exits. System.exit here would end the JVM first, and YARN would mark
      // even a sweep that succeeded FAILED ("Shutdown hook called before final status was reported") and start it
      // again; an exception is reported as the application's diagnostics.
      if (status != OK) {
        throw new IllegalStateException("gradsweep ended with exit status " + status + " (the driver's stderr, "
            + "in the ApplicationMaster container's log, says why)");
      }
      return;
    }
    System.exit(status);
  }

  /**
   * Whether this JVM is the driver of a YARN application in cluster deploy mode: Spark's ApplicationMaster sets
   * the application's Spark settings as system properties before it calls main.
   */
  static boolean inYarnApplicationMaster(java.util.Properties system) {
    return "yarn".equals(system.getProperty("spark.master"))
        && "cluster".equals(system.getProperty("spark.submit.deployMode"));
  }

  /** Runs the command line and returns the exit status; prints results on {@code out}, messages on {@code err}. */
  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    JobContext ctx = new JobContext(env, out, err);
    CommandLine cl = commandLine(ctx);
    try {
      CommandLine helpFor = helpRequested(cl, args);
      if (helpFor != null) {
        helpFor.usage(out);
        return OK;
      }
      return cl.execute(args);
    } finally {
      cl.getOut().flush();
      cl.getErr().flush();
      out.flush();
      err.flush();
    }
  }

  /** Without a command: a usage error. */
  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "missing command: " + String.join(", ", COMMANDS));
  }

  /** The command line of gradsweep: the commands, their help, and how failures become exit statuses. */
  static CommandLine commandLine(JobContext ctx) {
    CommandLine cl = new CommandLine(new SweepJob())
        .addSubcommand(new PlanCommand(ctx))
        .addSubcommand(new RunCommand(ctx))
        .addSubcommand(new SubmitCommand(ctx))
        .addSubcommand(new ReportCommand(ctx))
        .addSubcommand(new WatchCommand(ctx))
        .addSubcommand(new ReplayCommand(ctx))
        .addSubcommand(new CommandLine.HelpCommand());
    cl.setOut(new PrintWriter(ctx.out(), true));
    cl.setErr(new PrintWriter(ctx.err(), true));
    cl.setParameterExceptionHandler((e, args) -> usageError(e, ctx.err()));
    cl.setExecutionExceptionHandler((e, command, parseResult) -> failure(e, ctx.err()));
    HelpText.install(cl);
    return cl;
  }

  /**
   * {@code --help} or {@code -h} anywhere wins over everything else, as it did before picocli: the help of the
   * command named, else the overview; null when no help was asked for.
   */
  private static CommandLine helpRequested(CommandLine cl, String[] args) {
    if (!List.of(args).contains("--help") && !List.of(args).contains("-h")) {
      return null;
    }
    for (String a : args) {
      if (cl.getSubcommands().containsKey(a) && !a.equals("help")) {
        return cl.getSubcommands().get(a);
      }
    }
    return cl;
  }

  private static int usageError(ParameterException e, PrintStream err) {
    CommandLine where = e.getCommandLine();
    String message = e.getMessage();
    if (e instanceof UnmatchedArgumentException u && where.getParent() == null && !u.getUnmatched().isEmpty()
        && !u.getUnmatched().get(0).startsWith("-")) {
      message = "unknown command '" + u.getUnmatched().get(0) + "'; known: " + String.join(", ", COMMANDS);
    }
    err.println("gradsweep: " + message);
    err.println(where.getParent() == null || where.getCommandName().equals("help")
        ? "(gradsweep --help explains the commands and options)"
        : "(gradsweep " + where.getCommandName() + " --help explains its options; gradsweep --help all commands)");
    return USAGE_ERROR;
  }

  private static int failure(Exception e, PrintStream err) {
    if (e instanceof SweepFailure f) {
      err.println("gradsweep: " + f.getMessage());
      return f.status();
    }
    err.println("gradsweep: unexpected error: " + e);
    e.printStackTrace(err);
    return INTERNAL_ERROR;
  }
}
