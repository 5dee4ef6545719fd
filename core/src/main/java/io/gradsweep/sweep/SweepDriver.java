package io.gradsweep.sweep;

import io.gradsweep.conf.ConfKeys;
import io.gradsweep.report.TrialRow;
import io.gradsweep.report.TrialRows;
import io.gradsweep.spec.AshaSpec;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.DuplicateRuns;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.SpoolBacklog;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingAuthException;
import io.gradsweep.tracking.TrackingException;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingSinks;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.train.TrialResult;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * The driver of a sweep, without Spark: resumes or starts the parent run, hands the trials to a
 * {@link TrialExecutor}, prints the summary, logs the sweep's artifacts and ends the parent run. Two phases, so
 * that the caller can start its executor (e.g. a Spark session) in between: {@link #prepare} reads the tracking
 * backend only (for {@code --resume}: the parent run and its finished trials); {@link #run} does the rest.
 *
 * <p>Results go to {@code out} (the summary table, the links), notes and progress to {@code err}. A failure the
 * user must act on is a {@link SweepFailure} with its exit status. The sweep's settings come with the target
 * ({@link TrackingTarget#conf()}): the driver reads {@link ConfKeys#PROGRESS_SECONDS} and
 * {@link ConfKeys#TIMINGS_FILE}, and hands them to every trial with the target.
 */
public final class SweepDriver {
  /** Tag of a parent run: how many times its sweep was resumed. */
  public static final String RESUMED_TAG = Names.Tag.RESUMED;
  /** Tag of a resumed parent run: sweep params whose value the current spec changed or added. */
  public static final String CHANGED_PARAMS_TAG = Names.Tag.RESUME_CHANGED_PARAMS;

  private final TrackingSink sink;
  private final TrackingTarget target;
  private final PrintStream out;
  private final PrintStream err;
  private java.util.function.Consumer<SweepRun> onParentRun = run -> { };

  /**
   * @param sink the driver's sink: it owns the parent run (the executor's trials open sinks of their own)
   * @param target where {@code sink} points; handed to the trials and to the {@link ParentRunGuard}
   */
  public SweepDriver(TrackingSink sink, TrackingTarget target, PrintStream out, PrintStream err) {
    this.sink = Objects.requireNonNull(sink, "sink");
    this.target = Objects.requireNonNull(target, "target");
    this.out = out;
    this.err = err;
  }

  /**
   * Calls {@code listener} with the sweep's parent run as soon as {@link #run} has started or reopened it, before
   * any trial (e.g. the live view, which then reads its trial runs). Returns this driver.
   */
  public SweepDriver onParentRun(java.util.function.Consumer<SweepRun> listener) {
    this.onParentRun = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * A sweep ready to run: the spec, the resumed sweep (null for a new parent run), and the trials to run (all,
   * or those without a FINISHED run), in plan order.
   */
  public record Plan(SweepSpec spec, Resumption prior, List<TrialSpec> todo) {
    public Plan {
      Objects.requireNonNull(spec, "spec");
      todo = List.copyOf(todo);
    }
  }

  /**
   * Opens the tracking backend and checks it answers, before anything trains; exit status 3 when it does not.
   * The caller closes the sink.
   */
  public static TrackingSink connect(TrackingTarget target) {
    TrackingSink sink = TrackingSinks.open(target);
    try {
      sink.checkReachable();
      return sink;
    } catch (TrackingAuthException e) {
      sink.close();
      throw new SweepFailure(ExitStatus.TRACKING_ERROR, "tracking backend '" + target.backend()
          + "' refused the sweep: " + e.getMessage() + "\n(nothing was trained or logged)");
    } catch (TrackingException e) {
      sink.close();
      throw new SweepFailure(ExitStatus.TRACKING_ERROR, "tracking backend '" + target.backend() + "'"
          + (target.uri() == null ? "" : " at " + target.uri()) + " is not reachable: " + e.getMessage()
          + "\n(start a local MLflow server with jobs/bin/mlflow-local start, or pass --tracking-uri)");
    }
  }

  /**
   * Phase 1, before the executor starts: with {@code resume}, the sweep's latest parent run and what of it
   * FINISHED; without, a note when the latest parent run did not finish. Changes nothing in the backend.
   */
  public Plan prepare(SweepSpec spec, boolean resume) {
    if (spec.scheduling().asha() != null) {
      if (!sink.keepsCheckpoints()) {
        throw new SweepFailure(ExitStatus.USAGE_ERROR, "search.scheduler asha pauses trials at checkpoints that "
            + "the next segment (another Spark task, anywhere) reads back from the trial's run, and tracking "
            + "backend '" + target.backend() + "' keeps none; run with --tracking mlflow");
      }
      if (resume) {
        throw new SweepFailure(ExitStatus.USAGE_ERROR, "--resume of a sweep with search.scheduler asha is not "
            + "supported yet (the scheduler's rungs are not restored); run it without --resume");
      }
    }
    Resumption prior = resume ? findResumable(spec) : null;
    if (!resume) {
      noteInterruptedSweep(spec);
    }
    return new Plan(spec, prior, prior == null ? spec.trials() : prior.remaining(spec.trials()));
  }

  /** {@link #run(Plan, TrialExecutor, int, ResultsWriter)} with no results table besides {@code trials.csv}. */
  public int run(Plan plan, TrialExecutor executor, int parallelism) throws InterruptedException {
    return run(plan, executor, parallelism, ResultsWriter.NONE);
  }

  /**
   * Phase 2: starts (or reopens) the parent run, runs the trials on {@code executor}, prints the summary, logs the
   * artifacts, ends the parent run, and last writes the results table to {@code resultsWriter}. Returns the exit
   * status: {@link ExitStatus#OK}, {@link ExitStatus#EXECUTOR_ERROR} when the executor could not run some trials,
   * else {@link ExitStatus#RESULTS_ERROR} when the table could not be written; throws {@link SweepFailure} for a
   * tracking failure (once the trials have run, after writing the table all the same: training is complete).
   *
   * @param parallelism most trials at once; 0 for the executor's default
   * @param resultsWriter where the results table goes besides {@code trials.csv}
   */
  public int run(Plan plan, TrialExecutor executor, int parallelism, ResultsWriter resultsWriter)
      throws InterruptedException {
    SweepSpec spec = plan.spec();
    List<TrialSpec> todo = plan.todo();
    int atOnce = parallelism > 0 ? parallelism : Math.max(1, executor.defaultParallelism());
    SweepRun sweep = plan.prior() == null ? startParentRun(spec, executor) : resumeParentRun(spec, executor,
        plan.prior());
    String parentRun = sweep.uiUrl() == null ? sweep.runId() : sweep.uiUrl();
    err.println(ProgressReporter.PREFIX + "sweep '" + spec.name() + "': " + todo.size()
        + (plan.prior() == null ? "" : " of " + spec.trials().size()) + " trials to run on " + executor.where()
        + ", at most " + Math.max(1, Math.min(atOnce, todo.size())) + " at a time; parent run " + parentRun);
    onParentRun.accept(sweep);
    try (ParentRunGuard guard = new ParentRunGuard(target, sweep, err)) {
      List<TrialOutcome> outcomes = todo.isEmpty() ? List.of()
          : runTrials(executor, new TrialBatch(todo, sweep, target, atOnce, segments(spec, todo, plan.prior())),
              spec);
      outcomes = oneFinishedRunPerTrial(sweep, todo, outcomes);
      List<TrialResult> results = plan.prior() == null
          ? outcomes.stream().map(TrialOutcome::result).toList()
          : plan.prior().merge(spec.trials(), todo, outcomes);
      long executorFailures = outcomes.stream().filter(TrialOutcome::executorFailed).count();
      String summary = printSummary(spec, results);
      List<SpoolBacklog> backlogs = trackingBacklogs(results);
      if (!backlogs.isEmpty()) {
        guard.claim(); // the parent run's end goes to a spool too, not to the shutdown hook
        String message = undelivered(sweep, spec, results, summary, backlogs, executorFailures == 0);
        writeResults(resultsWriter, spec, results);
        throw new SweepFailure(ExitStatus.TRACKING_ERROR, message);
      }
      SweepArtifacts.upload(sink, sweep, spec.name(), spec.trials(), results, err);
      try {
        endParentRun(sweep, guard, summary, executorFailures == 0);
      } catch (SweepFailure f) {
        writeResults(resultsWriter, spec, results);
        throw f;
      }
      printLinks(parentRun);
      boolean written = writeResults(resultsWriter, spec, results);
      if (executorFailures > 0) {
        err.println("gradsweep: " + executor.failureMessage(executorFailures, results.size())
            + " (see the errors above); the parent run is marked FAILED");
        return ExitStatus.EXECUTOR_ERROR;
      }
      return written ? ExitStatus.OK : ExitStatus.RESULTS_ERROR;
    }
  }

  /**
   * The results table of every planned trial to {@code writer}, after everything else: a failure is reported on
   * {@code err} (with how to write the table again) and returns false; nothing logged before is touched.
   */
  private boolean writeResults(ResultsWriter writer, SweepSpec spec, List<TrialResult> results) {
    if (writer == ResultsWriter.NONE) {
      return true;
    }
    long t0 = System.nanoTime();
    try {
      List<TrialRow> rows = TrialRows.of(spec.trials(), results);
      writer.write(rows);
      err.printf(Locale.ROOT, "%sresults: %d rows written to %s (%.1f s)%n", ProgressReporter.PREFIX, rows.size(),
          writer.where(), (System.nanoTime() - t0) / 1e9);
      return true;
    } catch (Exception | LinkageError e) {
      err.println("gradsweep: could not write the results table to " + writer.where() + ": " + describe(e)
          + "\n(the training results are complete, and what was logged to the tracking backend stays, trials.csv "
          + "included; 'run --resume' with the same options trains only the trials without a FINISHED run and "
          + "writes the table again)");
      return false;
    }
  }

  /** The first line of {@code e}'s message, and of its root cause's when that says more. */
  static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String first = firstLine(e);
    return root == e || first.contains(firstLine(root)) ? first : first + " (cause: " + firstLine(root) + ")";
  }

  private static String firstLine(Throwable e) {
    String m = e.getMessage() == null || e.getMessage().isBlank() ? e.getClass().getName()
        : e.getClass().getSimpleName() + ": " + e.getMessage().strip();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  /**
   * The trials on the executor, with progress lines on stderr and, at the end, the throughput line (and the
   * {@link ConfKeys#TIMINGS_FILE}, for {@code jobs/bin/benchmark --sweep}).
   */
  private List<TrialOutcome> runTrials(TrialExecutor executor, TrialBatch batch, SweepSpec spec)
      throws InterruptedException {
    List<TrialOutcome> outcomes;
    long startMillis = System.currentTimeMillis();
    long t0 = System.nanoTime();
    long cpu0 = Throughput.processCpuNanos();
    try (ProgressReporter progress = new ProgressReporter(batch.trials().size(), err,
        target.conf().get(ConfKeys.PROGRESS_SECONDS), System::nanoTime)) {
      AshaSpec asha = spec.scheduling().asha();
      outcomes = asha == null ? executor.execute(batch, progress)
          : AshaTrials.run(executor, batch, asha, spec.scheduling().checkpointEvery(), progress, err);
      if (outcomes.size() != batch.trials().size()) {
        throw new IllegalStateException("the executor returned " + outcomes.size() + " outcomes for "
            + batch.trials().size() + " trials");
      }
    }
    long cpu1 = Throughput.processCpuNanos();
    Throughput throughput = new Throughput(executor.where(), outcomes.size(), batch.parallelism(), startMillis,
        (System.nanoTime() - t0) / 1e9, cpu0 < 0 || cpu1 < 0 ? Double.NaN : (cpu1 - cpu0) / 1e9,
        outcomes.stream().map(o -> o.result().timings()).toList());
    err.println(ProgressReporter.PREFIX + throughput.line());
    String file = target.conf().get(ConfKeys.TIMINGS_FILE);
    if (file != null) {
      try {
        throughput.writeJson(java.nio.file.Path.of(file));
      } catch (java.io.IOException | RuntimeException e) {
        err.println(ProgressReporter.PREFIX + "warning: could not write the timings to " + file + " ("
            + ConfKeys.TIMINGS_FILE.sparkKey() + "): " + e);
      }
    }
    return outcomes;
  }

  /**
   * After the trials: one FINISHED run and one result per trial, whatever retries did. Reads the parent run's trial
   * runs once; of a trial with several FINISHED runs (a task retried after its executor was lost, ends that raced),
   * the first started stays and the others are ended KILLED with tag {@link Names.Tag#DUPLICATE_OF}
   * ({@link DuplicateRuns}); a trial whose result names another run than its FINISHED one (the executor returned the
   * attempt whose run lost, or could not run it although an earlier attempt finished) gets the result of that run,
   * read back, without an executor error. Best effort: when the backend cannot be read the outcomes stay.
   */
  List<TrialOutcome> oneFinishedRunPerTrial(SweepRun sweep, List<TrialSpec> todo, List<TrialOutcome> outcomes) {
    if (todo.isEmpty()) {
      return outcomes;
    }
    Map<String, List<RunSnapshot>> byTrial;
    try {
      byTrial = DuplicateRuns.byTrial(sink.trialRuns(sweep));
      for (DuplicateRuns.Duplicate d : DuplicateRuns.losers(byTrial.values().stream().flatMap(List::stream)
          .toList())) {
        err.println(ProgressReporter.PREFIX + "trial " + d.trialId() + " has two FINISHED runs (a retried attempt); "
            + "run " + d.runId() + " is ended " + DuplicateRuns.KILLED + " as a duplicate of " + d.winnerRunId());
        sink.endTrialRun(sweep, d.runId(), DuplicateRuns.KILLED, Map.of(Names.Tag.DUPLICATE_OF, d.winnerRunId()));
      }
    } catch (TrackingException e) {
      err.println(ProgressReporter.PREFIX + "warning: could not check the trial runs for duplicates: "
          + e.getMessage());
      return outcomes;
    }
    List<TrialOutcome> out = new ArrayList<>(outcomes.size());
    Set<String> counted = new HashSet<>();
    for (int i = 0; i < todo.size(); i++) {
      TrialSpec t = todo.get(i);
      TrialOutcome o = outcomes.get(i);
      if (!counted.add(t.id())) {
        throw new IllegalStateException("trial " + t.id() + " is twice in the batch");
      }
      Optional<RunSnapshot> w = DuplicateRuns.winner(byTrial.getOrDefault(t.id(), List.of()));
      if (w.isEmpty() || w.get().runId().equals(o.result().runId())) {
        out.add(o);
        continue;
      }
      RunSnapshot r = w.get();
      TrialResult read = TrialResult.fromRun(t.id(), r.runId(), r.tags(), r.metrics(), t.displayName())
          .withTimings(o.result().timings());
      if (o.result().trackingBacklog() != null) {
        read = read.withTrackingBacklog(o.result().trackingBacklog());
      }
      err.println(ProgressReporter.PREFIX + "trial " + t.id() + ": its result is that of its FINISHED run "
          + r.runId() + (o.result().runId() == null ? "" : " (the attempt that reported logged to run "
          + o.result().runId() + ")"));
      out.add(new TrialOutcome(read, null));
    }
    return out;
  }

  /**
   * What to run of each trial: the whole trial, with checkpoints every {@code training.checkpoint_every} steps; for
   * {@code --resume}, a trial cut off after a checkpoint continues from it in its run.
   */
  private List<TrialSegment> segments(SweepSpec spec, List<TrialSpec> todo, Resumption prior) {
    int every = spec.scheduling().checkpointEvery();
    List<TrialSegment> out = new ArrayList<>(todo.size());
    int resumed = 0;
    for (TrialSpec t : todo) {
      Resumption.Checkpoint c = prior == null || !sink.keepsCheckpoints() ? null : prior.checkpoints().get(t.id());
      if (c != null && c.step() < t.maxSteps()) {
        out.add(new TrialSegment(t, c.runId(), c.step(), t.maxSteps(), every, null, -1));
        resumed++;
      } else {
        out.add(TrialSegment.whole(t, every));
      }
    }
    if (resumed > 0) {
      err.println(ProgressReporter.PREFIX + "--resume: " + resumed + " of " + todo.size() + " trials continue from "
          + "their last checkpoint in their own run; the others start at step 0");
    }
    return out;
  }

  /** The summary table on {@code out}, then the failed trials on {@code err}; returns the table. */
  private String printSummary(SweepSpec spec, List<TrialResult> results) {
    String summary = Tables.summary(spec.trials(), results);
    out.println();
    out.print(summary);
    printFailures(results);
    return summary;
  }

  private void printFailures(List<TrialResult> results) {
    for (int i = 0; i < results.size(); i++) {
      TrialResult r = results.get(i);
      if (r.error() != null) {
        err.println("gradsweep: trial " + (i + 1) + " (" + r.displayName() + ") failed: " + r.error());
      }
    }
  }

  private void printLinks(String parentRun) {
    out.println();
    out.println("parent run:      " + parentRun);
    if (parentRun != null && parentRun.contains("/runs/")) {
      // the experiment's runs table: expand the parent run to compare its trials, or switch to the chart view
      out.println("compare trials:  " + parentRun.replaceFirst("/runs/[^?]*", "/runs"));
    }
  }

  /** The sweep's parent run, with the sweep-level params, the executor's tags and the spec as written. */
  private SweepRun startParentRun(SweepSpec spec, TrialExecutor executor) {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(Names.Tag.SWEEP, spec.name());
    tags.put(Names.Tag.TRIALS, Integer.toString(spec.trials().size()));
    tags.putAll(executor.parentRunTags());
    AshaSpec asha = spec.scheduling().asha();
    if (asha != null) {
      tags.put(Names.Tag.ASHA_RUNGS, asha.rungsText());
      tags.put(Names.Tag.ASHA_METRIC, asha.metric());
    }
    try {
      return sink.startSweep(spec.experiment(), spec.name(), spec.sweepParams(), tags,
          spec.yaml().getBytes(StandardCharsets.UTF_8));
    } catch (TrackingException e) {
      throw new SweepFailure(ExitStatus.TRACKING_ERROR, "could not start the parent run: " + e.getMessage());
    }
  }

  /**
   * For {@code run --resume}: the sweep's latest parent run opened again, with the current spec as
   * {@code sweep.yaml}. Its params stay those of its first run (MLflow params cannot change); keys whose value
   * the current spec changes or adds are listed in tag {@value #CHANGED_PARAMS_TAG}.
   */
  private SweepRun resumeParentRun(SweepSpec spec, TrialExecutor executor, Resumption prior) {
    Map<String, String> tags = new LinkedHashMap<>();
    int resumes = parseIntOr(prior.parent().tags().get(RESUMED_TAG), 0) + 1;
    tags.put(RESUMED_TAG, Integer.toString(resumes));
    tags.put(Names.Tag.TRIALS, Integer.toString(spec.trials().size()));
    tags.putAll(executor.parentRunTags());
    List<String> changed = changedParams(spec, prior.parent(), sink::storedParamValue);
    if (!changed.isEmpty()) {
      tags.put(CHANGED_PARAMS_TAG, String.join(",", changed));
      err.println(ProgressReporter.PREFIX + "note: the spec differs from the parent run's params in "
          + String.join(", ", changed) + "; the params keep their first values, sweep.yaml is the current spec");
    }
    try {
      sink.reopenSweep(prior.run(), tags);
      sink.logSweepArtifact(prior.run(), Names.Artifact.SWEEP_YAML, spec.yaml().getBytes(StandardCharsets.UTF_8));
    } catch (TrackingException e) {
      throw new SweepFailure(ExitStatus.TRACKING_ERROR, "could not reopen the parent run " + prior.run().runId()
          + ": " + e.getMessage());
    }
    return prior.run();
  }

  /**
   * The sweep params whose value in {@code spec}, as the backend stores it ({@code stored}), differs from the parent
   * run's (or that it lacks).
   */
  static List<String> changedParams(SweepSpec spec, RunSnapshot parent, UnaryOperator<String> stored) {
    List<String> changed = new ArrayList<>();
    spec.sweepParams().forEach((k, v) -> {
      String old = parent.params().get(k);
      if (old == null || !old.equals(stored.apply(v))) {
        changed.add(k);
      }
    });
    return changed;
  }

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
  private Resumption findResumable(SweepSpec spec) {
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
      throw new SweepFailure(ExitStatus.TRACKING_ERROR, "--resume: could not read sweep '" + spec.name() + "': "
          + e.getMessage());
    }
    Resumption r = new Resumption(found.get(), parent, Resumption.finishedByTrialId(runs),
        Resumption.checkpointsByTrialId(runs));
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
  private void noteInterruptedSweep(SweepSpec spec) {
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

  /** The summary as an artifact, then the parent run's end: FINISHED, or FAILED if the executor failed. */
  private void endParentRun(SweepRun sweep, ParentRunGuard guard, String summary, boolean completed) {
    try {
      sink.logSweepArtifact(sweep, Names.Artifact.SUMMARY, summary.getBytes(StandardCharsets.UTF_8));
      if (guard.claim()) {
        sink.endSweep(sweep, completed);
      }
    } catch (TrackingException e) {
      guard.claim();
      String spooled = "";
      Map<String, byte[]> artifacts = new LinkedHashMap<>();
      artifacts.put(Names.Artifact.SUMMARY, summary.getBytes(StandardCharsets.UTF_8));
      try {
        // the same path as the trial runs: the end waits in a spool for gradsweep replay
        Optional<SpoolBacklog> b = spoolSweepEnd(sweep, completed, artifacts);
        if (b.isPresent()) {
          spooled = "\nits end waits in " + b.get().root() + " on " + b.get().host() + "; once the server is back, "
              + "run: " + replayCommand(b.get());
        }
      } catch (RuntimeException e2) {
        spooled = "\n(could not spool its end either: " + e2.getMessage() + ")";
      }
      throw new SweepFailure(ExitStatus.TRACKING_ERROR, "could not end the parent run " + sweep.runId() + ": "
          + e.getMessage() + spooled);
    }
  }

  /**
   * The message of a sweep whose runs could not send everything: what waits where, the parent run (whose
   * artifacts and end are spooled here, as the server is gone) and the replay command.
   */
  private String undelivered(SweepRun sweep, SweepSpec spec, List<TrialResult> results, String summary,
      List<SpoolBacklog> backlogs, boolean completed) {
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
    if (canSpoolSweepEnd()) {
      Map<String, byte[]> artifacts = new LinkedHashMap<>();
      artifacts.put(Names.Artifact.SUMMARY, summary.getBytes(StandardCharsets.UTF_8));
      artifacts.putAll(SweepArtifacts.build(spec.name(), spec.trials(), results, err));
      try {
        parent = spoolSweepEnd(sweep, completed, artifacts).orElse(null);
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

  /** The command that sends what {@code b}'s spool holds. */
  public static String replayCommand(SpoolBacklog b) {
    return "jobs/bin/gradsweep replay --tracking-uri " + b.trackingUri() + " " + b.root();
  }

  // --- The driver's tracking-specific corners: the only places that know the MLflow sink or the spool backlogs
  // --- results carry (kept together for the tracking package's restructuring).

  /** Whether the driver's sink can spool the parent run's end (the MLflow sink can). */
  private boolean canSpoolSweepEnd() {
    return sink.hasSpool();
  }

  /** Spools the parent run's artifacts and end for a replay; empty when the sink cannot spool. */
  private Optional<SpoolBacklog> spoolSweepEnd(SweepRun sweep, boolean completed, Map<String, byte[]> artifacts) {
    return sink.spoolSweepEnd(sweep, completed, artifacts);
  }

  /** The spools that trial runs left unsent, one per result that has one. */
  private static List<SpoolBacklog> trackingBacklogs(List<TrialResult> results) {
    return results.stream().map(TrialResult::trackingBacklog).filter(Objects::nonNull)
        .map(TrialAttempt::backlog).toList();
  }
}
