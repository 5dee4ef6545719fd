package io.gradsweep.search;

import io.gradsweep.spec.AshaSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The promotion logic of ASHA (Li et al. 2020, Algorithm 2), without Spark and without training: which trial a free
 * slot runs next. Rungs 0..K-1 at the budgets of {@link AshaSpec#rungs()}; a trial is either started at rung 0 or
 * promoted from rung k to k+1.
 *
 * <p>{@link #next()}: for k from the second-highest rung down to 0, the trials of rung k's top
 * {@code floor(n_k / eta)} (n_k: trials that completed rung k; ranked by the metric, smallest first, NaN last,
 * ties by completion order) that are neither promoted yet nor ended: the best of them is promoted to rung k+1. If
 * there is none in any rung, the next trial not started yet starts at rung 0. Otherwise nothing: the slot waits for
 * a running segment to complete ({@link #take()} blocks), and once nothing runs the sweep is done.
 *
 * <p>A trial that ends within a rung (solved, diverged, failed) completes that rung as {@code ended}: it is ranked
 * (a NaN metric last) and counted in n_k, but never promoted (it takes a place in the top as a promoted trial
 * does). A trial completing the last rung has ended. At the end, {@link #stopped()} lists the trials paused below the
 * last rung that were not promoted: the scheduler stopped them.
 *
 * <p>Thread-safe: slots of the driver call it at once.
 */
public final class AshaScheduler {

  /** What a slot runs: {@code trialId} from its checkpoint at rung {@code rung - 1} (or from step 0 for rung 0) to
   * the end of rung {@code rung}. */
  public record Job(String trialId, int rung) {
    /** True for a trial's first segment, from step 0. */
    public boolean start() {
      return rung == 0;
    }
  }

  private final List<Integer> budgets;
  private final int eta;
  private final List<String> trials;
  private int nextNew;
  private int running;
  /** Per rung: trial id -> metric, in completion order. */
  private final List<Map<String, Double>> completed = new ArrayList<>();
  /** Per rung: the trials promoted out of it. */
  private final List<Set<String>> promoted = new ArrayList<>();
  private final Set<String> ended = new HashSet<>();
  /** Trial id -> the highest rung it completed. */
  private final Map<String, Integer> reached = new LinkedHashMap<>();

  /**
   * @param trials the trial ids, in the order new trials start
   */
  public AshaScheduler(AshaSpec spec, List<String> trials) {
    this(spec.rungs(), spec.reductionFactor(), trials);
  }

  /** A scheduler over rungs with these budgets (increasing), reduction factor {@code eta}. */
  public AshaScheduler(List<Integer> budgets, int eta, List<String> trials) {
    if (budgets.size() < 2) {
      throw new IllegalArgumentException("ASHA needs at least 2 rungs, got " + budgets);
    }
    if (eta < 2) {
      throw new IllegalArgumentException("reduction factor must be >= 2, got " + eta);
    }
    this.budgets = List.copyOf(budgets);
    this.eta = eta;
    this.trials = List.copyOf(trials);
    if (new HashSet<>(this.trials).size() != this.trials.size()) {
      throw new IllegalArgumentException("trial ids must be unique");
    }
    for (int k = 0; k < budgets.size(); k++) {
      completed.add(new LinkedHashMap<>());
      promoted.add(new HashSet<>());
    }
  }

  /** The rungs' budgets in steps. */
  public List<Integer> budgets() {
    return budgets;
  }

  /** The index of the last rung. */
  public int topRung() {
    return budgets.size() - 1;
  }

  /** The next job for a free slot, if there is one now (see the class comment); counts it as running. */
  public synchronized Optional<Job> next() {
    for (int k = budgets.size() - 2; k >= 0; k--) {
      for (String id : top(k)) {
        if (!promoted.get(k).contains(id) && !ended.contains(id)) {
          promoted.get(k).add(id);
          running++;
          return Optional.of(new Job(id, k + 1));
        }
      }
    }
    if (nextNew < trials.size()) {
      running++;
      return Optional.of(new Job(trials.get(nextNew++), 0));
    }
    return Optional.empty();
  }

  /**
   * Blocks until there is a job, or returns empty when the sweep is done (nothing to start or promote, nothing
   * running).
   */
  public synchronized Optional<Job> take() throws InterruptedException {
    while (true) {
      Optional<Job> j = next();
      if (j.isPresent() || running == 0) {
        return j;
      }
      wait();
    }
  }

  /**
   * The segment of {@code job} completed its rung with {@code metric} (NaN: none, ranked last).
   *
   * @param ended the trial ended in it (solved, diverged, failed, or the rung is the last): never promoted
   */
  public synchronized void completed(Job job, double metric, boolean ended) {
    Objects.requireNonNull(job, "job");
    if (running <= 0) {
      throw new IllegalStateException("no segment is running");
    }
    running--;
    completed.get(job.rung()).put(job.trialId(), metric);
    reached.merge(job.trialId(), job.rung(), Math::max);
    if (ended || job.rung() == topRung()) {
      this.ended.add(job.trialId());
    }
    notifyAll();
  }

  /** The top {@code floor(n_k / eta)} of rung k, best first. */
  synchronized List<String> top(int k) {
    Map<String, Double> rung = completed.get(k);
    int quota = rung.size() / eta;
    if (quota == 0) {
      return List.of();
    }
    List<String> order = new ArrayList<>(rung.keySet()); // completion order: the stable sort keeps it for ties
    order.sort(Comparator.comparingDouble(id -> rankValue(rung.get(id))));
    return List.copyOf(order.subList(0, quota));
  }

  private static double rankValue(double metric) {
    return Double.isNaN(metric) ? Double.POSITIVE_INFINITY : metric;
  }

  /** The trials that completed rung k, in completion order, with their metric. */
  public synchronized Map<String, Double> rung(int k) {
    return new LinkedHashMap<>(completed.get(k));
  }

  /** The highest rung each started trial completed (absent: none yet). */
  public synchronized Map<String, Integer> reached() {
    return new LinkedHashMap<>(reached);
  }

  /** Whether the trial has ended (it completed the last rung, or ended within a rung). */
  public synchronized boolean ended(String trialId) {
    return ended.contains(trialId);
  }

  /** Segments running now. */
  public synchronized int running() {
    return running;
  }

  /** The trials waiting at a rung below the last that were never promoted and did not end: stopped by ASHA. */
  public synchronized List<String> stopped() {
    List<String> out = new ArrayList<>();
    for (String id : trials) {
      Integer r = reached.get(id);
      if (r != null && !ended.contains(id) && !promoted.get(r).contains(id)) {
        out.add(id);
      }
    }
    return out;
  }
}
