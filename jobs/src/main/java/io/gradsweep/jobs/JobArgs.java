package io.gradsweep.jobs;

import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingSinks;
import io.gradsweep.tracking.TrackingTarget;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * The command line of {@link SweepJob}, parsed and checked.
 *
 * @param command {@code run}, {@code plan}, {@code report}, {@code replay} or {@code help}
 * @param spec the sweep spec file (null for help, and for report when the sweep is named by --experiment/--sweep);
 *     for replay the spool directory (null: the default one)
 * @param tracking where results go, or where report reads from (null for plan and help); for replay the server
 *     given by --tracking-uri, or a null URI (each spool's own)
 * @param parallelism most trials running at once, or 0 for Spark's default parallelism
 * @param resume {@code run --resume}: continue the sweep's latest parent run instead of starting a new one
 * @param experiment (report) the experiment of the sweep, when not taken from a spec file
 * @param sweep (report) the sweep's name, when not taken from a spec file
 * @param out (report) the directory the report is written to; null for the default
 */
record JobArgs(String command, Path spec, TrackingTarget tracking, int parallelism, boolean resume,
    String experiment, String sweep, Path out) {

  JobArgs(String command, Path spec, TrackingTarget tracking, int parallelism, boolean resume) {
    this(command, spec, tracking, parallelism, resume, null, null, null);
  }

  /** The backends the tracking registry finds ({@code memory} only where core's test jar is on the class path). */
  static final Set<String> BACKENDS = Set.copyOf(TrackingSinks.NAMES);

  static final String USAGE = """
      Usage: gradsweep run SPEC [--resume] [--tracking-uri URI] [--tracking-backend mlflow|memory|none]
                                [--parallelism N]
             gradsweep plan SPEC
             gradsweep report SPEC|SWEEP [--experiment E] [--sweep NAME] [--tracking-uri URI] [--out DIR]
             gradsweep replay [--tracking-uri URI] [SPOOL_DIR]
             gradsweep --help

      Commands:
        run SPEC    validate the sweep spec, then train every trial as a Spark task and log to the tracking backend
                    (one parent run for the sweep, one child run per trial); prints a summary table
        plan SPEC   validate the sweep spec and print its trials; starts neither Spark nor a tracking backend
        report ...  rebuild the ablation report of a sweep that ran (or is running) from its runs in the tracking
                    backend, write it to --out and attach it to the sweep's parent run (report/). The sweep is
                    found by the spec file's experiment and name, or by --experiment E --sweep NAME (the most
                    recent parent run of that name). Needs no Spark
        replay      send what trial runs kept in their disk spools while the MLflow server was unreachable, in
                    order and exactly once, end the runs as they ended, and delete the spools sent; SPOOL_DIR
                    defaults to -Dgradsweep.spool.dir, else $TMPDIR/gradsweep-spool; the server defaults to the
                    one each spool was written for. Run it on the host whose disk holds the spool

      Options:
        --resume                    continue the sweep's most recent parent run (same experiment and sweep name):
                                    trials with a FINISHED run there are skipped, the others (cut off, failed,
                                    or new in an extended grid) run under the same parent run. Without an
                                    earlier parent run it starts a new one
        --tracking-uri URI          tracking server address, e.g. http://127.0.0.1:5000
                                    (default: $MLFLOW_TRACKING_URI; required for the mlflow backend)
                                    credentials: $MLFLOW_TRACKING_USERNAME and $MLFLOW_TRACKING_PASSWORD
                                    (HTTP Basic), else $MLFLOW_TRACKING_TOKEN (Bearer); read here and
                                    passed to the executors inside the Spark tasks, never logged
        --tracking-backend NAME     mlflow (default), memory (in-process, for tests) or none
        --parallelism N             run at most N trials at once (default: Spark's default parallelism,
                                    i.e. the cores of the local machine or of the cluster's executors)
        --experiment E, --sweep N   (report) the sweep to report on, instead of a spec file
        --out DIR                   (report) where to write the report (default ./gradsweep-report/<sweep>/):
                                    DIR/report/report.md with its figures and tables, and DIR/trials.csv
        -h, --help                  print this help

      Spark settings come from spark-submit or -Dspark.* system properties; without spark.master the job runs
      on local[*]. Each trial's ND4J threads are limited to spark.task.cpus (default 1) through
      spark.executorEnv.OMP_NUM_THREADS; in local mode set OMP_NUM_THREADS=1 for the JVM.

      Tuning (system properties): -Dgradsweep.progress.seconds=N seconds between progress lines (default 5;
      0: only one line per finished trial); -Dgradsweep.executor.wait.seconds=N how long to wait for a cluster's
      first executor (default 120); -Dgradsweep.spool.dir=DIR where trial runs spool their MLflow records
      (default: gradsweep-spool under the first spark.local.dir, else under java.io.tmpdir);
      -Dgradsweep.spool.max.mb=N the spool bound per JVM (default 256; when full, training waits);
      -Dgradsweep.mlflow.giveup.seconds=N how long a trial run keeps retrying an unreachable MLflow server
      before it leaves its records to replay (default 900). On a cluster pass these to the executors too
      (spark.executor.extraJavaOptions).

      At the end of every run the job attaches the ablation report (report/report.md, figures, tables) and
      trials.csv to the parent run; a report that cannot be built is a warning, never a failed sweep.

      Exit status: 0 the sweep completed (diverged or unsolved trials are results), 2 usage or spec error (for
      report: also no such sweep), 3 tracking backend unreachable or credentials refused (at the start, or
      records left to replay at the end), 4 Spark could not run one or more trials, 1 unexpected error.
      """;

  /** A command line that cannot be run; the message says why. */
  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  static JobArgs parse(String[] args, Map<String, String> env) throws UsageException {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      return new JobArgs("help", null, null, 0, false);
    }
    String command = null;
    String spec = null;
    String uri = null;
    String backend = "mlflow";
    int parallelism = 0;
    boolean resume = false;
    String experiment = null;
    String sweep = null;
    String out = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String value = null;
      int eq = a.indexOf('=');
      String name = a.startsWith("--") && eq > 0 ? a.substring(0, eq) : a;
      if (a.startsWith("--") && eq > 0) {
        value = a.substring(eq + 1);
      }
      switch (name) {
        case "--tracking-uri" -> uri = value != null ? value : next(args, ++i, name);
        case "--tracking-backend" -> backend = value != null ? value : next(args, ++i, name);
        case "--resume" -> {
          if (value != null) {
            throw new UsageException("--resume takes no value, got '" + a + "'");
          }
          resume = true;
        }
        case "--parallelism" -> parallelism = positiveInt(value != null ? value : next(args, ++i, name), name);
        case "--experiment" -> experiment = value != null ? value : next(args, ++i, name);
        case "--sweep" -> sweep = value != null ? value : next(args, ++i, name);
        case "--out" -> out = value != null ? value : next(args, ++i, name);
        default -> {
          if (a.startsWith("-")) {
            throw new UsageException("unknown option '" + a + "'");
          } else if (command == null) {
            command = a;
          } else if (spec == null) {
            spec = a;
          } else {
            throw new UsageException("unexpected argument '" + a + "'");
          }
        }
      }
    }
    if (command == null) {
      throw new UsageException("missing command: run, plan, report or replay");
    }
    if (command.equals("replay")) {
      if (!backend.equals("mlflow")) {
        throw new UsageException("replay: spools are MLflow's; --tracking-backend must be mlflow, got '" + backend
            + "'");
      }
      if (resume) {
        throw new UsageException("replay: --resume applies to run only");
      }
      return new JobArgs(command, spec == null ? null : Path.of(spec),
          new TrackingTarget("mlflow", uri == null || uri.isBlank() ? null : uri, credentials(backend, env)), 0,
          false);
    }
    if (!command.equals("run") && !command.equals("plan") && !command.equals("report")) {
      throw new UsageException("unknown command '" + command + "'; known: run, plan, report, replay");
    }
    if (!command.equals("report") && (experiment != null || sweep != null || out != null)) {
      throw new UsageException((experiment != null ? "--experiment" : sweep != null ? "--sweep" : "--out")
          + " is an option of report, not of " + command);
    }
    if (command.equals("report")) {
      if (resume) {
        throw new UsageException("report: --resume applies to run only");
      }
      return reportArgs(spec, experiment, sweep, out, backend, uri, env);
    }
    if (spec == null) {
      throw new UsageException(command + ": missing SPEC (the sweep spec YAML file)");
    }
    if (!BACKENDS.contains(backend)) {
      throw new UsageException("--tracking-backend: unknown backend '" + backend + "'; known: "
          + String.join(", ", TrackingSinks.NAMES));
    }
    if (command.equals("plan")) {
      if (resume) {
        throw new UsageException("plan: --resume applies to run only");
      }
      return new JobArgs(command, Path.of(spec), null, parallelism, false);
    }
    if (uri == null || uri.isBlank()) {
      uri = env.get("MLFLOW_TRACKING_URI");
    }
    if (backend.equals("mlflow") && (uri == null || uri.isBlank())) {
      throw new UsageException("run: no tracking URI; pass --tracking-uri URI or set MLFLOW_TRACKING_URI "
          + "(bin/gradsweep starts a local MLflow server when neither is given)");
    }
    return new JobArgs(command, Path.of(spec),
        new TrackingTarget(backend, backend.equals("mlflow") ? uri : null, credentials(backend, env)), parallelism,
        resume);
  }

  /** MLflow credentials from the environment (none for the other backends). */
  private static TrackingCredentials credentials(String backend, Map<String, String> env) throws UsageException {
    if (!backend.equals("mlflow")) {
      return TrackingCredentials.none();
    }
    try {
      return TrackingCredentials.fromEnv(env::get);
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
  }

  /**
   * report: the positional argument is a spec file (a path that exists, or ends in .yaml/.yml) or a sweep name;
   * a sweep name needs --experiment.
   */
  private static JobArgs reportArgs(String positional, String experiment, String sweep, String out, String backend,
      String uri, Map<String, String> env) throws UsageException {
    Path spec = null;
    if (positional != null) {
      boolean isFile = java.nio.file.Files.exists(Path.of(positional)) || positional.endsWith(".yaml")
          || positional.endsWith(".yml");
      if (isFile) {
        if (experiment != null || sweep != null) {
          throw new UsageException("report: give either a spec file (" + positional + ") or --experiment and "
              + "--sweep, not both");
        }
        spec = Path.of(positional);
      } else if (sweep != null && !sweep.equals(positional)) {
        throw new UsageException("report: two sweep names given: '" + positional + "' and --sweep '" + sweep + "'");
      } else {
        sweep = positional;
      }
    }
    if (spec == null && (sweep == null || experiment == null)) {
      throw new UsageException("report: which sweep? give its spec file, or --experiment E --sweep NAME"
          + (sweep != null ? " (--experiment is missing)" : experiment != null ? " (--sweep is missing)" : ""));
    }
    if (backend.equals("none")) {
      throw new UsageException("report reads the sweep from its tracking backend: --tracking-backend none has "
          + "nothing to read; use mlflow (default) or memory");
    }
    if (!BACKENDS.contains(backend)) {
      throw new UsageException("--tracking-backend: unknown backend '" + backend + "'; known: "
          + String.join(", ", TrackingSinks.NAMES));
    }
    if (uri == null || uri.isBlank()) {
      uri = env.get("MLFLOW_TRACKING_URI");
    }
    if (backend.equals("mlflow") && (uri == null || uri.isBlank())) {
      throw new UsageException("report: no tracking URI; pass --tracking-uri URI or set MLFLOW_TRACKING_URI "
          + "(bin/gradsweep uses the local MLflow server when neither is given)");
    }
    return new JobArgs("report", spec,
        new TrackingTarget(backend, backend.equals("mlflow") ? uri : null, credentials(backend, env)), 0, false,
        experiment, sweep, out == null ? null : Path.of(out));
  }

  private static String next(String[] args, int i, String option) throws UsageException {
    if (i >= args.length || args[i].startsWith("--")) {
      throw new UsageException(option + " needs a value");
    }
    return args[i];
  }

  private static int positiveInt(String s, String option) throws UsageException {
    try {
      int n = Integer.parseInt(s);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new UsageException(option + ": expected a whole number >= 1, got '" + s + "'");
  }
}
