package io.gradsweep.jobs;

import io.gradsweep.report.AblationReport;
import io.gradsweep.report.TrialRow;
import io.gradsweep.report.TrialRows;
import io.gradsweep.report.TrialsTable;
import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.PlanFormatter;
import io.gradsweep.spec.SpecException;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.SpoolBacklog;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingAuthException;
import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingException;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingSinks;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.tracking.mlflow.MlflowKeys;
import io.gradsweep.tracking.mlflow.MlflowTrackingSink;
import io.gradsweep.tracking.mlflow.RetryPolicy;
import io.gradsweep.tracking.mlflow.SpoolReplay;
import io.gradsweep.train.TrialResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Spark entry point of a sweep: {@code run SPEC} trains every trial of a sweep spec as a Spark task and logs it
 * to the tracking backend; {@code plan SPEC} prints the trials; {@code replay [SPOOL_DIR]} sends what run spools
 * kept while the tracking server was unreachable ({@link SpoolReplay}). See {@link JobArgs#USAGE}.
 *
 * <p>{@code run} goes through named steps: parse the spec on the driver (nothing is logged for an invalid spec);
 * check the tracking backend answers; start Spark (the master comes from spark-submit or {@code -Dspark.master},
 * {@code local[*]} when neither gives one); start the sweep's parent run; run the trials, one per Spark task;
 * print the summary; log the sweep's artifacts to the parent run ({@link SweepArtifacts}: trials.csv, the ablation
 * report and the profile pictures); end the parent run. {@code report} rebuilds the ablation report of a sweep from
 * its runs in the tracking backend, without Spark.
 */
public final class SweepJob {
  static final int OK = 0;
  static final int INTERNAL_ERROR = 1;
  static final int USAGE_ERROR = 2;
  static final int TRACKING_ERROR = 3;
  static final int SPARK_ERROR = 4;

  /** Seconds between two progress lines (besides one per finished trial); system property, 0 = only those. */
  static final String PROGRESS_SECONDS_PROPERTY = "gradsweep.progress.seconds";
  /** How long a cluster's executors may take to register before the sweep gives up. */
  static final String EXECUTOR_WAIT_PROPERTY = "gradsweep.executor.wait.seconds";

  /** JVM option that enables the engine's SIMD kernels. */
  static final String VECTOR_MODULE_OPTION = "--add-modules=jdk.incubator.vector";

  private final PrintStream out;
  private final PrintStream err;
  private final Map<String, String> env;

  private SweepJob(Map<String, String> env, PrintStream out, PrintStream err) {
    this.env = env;
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    int status = run(args, System.getenv(), System.out, System.err);
    System.out.flush();
    System.exit(status);
  }

