package io.gradsweep.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.AshaSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AshaSchedulerTest {

  @Test
  void rungsAreMinStepsTimesEtaToTheKBelowMaxStepsThenMaxSteps() {
    assertEquals(List.of(100, 300, 900), new AshaSpec(100, 3, 900, "eval_loss").rungs());
    assertEquals(List.of(100, 300, 900, 1000), new AshaSpec(100, 3, 1000, "eval_loss").rungs());
    assertEquals(List.of(10, 40), new AshaSpec(10, 4, 40, "eval_loss").rungs());
    assertEquals(List.of(10, 20, 40, 50), new AshaSpec(10, 2, 50, "eval_loss").rungs());
  }

  /**
   * One slot, eta 2, rungs [1, 2], trials A..D whose metric improves from one to the next (4, 3, 2, 1). By the rule:
   * A completes rung 0 alone (quota floor(1/2) = 0): start B. Rung 0 = {A 4, B 3}, quota 1, top [B]: promote B. B
   * completes the last rung: it has ended; rung 0's top [B] is promoted already: start C. Rung 0 = {A, B, C}, quota
   * 1, top [C]: promote C. Then start D; rung 0 = {A, B, C, D}, quota 2, top [D, C]: promote D. A is stopped.
   */
  @Test
  void oneSlotHandExample() {
    Map<String, Double> metric = Map.of("A", 4.0, "B", 3.0, "C", 2.0, "D", 1.0);
    AshaScheduler s = new AshaScheduler(List.of(1, 2), 2, List.of("A", "B", "C", "D"));
    List<String> jobs = new ArrayList<>();
    Optional<AshaScheduler.Job> j;
    while ((j = s.next()).isPresent()) {
      jobs.add((j.get().start() ? "start " : "promote ") + j.get().trialId() + (j.get().start() ? "" : " to "
          + j.get().rung()));
      s.completed(j.get(), metric.get(j.get().trialId()), false);
    }
    assertEquals(List.of("start A", "start B", "promote B to 1", "start C", "promote C to 1", "start D",
        "promote D to 1"), jobs);
    assertEquals(List.of("A"), s.stopped());
    assertEquals(0, s.running());
  }

  /** An ended trial (solved or diverged within its rung) is ranked and counted, but never promoted. */
  @Test
  void anEndedTrialIsCountedButNotPromoted() {
    AshaScheduler s = new AshaScheduler(List.of(1, 3, 9), 3, List.of("a", "b", "c", "d"));
    s.completed(s.next().orElseThrow(), 0.1, true); // a: solved in rung 0, the best
    s.completed(s.next().orElseThrow(), 0.5, false); // b
    s.completed(s.next().orElseThrow(), 0.7, false); // c
    // rung 0 = {a, b, c}, quota 1, top [a]: a has ended, so no promotion; d starts
    AshaScheduler.Job d = s.next().orElseThrow();
    assertEquals(new AshaScheduler.Job("d", 0), d);
    s.completed(d, Double.NaN, false); // d diverged without ending? NaN ranks last
    assertEquals(List.of("a"), s.top(0));
    assertTrue(s.next().isEmpty(), "nothing left to start or promote");
    assertEquals(List.of("b", "c", "d"), s.stopped());
  }

  /**
   * Many slots on a simulated clock (a segment of rung k takes budget_k - budget_{k-1} time units; metrics random):
   * every promotion is of a trial in its rung's top floor(n/eta) at that moment, never twice; at the end nothing
   * promotable is left, every trial started, and the steps trained are below trials x max_steps.
   */
  @ParameterizedTest
  @CsvSource({"1, 27, 3, 1", "4, 27, 3, 2", "8, 64, 4, 3", "3, 10, 2, 4"})
  void asynchronousPromotionsKeepTheRule(int slots, int n, int eta, long seed) throws InterruptedException {
    List<Integer> budgets = new AshaSpec(10, eta, 10 * eta * eta, "eval_loss").rungs();
    List<String> ids = IntStream.range(0, n).mapToObj(i -> "t" + i).toList();
    Random rnd = new Random(seed);
    Map<String, Double> quality = new HashMap<>();
    ids.forEach(id -> quality.put(id, rnd.nextDouble()));
    AshaScheduler s = new AshaScheduler(budgets, eta, ids);
    record Running(double until, AshaScheduler.Job job) {}
    PriorityQueue<Running> clock = new PriorityQueue<>(Comparator.comparingDouble(Running::until));
    double now = 0;
    long steps = 0;
    Set<String> promotedOnce = new HashSet<>();
    while (true) {
      while (clock.size() < slots) {
        Optional<AshaScheduler.Job> j = s.next();
        if (j.isEmpty()) {
          break;
        }
        AshaScheduler.Job job = j.get();
        if (!job.start()) {
          // the rule: in the top floor(n/eta) of the rung below, now; and promoted out of it once only
          assertTrue(s.top(job.rung() - 1).contains(job.trialId()), job + " not in the top of its rung");
          assertTrue(promotedOnce.add(job.trialId() + "@" + job.rung()), job + " promoted twice");
        }
        int from = job.rung() == 0 ? 0 : budgets.get(job.rung() - 1);
        steps += budgets.get(job.rung()) - from;
        clock.add(new Running(now + budgets.get(job.rung()) - from, job));
      }
      Running done = clock.poll();
      if (done == null) {
        break;
      }
      now = done.until();
      // the metric improves with the budget, ranked by the trial's quality
      s.completed(done.job(), quality.get(done.job().trialId()) / (1 + done.job().rung()), false);
    }
    assertEquals(0, s.running());
    assertEquals(Set.copyOf(ids), s.reached().keySet(), "every trial started");
    for (int k = 0; k < budgets.size() - 1; k++) {
      for (String id : s.top(k)) {
        assertTrue(s.reached().get(id) > k || s.ended(id), id + " in the final top of rung " + k + " not promoted");
      }
    }
    long full = (long) n * budgets.get(budgets.size() - 1);
    assertTrue(steps < full, steps + " steps, full budget " + full);
    // the trial with the best quality reaches the last rung (it is the top of every rung it completes)
    String best = ids.stream().min(Comparator.comparingDouble(quality::get)).orElseThrow();
    assertEquals(budgets.size() - 1, s.reached().get(best));
    Set<String> stopped = Set.copyOf(s.stopped());
    assertFalse(stopped.contains(best));
    assertEquals(ids.stream().filter(id -> s.reached().get(id) < budgets.size() - 1).collect(Collectors.toSet()),
        stopped, "the stopped trials are those below the last rung");
  }

  @Test
  void takeWaitsForARunningSegmentAndEndsWhenNothingRuns() throws Exception {
    AshaScheduler s = new AshaScheduler(List.of(1, 2), 2, List.of("a", "b"));
    AshaScheduler.Job a = s.take().orElseThrow();
    AshaScheduler.Job b = s.take().orElseThrow();
    Thread t = new Thread(() -> {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
      s.completed(a, 1.0, false);
      s.completed(b, 2.0, false);
    });
    t.start();
    assertEquals(new AshaScheduler.Job("a", 1), s.take().orElseThrow(), "the slot waited, then promoted a");
    s.completed(new AshaScheduler.Job("a", 1), 0.5, false);
    assertTrue(s.take().isEmpty());
    assertEquals(List.of("b"), s.stopped());
    t.join();
  }
}
