package io.gradsweep.sweep;

import io.gradsweep.search.AshaScheduler;
import io.gradsweep.spec.AshaSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A sweep's trials under ASHA ({@link AshaScheduler}): {@code parallelism} slots on driver threads each take the
 * scheduler's next job (start a trial at rung 0, or promote a paused one to the next rung) and run it as one
 * segment on the executor ({@link TrialExecutor#runSegment}: on Spark, a task of its own, which reads the trial's
 * checkpoint from its run); a segment that pauses reports its rung's metric to the scheduler. When nothing is left to
 * start or promote, each trial still waiting at a rung is ended at its checkpoint as
 * {@link TrialStatus#STOPPED_BY_SCHEDULER} (one segment of no steps each: its last logging window, final metrics and
 * pictures are written, its run ends), and a trial that completed the last rung below {@code training.max_steps} as
 * NOT_SOLVED. Spark-free: the executor does the dispatching.
 */
final class AshaTrials {
  private AshaTrials() {}

  /** Steps trained by all segments, and the trials the scheduler stopped, for the driver's line. */
  record Totals(long steps, int stopped) {}

  /**
   * Runs the batch's trials under ASHA; returns one outcome per trial, in the batch's order (each trial's last
   * segment's), and calls {@code listener.trialFinished} once per trial.
   */
  static List<TrialOutcome> run(TrialExecutor executor, TrialBatch batch, AshaSpec asha, int checkpointEvery,
      TrialListener listener, PrintStream err) throws InterruptedException {
    List<TrialSpec> trials = batch.trials();
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < trials.size(); i++) {
      index.put(trials.get(i).id(), i);
    }
    AshaScheduler scheduler = new AshaScheduler(asha, trials.stream().map(TrialSpec::id).toList());
    List<Integer> budgets = scheduler.budgets();
    Map<String, TrialResult> paused = new ConcurrentHashMap<>();
    TrialOutcome[] outcomes = new TrialOutcome[trials.size()];
    AtomicLong steps = new AtomicLong();

    inSlots(batch.parallelism(), "gradsweep-asha", () -> {
      java.util.Optional<AshaScheduler.Job> next;
      while ((next = scheduler.take()).isPresent()) {
        AshaScheduler.Job job = next.get();
        int i = index.get(job.trialId());
        TrialSpec trial = trials.get(i);
        int from = job.start() ? 0 : budgets.get(job.rung() - 1);
        TrialResult before = paused.remove(job.trialId());
        TrialSegment segment = new TrialSegment(trial, before == null ? null : before.runId(), from,
            budgets.get(job.rung()), checkpointEvery, null, job.rung());
        listener.attemptStarted(i); // the trial runs now (for the progress line's count)
        TrialOutcome o = safely(executor, batch, segment);
        TrialResult r = o.result();
        steps.addAndGet(Math.max(0, r.steps() - from));
        if (r.status() == TrialStatus.PAUSED) {
          listener.attemptFailed(i); // ended without a final result: it waits, not running
          paused.put(job.trialId(), r);
          scheduler.completed(job, r.finalEvalLoss(), false);
        } else {
          scheduler.completed(job, r.status() == TrialStatus.FAILED ? Double.NaN : r.finalEvalLoss(), true);
          finish(outcomes, i, o, listener);
        }
      }
    });

    // the trials still waiting at a rung end at their checkpoints
    List<String> stopped = scheduler.stopped();
    List<TrialSegment> ends = new ArrayList<>();
    paused.forEach((id, r) -> ends.add(new TrialSegment(trials.get(index.get(id)), r.runId(), r.steps(),
        r.steps(), 0, stopped.contains(id) ? TrialStatus.STOPPED_BY_SCHEDULER : TrialStatus.NOT_SOLVED, -1)));
    ends.sort(java.util.Comparator.comparingInt(s -> index.get(s.trial().id())));
    java.util.concurrent.ConcurrentLinkedQueue<TrialSegment> queue = new java.util.concurrent.ConcurrentLinkedQueue<>(
        ends);
    inSlots(Math.min(batch.parallelism(), Math.max(1, ends.size())), "gradsweep-asha-end", () -> {
      TrialSegment s;
      while ((s = queue.poll()) != null) {
        listener.attemptStarted(index.get(s.trial().id()));
        finish(outcomes, index.get(s.trial().id()), safely(executor, batch, s), listener);
      }
    });
    long full = (long) trials.size() * budgets.get(budgets.size() - 1);
    err.printf(Locale.ROOT, "%sASHA: rungs %s, %d of %d trials stopped by the scheduler; %d steps trained, %.0f%% of "
        + "%d for every trial's full budget%n", ProgressReporter.PREFIX, asha.rungsText(), stopped.size(),
        trials.size(), steps.get(), 100.0 * steps.get() / full, full);
    List<TrialOutcome> out = new ArrayList<>(trials.size());
    for (int i = 0; i < outcomes.length; i++) {
      if (outcomes[i] == null) { // cannot happen: every trial starts, and ends or pauses
        throw new IllegalStateException("ASHA left trial " + trials.get(i).id() + " without an outcome");
      }
      out.add(outcomes[i]);
    }
    return out;
  }

  private static void finish(TrialOutcome[] outcomes, int i, TrialOutcome o, TrialListener listener) {
    synchronized (outcomes) {
      outcomes[i] = o;
    }
    listener.trialFinished(i, o.result());
  }

  /** The segment's outcome; an executor that throws is a FAILED outcome with its error (the other trials go on). */
  private static TrialOutcome safely(TrialExecutor executor, TrialBatch batch, TrialSegment s) {
    try {
      return executor.runSegment(batch, s);
    } catch (RuntimeException e) {
      String why = String.valueOf(e);
      return new TrialOutcome(TrialResult.failed(s.trial().id(), s.trial().displayName(), s.runId(), why, 0), why);
    }
  }

  /** What a slot does until there is nothing left. */
  private interface Slot {
    void run() throws InterruptedException;
  }

  /** Runs {@code width} copies of {@code slot} on daemon threads and waits for all of them. */
  private static void inSlots(int width, String name, Slot slot) throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(width, r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < width; i++) {
        fs.add(pool.submit(() -> {
          slot.run();
          return null;
        }));
      }
      for (Future<?> f : fs) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw new IllegalStateException("an ASHA slot failed: " + e.getCause(), e.getCause());
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