  /** Runs the command line and returns the exit status; prints results on {@code out}, messages on {@code err}. */
  static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    SweepJob job = new SweepJob(env, out, err);
    try {
      return job.dispatch(args);
    } catch (JobFailure f) {
      err.println("gradsweep: " + f.getMessage());
      return f.status;
    } catch (RuntimeException | InterruptedException e) {
      err.println("gradsweep: unexpected error: " + e);
      e.printStackTrace(err);
      return INTERNAL_ERROR;
    }
  }

  /** A failure with a message for the user and an exit status. */
  private static final class JobFailure extends RuntimeException {
    final int status;

    JobFailure(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private int dispatch(String[] args) throws InterruptedException {
    JobArgs a;
    try {
      a = JobArgs.parse(args, env);
    } catch (JobArgs.UsageException e) {
      throw new JobFailure(USAGE_ERROR, e.getMessage() + "\n(gradsweep --help explains the commands and options)");
    }
    if (a.command().equals("help")) {
      out.print(JobArgs.USAGE);
      return OK;
    }
    if (a.command().equals("report")) {
      return report(a);
    }
    if (a.command().equals("replay")) {
      return replay(a);
    }
    SweepSpec spec = loadSpec(a);
    if (a.command().equals("plan")) {
      printPlan(spec);
      return OK;
    }
    try (TrackingSink sink = connectTracking(a.tracking())) {
      return runSweep(spec, a, sink);
    }
  }

  /** Step 1: parse and validate the spec on the driver. */
  private SweepSpec loadSpec(JobArgs a) {
    SweepSpec spec;
    try {
      spec = Sweeps.parseFile(a.spec());
    } catch (SpecException e) {
      throw new JobFailure(USAGE_ERROR, "invalid sweep spec " + a.spec() + ": " + e.getMessage());
    }
    if (spec.trials().isEmpty()) {
      throw new JobFailure(USAGE_ERROR, "sweep spec " + a.spec() + " expands to no trials");
    }
    return spec;
  }

  private void printPlan(SweepSpec spec) {
    out.print(PlanFormatter.format(spec));
  }

  /** Step 2: open the tracking backend and check it answers, before anything trains. */
  private TrackingSink connectTracking(TrackingTarget target) {
    TrackingSink sink = TrackingSinks.open(target);
    try {
      sink.checkReachable();
      return sink;
    } catch (TrackingAuthException e) {
      sink.close();
      throw new JobFailure(TRACKING_ERROR, "tracking backend '" + target.backend() + "' refused the sweep: "
          + e.getMessage() + "\n(nothing was trained or logged)");
    } catch (TrackingException e) {
      sink.close();
      throw new JobFailure(TRACKING_ERROR, "tracking backend '" + target.backend() + "'"
          + (target.uri() == null ? "" : " at " + target.uri()) + " is not reachable: " + e.getMessage()
          + "\n(start a local MLflow server with jobs/bin/mlflow-local start, or pass --tracking-uri)");
    }
  }

  private int runSweep(SweepSpec spec, JobArgs a, TrackingSink sink) throws InterruptedException {
    Resumption prior = a.resume() ? findResumable(spec, sink) : null;
    if (!a.resume()) {
      noteInterruptedSweep(spec, sink);
    }
    List<TrialSpec> todo = prior == null ? spec.trials() : prior.remaining(spec.trials());
    SparkSession spark = startSpark(spec);
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
      awaitExecutors(jsc);
      int parallelism = a.parallelism() > 0 ? a.parallelism() : jsc.defaultParallelism();
      SweepRun sweep = prior == null ? startParentRun(spec, sink, jsc) : resumeParentRun(spec, sink, jsc, prior);
      String parentRun = sweep.uiUrl() == null ? sweep.runId() : sweep.uiUrl();
      err.println(ProgressReporter.PREFIX + "sweep '" + spec.name() + "': " + todo.size()
          + (prior == null ? "" : " of " + spec.trials().size()) + " trials to run on " + jsc.master()
          + ", at most " + Math.max(1, Math.min(parallelism, todo.size())) + " at a time; parent run " + parentRun);
      ParentRunGuard guard = new ParentRunGuard(a.tracking(), sweep);
      try {
        List<TrialDispatcher.Outcome> outcomes = todo.isEmpty() ? List.of()
            : runTrials(jsc, todo, a.tracking(), sweep, parallelism);
        List<TrialResult> results = prior == null
            ? outcomes.stream().map(TrialDispatcher.Outcome::result).toList()
            : prior.merge(spec.trials(), todo, outcomes);
        long sparkFailures = outcomes.stream().filter(o -> o.sparkError() != null).count();
        String summary = Tables.summary(spec.trials(), results);
        out.println();
        out.print(summary);
        printFailures(results);
        List<SpoolBacklog> backlogs = results.stream().map(TrialResult::trackingBacklog).filter(Objects::nonNull)
            .map(TrialTask::backlog).toList();
        if (!backlogs.isEmpty()) {
          guard.claim(); // the parent run's end goes to a spool too, not to the shutdown hook
          throw new JobFailure(TRACKING_ERROR, undelivered(sink, sweep, spec, results, summary, backlogs,
              sparkFailures == 0));
        }
        SweepArtifacts.upload(sink, sweep, spec.name(), spec.trials(), results, err);
        endParentRun(sink, sweep, guard, summary, sparkFailures == 0);
        out.println();
        out.println("parent run:      " + parentRun);
        if (parentRun != null && parentRun.contains("/runs/")) {
          // the experiment's runs table: expand the parent run to compare its trials, or switch to the chart view
          out.println("compare trials:  " + parentRun.replaceFirst("/runs/[^?]*", "/runs"));
        }
        if (sparkFailures > 0) {
          err.println("gradsweep: " + (jsc.sc().isStopped() ? "Spark was stopped (interrupted?) and did not finish "
              : "Spark could not run ") + sparkFailures + " of " + results.size()
              + " trials (see the errors above); the parent run is marked FAILED");
          return SPARK_ERROR;
        }
        return OK;
      } finally {
        guard.close();
      }
    } finally {
      spark.stop();
    }
  }

  /**
   * {@code report}: finds the sweep's parent run (by the spec file's experiment and name, or by --experiment and
   * --sweep), reads its trial runs back, rebuilds the ablation report, writes it and {@code trials.csv} to the
   * output directory and attaches the report to the parent run. The plan comes from the parent run's
   * {@code sweep.yaml} (what actually ran), else from the spec file; without either, the rows are the trials that
   * have runs.
   */
  private int report(JobArgs a) {
    SweepSpec given = a.spec() == null ? null : loadSpec(a);
    String experiment = given == null ? a.experiment() : given.experiment();
    String name = given == null ? a.sweep() : given.name();
    try (TrackingSink sink = connectTracking(a.tracking())) {
      String where = a.tracking().uri() == null ? a.tracking().backend() : a.tracking().uri();
      SweepRun sweep;
      RunSnapshot parent;
      List<RunSnapshot> runs;
      Optional<byte[]> yaml;
      try {
        sweep = sink.findSweep(experiment, name).orElseThrow(() -> new JobFailure(USAGE_ERROR, "no sweep '" + name
            + "' in experiment '" + experiment + "' at " + where + " (check the names, or run it first: "
            + "gradsweep run SPEC)"));
        parent = sink.sweepSnapshot(sweep);
        runs = sink.trialRuns(sweep);
        yaml = sink.readSweepArtifact(sweep, "sweep.yaml");
      } catch (TrackingException e) {
        throw new JobFailure(TRACKING_ERROR, "could not read sweep '" + name + "' back: " + e.getMessage());
      }
      List<TrialSpec> plan = given == null ? null : given.trials();
      if (yaml.isPresent()) {
        try {
          plan = Sweeps.parse(new String(yaml.get(), StandardCharsets.UTF_8), "sweep.yaml of run "
              + sweep.runId()).trials();
        } catch (RuntimeException e) { // SpecException, or anything the parser trips over
          err.println(ProgressReporter.PREFIX + "warning: the parent run's sweep.yaml does not parse ("
              + e.getMessage() + "); " + (plan == null ? "reporting on the trial runs found" : "using " + a.spec()));
        }
      }
      if (RunSnapshot.RUNNING.equals(parent.status())) {
        err.println(ProgressReporter.PREFIX + "the sweep is still running: the report covers the trials that "
            + "have finished so far");
      }
      List<TrialRow> rows = TrialRows.fromRuns(plan, runs);
      Path outDir = a.out() != null ? a.out() : Path.of("gradsweep-report", name);
      Map<String, byte[]> files = SweepArtifacts.uploadReport(sink, sweep, name, rows, err);
      if (files.isEmpty()) {
        throw new JobFailure(INTERNAL_ERROR, "could not build the report of sweep '" + name + "' (see above)");
      }
      try {
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
          Path p = outDir.resolve(f.getKey());
          Files.createDirectories(p.getParent());
          Files.write(p, f.getValue());
        }
        Files.write(outDir.resolve(SweepArtifacts.TRIALS_CSV), TrialsTable.csv(rows));
      } catch (IOException e) {
        throw new JobFailure(USAGE_ERROR, "could not write the report to " + outDir + ": " + e);
      }
      long withRun = rows.stream().filter(r -> r.runId() != null).count();
      out.println("sweep '" + name + "' (experiment '" + experiment + "'): " + rows.size() + " trials, " + withRun
          + " with a run");
      out.println("report:      " + outDir.resolve(AblationReport.DIR).resolve(AblationReport.MARKDOWN));
      out.println("trials.csv:  " + outDir.resolve(SweepArtifacts.TRIALS_CSV));
      out.println("parent run:  " + (sweep.uiUrl() == null ? sweep.runId() : sweep.uiUrl()) + "  (artifacts: "
          + AblationReport.DIR + "/)");
      return OK;
    }
  }

  /** Step 3: the Spark session. Settings already given (spark-submit, -Dspark.*) win over these defaults. */
  private SparkSession startSpark(SweepSpec spec) {
    SparkConf conf = new SparkConf();
    conf.setIfMissing("spark.master", "local[*]");
    if (conf.get("spark.app.name", SweepJob.class.getName()).equals(SweepJob.class.getName())) {
      conf.set("spark.app.name", "gradsweep " + spec.name()); // unset, or spark-submit's default (the main class)
    }
    conf.setIfMissing("spark.ui.showConsoleProgress", "false");
    // the engine's SIMD kernels on the executors (without the module they fall back to plain loops)
    String executorOpts = conf.get("spark.executor.extraJavaOptions", "");
    if (!executorOpts.contains("jdk.incubator.vector")) {
      conf.set("spark.executor.extraJavaOptions", (executorOpts + " " + VECTOR_MODULE_OPTION).strip());
    }
    // Tracking credentials travel inside the tasks (TrackingCredentials), not in the Spark conf. Should someone
    // still pass them as spark.executorEnv.MLFLOW_TRACKING_*, the UI, event log and logs redact them, user included.
    conf.set(REDACTION_REGEX, redactionRegex(conf.get(REDACTION_REGEX, DEFAULT_REDACTION_REGEX)));
    // ND4J/OpenMP threads of each task = the CPUs Spark gives the task (executors in their own JVMs)
    conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", conf.get("spark.task.cpus", "1"));
    if (conf.get("spark.master").startsWith("local") && env.get("OMP_NUM_THREADS") == null) {
      err.println(ProgressReporter.PREFIX + "warning: OMP_NUM_THREADS is not set; in local mode every trial's "
          + "ND4J ops use all cores and concurrent trials slow each other down (bin/gradsweep sets it to 1)");
    }
    try {
      return SparkSession.builder().config(conf).getOrCreate();
    } catch (RuntimeException e) {
      throw new JobFailure(SPARK_ERROR, "could not start Spark on " + conf.get("spark.master") + ": "
          + TrialDispatcher.firstLine(e));
    }
  }

  static final String REDACTION_REGEX = "spark.redaction.regex";
  /** Spark 3.5's default {@code spark.redaction.regex}. */
  static final String DEFAULT_REDACTION_REGEX = "(?i)secret|password|token|access[.]key";
  static final String TRACKING_CREDENTIALS_REGEX = "(?i)mlflow_tracking_(username|password|token)";

  /** {@code regex} extended so that keys and values naming MLflow tracking credentials are redacted too. */
  static String redactionRegex(String regex) {
    return regex.contains(TRACKING_CREDENTIALS_REGEX) ? regex : regex + "|" + TRACKING_CREDENTIALS_REGEX;
  }

  /**
   * On a cluster, waits until an executor has registered: Spark's default parallelism counts only registered
   * cores, and a cluster that cannot start the application's executors would otherwise leave the sweep waiting
   * without a word.
   */
  private void awaitExecutors(JavaSparkContext jsc) throws InterruptedException {
    if (jsc.isLocal()) {
      return;
    }
    long waitSeconds = Long.getLong(EXECUTOR_WAIT_PROPERTY, 120);
    long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
    // getExecutorInfos() includes the driver
    while (jsc.sc().statusTracker().getExecutorInfos().length < 2) {
      if (jsc.sc().isStopped() || System.nanoTime() > deadline) {
        throw new JobFailure(SPARK_ERROR, "no executor registered with " + jsc.master() + " within "
            + waitSeconds + " s: check that the workers are up and have the cores and memory the application "
            + "asks for (spark.executor.memory, spark.executor.cores)");
      }
      Thread.sleep(200);
    }
    // let executors started together (one per worker) register together: until none has come for 2 s (at most 15)
    int seen = jsc.sc().statusTracker().getExecutorInfos().length;
    long quietSince = System.nanoTime();
    long giveUp = quietSince + 15_000_000_000L;
    while (System.nanoTime() - quietSince < 2_000_000_000L && System.nanoTime() < giveUp) {
      Thread.sleep(200);
      int n = jsc.sc().statusTracker().getExecutorInfos().length;
      if (n != seen) {
        seen = n;
        quietSince = System.nanoTime();
      }
    }
  }

  /** Step 4: the sweep's parent run, with the sweep-level params and the spec as written. */
  private SweepRun startParentRun(SweepSpec spec, TrackingSink sink, JavaSparkContext jsc) {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(Names.Tag.SWEEP, spec.name());
    tags.put(Names.Tag.TRIALS, Integer.toString(spec.trials().size()));
    tags.put(Names.Tag.SPARK_MASTER, jsc.master());
    tags.put(Names.Tag.SPARK_APP_ID, jsc.sc().applicationId());
    try {
      return sink.startSweep(spec.experiment(), spec.name(), spec.sweepParams(), tags,
          spec.yaml().getBytes(StandardCharsets.UTF_8));
    } catch (TrackingException e) {
      throw new JobFailure(TRACKING_ERROR, "could not start the parent run: " + e.getMessage());
    }
  }

  /**
   * Step 4, for {@code run --resume}: the sweep's latest parent run opened again, with the current spec as
   * {@code sweep.yaml}. Its params stay those of its first run (MLflow params cannot change); keys whose value
   * the current spec changes or adds are listed in tag {@value #CHANGED_PARAMS_TAG}.
   */
  private SweepRun resumeParentRun(SweepSpec spec, TrackingSink sink, JavaSparkContext jsc, Resumption prior) {
    Map<String, String> tags = new LinkedHashMap<>();
    int resumes = parseIntOr(prior.parent().tags().get(RESUMED_TAG), 0) + 1;
    tags.put(RESUMED_TAG, Integer.toString(resumes));
    tags.put(Names.Tag.TRIALS, Integer.toString(spec.trials().size()));
    tags.put(Names.Tag.SPARK_MASTER, jsc.master());
    tags.put(Names.Tag.SPARK_APP_ID, jsc.sc().applicationId());
    List<String> changed = new ArrayList<>();
    spec.sweepParams().forEach((k, v) -> {
      String old = prior.parent().params().get(k);
      if (old == null || !old.equals(MlflowKeys.truncateParamValue(v))) {
        changed.add(k);
      }
    });
    if (!changed.isEmpty()) {
      tags.put(CHANGED_PARAMS_TAG, String.join(",", changed));
      err.println(ProgressReporter.PREFIX + "note: the spec differs from the parent run's params in "
          + String.join(", ", changed) + "; the params keep their first values, sweep.yaml is the current spec");
    }
    try {
      sink.reopenSweep(prior.run(), tags);
      sink.logSweepArtifact(prior.run(), "sweep.yaml", spec.yaml().getBytes(StandardCharsets.UTF_8));
    } catch (TrackingException e) {
      throw new JobFailure(TRACKING_ERROR, "could not reopen the parent run " + prior.run().runId() + ": "
          + e.getMessage());
    }
    return prior.run();
  }

  /** Tag of a parent run: how many times its sweep was resumed. */
  static final String RESUMED_TAG = Names.Tag.RESUMED;
  /** Tag of a resumed parent run: sweep params whose value the current spec changed or added. */
  static final String CHANGED_PARAMS_TAG = Names.Tag.RESUME_CHANGED_PARAMS;

  private static int parseIntOr(String s, int otherwise) {
    try {
      return s == null ? otherwise : Integer.parseInt(s.strip());
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }

  /**
   * For {@code run --resume}: the sweep's latest parent run and its trials that FINISHED, or null (with a note)
   * when the sweep never ran. Reads the tracking backend only; nothing changes yet.
   */
  private Resumption findResumable(SweepSpec spec, TrackingSink sink) {
    Optional<SweepRun> found;
    RunSnapshot parent;
    List<RunSnapshot> runs;
    try {
      found = sink.findSweep(spec.experiment(), spec.name());
      if (found.isEmpty()) {
        err.println(ProgressReporter.PREFIX + "--resume: sweep '" + spec.name() + "' has no parent run in "
            + "experiment '" + spec.experiment() + "' yet; starting it");
        return null;
      }
      parent = sink.sweepSnapshot(found.get());
      runs = sink.trialRuns(found.get());
    } catch (TrackingException e) {
      throw new JobFailure(TRACKING_ERROR, "--resume: could not read sweep '" + spec.name() + "': "
          + e.getMessage());
    }
    Resumption r = new Resumption(found.get(), parent, Resumption.finishedByTrialId(runs));
    Set<String> planned = new HashSet<>();
    spec.trials().forEach(t -> planned.add(t.id()));
    long done = spec.trials().stream().filter(t -> r.finished().containsKey(t.id())).count();
    long dropped = r.finished().keySet().stream().filter(id -> !planned.contains(id)).count();
    String where = found.get().uiUrl() == null ? found.get().runId() : found.get().uiUrl();
    err.println(ProgressReporter.PREFIX + "resuming sweep '" + spec.name() + "' (parent run " + where + ", "
        + parent.status() + "): " + done + " of " + spec.trials().size() + " trials already FINISHED, "
        + (spec.trials().size() - done) + " to run"
        + (dropped == 0 ? "" : "; " + dropped + " finished trials are no longer in the spec and are left as they are"));
    if (RunSnapshot.RUNNING.equals(parent.status())) {
      err.println(ProgressReporter.PREFIX + "note: the parent run was still RUNNING: its driver was killed, or it "
          + "is still running elsewhere (then stop one of the two)");
    }
    return r;
  }

  /** Without {@code --resume}: a hint when the sweep's latest parent run did not finish. Best effort. */
  private void noteInterruptedSweep(SweepSpec spec, TrackingSink sink) {
    try {
      Optional<SweepRun> found = sink.findSweep(spec.experiment(), spec.name());
      if (found.isPresent()) {
        RunSnapshot parent = sink.sweepSnapshot(found.get());
        if (!parent.finished()) {
          err.println(ProgressReporter.PREFIX + "note: the latest run of sweep '" + spec.name() + "' ("
              + (found.get().uiUrl() == null ? found.get().runId() : found.get().uiUrl()) + ") is "
              + parent.status() + "; 'run --resume' would continue it and skip its finished trials. Starting a new "
              + "parent run.");
        }
      }
    } catch (TrackingException e) {
      // only a hint
    }
  }

  /**
   * A sweep being resumed: its parent run and, by trial id, the trial runs that FINISHED (the latest one if a
   * trial has several).
   */
  record Resumption(SweepRun run, RunSnapshot parent, Map<String, RunSnapshot> finished) {

    static Map<String, RunSnapshot> finishedByTrialId(List<RunSnapshot> runs) {
      Map<String, RunSnapshot> byId = new LinkedHashMap<>();
      for (RunSnapshot r : runs) { // oldest first: a later FINISHED run of the same trial wins
        if (r.finished() && r.trialId().isPresent()) {
          byId.put(r.trialId().get(), r);
        }
      }
      return byId;
    }

    /** The planned trials without a FINISHED run, in plan order. */
    List<TrialSpec> remaining(List<TrialSpec> planned) {
      return planned.stream().filter(t -> !finished.containsKey(t.id())).toList();
    }

    /** One result per planned trial, in plan order: read back for the finished ones, else from this run. */
    List<TrialResult> merge(List<TrialSpec> planned, List<TrialSpec> ran, List<TrialDispatcher.Outcome> outcomes) {
      Map<String, TrialResult> now = new HashMap<>();
      for (int i = 0; i < ran.size(); i++) {
        now.put(ran.get(i).id(), outcomes.get(i).result());
      }
      List<TrialResult> out = new ArrayList<>(planned.size());
      for (TrialSpec t : planned) {
        TrialResult r = now.get(t.id());
        RunSnapshot done = finished.get(t.id());
        out.add(r != null ? r : TrialResult.fromRun(done.trialId().orElse(null), done.runId(), done.tags(),
            done.metrics(), t.displayName()));
      }
      return out;
    }
  }

  /** Step 5: every trial as a Spark task, with progress lines on stderr. */
  private List<TrialDispatcher.Outcome> runTrials(JavaSparkContext jsc, List<TrialSpec> trials,
      TrackingTarget target, SweepRun sweep, int parallelism) throws InterruptedException {
    try (ProgressReporter progress = new ProgressReporter(trials.size(), err,
        Long.getLong(PROGRESS_SECONDS_PROPERTY, 5), System::nanoTime)) {
      jsc.sc().addSparkListener(progress);
      try {
        return TrialDispatcher.runAll(jsc, trials, new TrialTask(target, sweep), parallelism, progress);
      } finally {
        jsc.sc().removeSparkListener(progress);
      }
    }
  }

  /** Step 6: the summary as an artifact, then the parent run's end: FINISHED, or FAILED if Spark failed. */
  private void endParentRun(TrackingSink sink, SweepRun sweep, ParentRunGuard guard, String summary,
      boolean completed) {
    try {
      sink.logSweepArtifact(sweep, "summary.txt", summary.getBytes(StandardCharsets.UTF_8));
      if (guard.claim()) {
        sink.endSweep(sweep, completed);
      }
    } catch (TrackingException e) {
      guard.claim();
      String spooled = "";
      if (sink.hasSpool()) {
        // the same path as the trial runs: the end waits in a spool for gradsweep replay
        Map<String, byte[]> artifacts = new LinkedHashMap<>();
        artifacts.put("summary.txt", summary.getBytes(StandardCharsets.UTF_8));
        try {
          SpoolBacklog b = sink.spoolSweepEnd(sweep, completed, artifacts).orElseThrow();
          spooled = "\nits end waits in " + b.root() + " on " + b.host() + "; once the server is back, run: "
              + replayCommand(b);
        } catch (RuntimeException e2) {
          spooled = "\n(could not spool its end either: " + e2.getMessage() + ")";
        }
      }
      throw new JobFailure(TRACKING_ERROR, "could not end the parent run " + sweep.runId() + ": " + e.getMessage()
          + spooled);
    }
  }

  /**
   * The message of a sweep whose runs could not send everything: what waits where, the parent run (whose
   * artifacts and end are spooled here, as the server is gone) and the replay command.
   */
  private String undelivered(TrackingSink sink, SweepRun sweep, SweepSpec spec, List<TrialResult> results,
      String summary, List<SpoolBacklog> backlogs, boolean completed) {
    String uri = backlogs.get(0).trackingUri();
    StringBuilder m = new StringBuilder();
    long records = backlogs.stream().mapToLong(SpoolBacklog::records).sum();
    m.append("MLflow at ").append(uri).append(" stayed unreachable: ").append(backlogs.size()).append(" of ")
        .append(results.size()).append(" trial runs could not send everything (the training results above are "
            + "complete); ").append(records).append(" records wait in spools:");
    Map<String, long[]> byPlace = new TreeMap<>();
    Map<String, SpoolBacklog> example = new TreeMap<>();
    for (SpoolBacklog b : backlogs) {
      String place = b.host() + "\u0000" + b.root();
      long[] c = byPlace.computeIfAbsent(place, k -> new long[2]);
      c[0]++;
      c[1] += b.records();
      example.putIfAbsent(place, b);
    }
    byPlace.forEach((place, c) -> {
      SpoolBacklog b = example.get(place);
      m.append("\n  on ").append(b.host()).append(" in ").append(b.root()).append(": ").append(c[0])
          .append(" trial run").append(c[0] == 1 ? "" : "s").append(", ").append(c[1]).append(" records");
    });
    SpoolBacklog parent = null;
    if (sink.hasSpool()) {
      Map<String, byte[]> artifacts = new LinkedHashMap<>();
      artifacts.put("summary.txt", summary.getBytes(StandardCharsets.UTF_8));
      artifacts.putAll(SweepArtifacts.build(spec.name(), spec.trials(), results, err));
      try {
        parent = sink.spoolSweepEnd(sweep, completed, artifacts).orElseThrow();
        m.append("\n  on ").append(parent.host()).append(" in ").append(parent.root()).append(": the parent run ")
            .append(sweep.runId()).append(" (its artifacts and its end: it cannot be ended now and stays RUNNING "
                + "until the replay)");
      } catch (RuntimeException e) {
        m.append("\nThe parent run ").append(sweep.runId()).append(" cannot be ended now (it stays RUNNING), and "
            + "its end could not be spooled: ").append(e.getMessage());
      }
    }
    m.append("\nOnce the server is back, run on each host named above: ")
        .append(replayCommand(parent != null ? parent : backlogs.get(0)));
    return m.toString();
  }

  static String replayCommand(SpoolBacklog b) {
    return "jobs/bin/gradsweep replay --tracking-uri " + b.trackingUri() + " " + b.root();
  }

  /** {@code replay [--tracking-uri URI] [SPOOL_DIR]}: sends what run spools still hold. */
  private TrackingCredentials replayCredentials(JobArgs a) {
    return a.tracking() != null ? a.tracking().credentials() : TrackingCredentials.fromEnv(env::get);
  }

  private int replay(JobArgs a) {
    Path dir = a.spec() != null ? a.spec() : MlflowTrackingSink.Spool.defaultRoot(null);
    String uri = a.tracking() == null ? null : a.tracking().uri();
    SpoolReplay.Result r;
    try {
      r = SpoolReplay.replay(dir, uri, RetryPolicy.DEFAULT, replayCredentials(a), out);
    } catch (TrackingException e) {
      throw new JobFailure(TRACKING_ERROR, e.getMessage());
    }
    if (r.runs() > 0) {
      out.println("replay of " + dir + ": " + r.delivered() + " of " + r.runs() + " run spools sent and deleted ("
          + r.records() + " records)" + (r.inUse() > 0 ? ", " + r.inUse() + " in use (skipped)" : "")
          + (r.failed() > 0 ? ", " + r.failed() + " left on disk" : ""));
    }
    if (r.failed() > 0) {
      throw new JobFailure(TRACKING_ERROR, r.failed() + " run spool" + (r.failed() == 1 ? "" : "s") + " in " + dir
          + " could not be sent (see above); they stay on disk: run the replay again once the server answers");
    }
    return OK;
  }

  /**
   * Ends the parent run as FAILED when the JVM shuts down before the sweep ended (Ctrl-C, kill), so that an
   * interrupted sweep does not stay RUNNING in the tracking UI. Uses a sink of its own: the driver's may be busy.
   */
  private final class ParentRunGuard implements AutoCloseable {
    private final AtomicBoolean ended = new AtomicBoolean();
    private final Thread hook;

    ParentRunGuard(TrackingTarget target, SweepRun sweep) {
      hook = new Thread(() -> {
        if (claim()) {
          err.println("gradsweep: interrupted; marking the parent run " + sweep.runId() + " FAILED");
          try (TrackingSink s = TrackingSinks.open(target)) {
            s.endSweep(sweep, false);
          } catch (RuntimeException e) {
            err.println("gradsweep: could not end the parent run: " + e.getMessage());
          }
        }
      }, "gradsweep-end-parent-run");
      Runtime.getRuntime().addShutdownHook(hook);
    }

    /** True for the one caller that gets to end the parent run. */
    boolean claim() {
      return ended.compareAndSet(false, true);
    }

    @Override
    public void close() {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running or has run
      }
    }
  }

  private void printFailures(List<TrialResult> results) {
    for (int i = 0; i < results.size(); i++) {
      TrialResult r = results.get(i);
      if (r.error() != null) {
        err.println("gradsweep: trial " + (i + 1) + " (" + r.displayName() + ") failed: " + r.error());
      }
    }
  }
}
