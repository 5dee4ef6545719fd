package io.gradsweep.sweep;

import java.util.List;

/**
 * Runs the trials of a sweep somewhere (Spark tasks, a thread pool of this JVM) and hands back one outcome per
 * trial. The sweep driver ({@link SweepDriver}) decides which trials run and what happens to the results; an
 * executor only runs them.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li><b>Ordering.</b> {@link #execute} returns exactly one {@link TrialOutcome} per trial of the batch, in the
 *       batch's order, whatever order the trials ran in.
 *   <li><b>Failures.</b> A trial that cannot be run (its task failed for good, its worker died) costs that trial
 *       only: its outcome is a FAILED result with {@link TrialOutcome#executorError()} set, and the other trials
 *       still run. Training outcomes (diverged, not solved, a runner exception) are results, not executor errors.
 *       {@link #execute} throws only when the executor itself breaks down ({@link IllegalStateException}) or the
 *       calling thread is interrupted ({@link InterruptedException}).
 *   <li><b>Threading.</b> {@link #execute} blocks the calling thread until every trial has an outcome. It may run
 *       up to {@link TrialBatch#parallelism()} trials at once and calls the {@link TrialListener} from its own
 *       threads, possibly concurrently: listeners must be thread-safe. {@link TrialListener#trialFinished} is
 *       called exactly once per trial, before {@link #execute} returns.
 *   <li><b>Tracking.</b> Each trial opens its own tracking sink from {@link TrialBatch#tracking()} (a serializable
 *       target, so that it can travel to another JVM), logs its child run under {@link TrialBatch#sweep()} and
 *       closes the sink. The driver's sink, which owns the parent run, is never handed to an executor; nor does
 *       an executor start or end the parent run.
 * </ul>
 */
public interface TrialExecutor {

  /** Where the trials run, for the driver's messages and the parent run's tags, e.g. {@code local[*]}. */
  String where();

  /** Trials run at once when the user gives no parallelism (at least 1). */
  int defaultParallelism();

  /**
   * Tags that record the executor on the sweep's parent run (e.g. {@code gradsweep.spark.master}); empty for an
   * executor that has nothing to record.
   */
  java.util.Map<String, String> parentRunTags();

  /**
   * Runs every trial of the batch and returns one outcome per trial, in the batch's order; see the class comment
   * for the contract.
   *
   * @param listener told of attempts starting and failing and of each trial's final result
   * @throws InterruptedException when the calling thread is interrupted while waiting for the trials
   * @throws IllegalStateException when the executor cannot run trials any more
   */
  List<TrialOutcome> execute(TrialBatch batch, TrialListener listener) throws InterruptedException;

  /**
   * Runs one segment of a trial and blocks until it has an outcome (a PAUSED result when the trial waits at the
   * segment's end): how a scheduler ({@code search.scheduler}) drives trials rung by rung, several at once from its
   * own threads. The same failure rules as {@link #execute}: a segment that cannot be run is a FAILED outcome with
   * the executor error set. Executors that cannot run segments throw {@link UnsupportedOperationException}.
   *
   * @param batch the sweep's parent run and tracking target (its trials and segments are not used)
   */
  default TrialOutcome runSegment(TrialBatch batch, TrialSegment segment) {
    throw new UnsupportedOperationException("executor " + where() + " cannot run trial segments");
  }

  /**
   * The start of the driver's message when {@code failed} of {@code total} trials could not be run, e.g.
   * {@code Spark could not run 2 of 8 trials}; an executor that was stopped (e.g. by a signal) says so.
   */
  String failureMessage(long failed, int total);
}
