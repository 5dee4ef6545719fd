package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.train.TrialResult;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TrialPoolTest {
  private static TrialOutcome outcome(int i) {
    return new TrialOutcome(TrialResult.failed("t" + i, "trial " + i, null, "x", 0), null);
  }

  @Test
  void outcomesComeBackInIndexOrderWhateverOrderTheyFinishIn() throws InterruptedException {
    List<TrialOutcome> out = TrialPool.runAll(6, 3, "test", "a call", i -> {
      try {
        Thread.sleep(10L * (6 - i)); // later indexes finish first
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return outcome(i);
    });
    assertEquals(List.of("t0", "t1", "t2", "t3", "t4", "t5"), out.stream().map(o -> o.result().trialId()).toList());
  }

  @Test
  void atMostWidthCallsRunAtOnce() throws InterruptedException {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    TrialPool.runAll(12, 2, "test", "a call", i -> {
      most.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      running.decrementAndGet();
      return outcome(i);
    });
    assertEquals(2, most.get(), "two threads, and both were used");
  }

  @Test
  void aCallThatThrowsStopsTheRestAndNamesWhatFailed() throws InterruptedException {
    RuntimeException boom = new RuntimeException("boom");
    CountDownLatch interrupted = new CountDownLatch(1);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> TrialPool.runAll(2, 2, "test",
        "running a trial", i -> {
          if (i == 0) {
            throw boom;
          }
          try {
            Thread.sleep(60_000);
          } catch (InterruptedException x) {
            interrupted.countDown();
          }
          return outcome(i);
        }));
    assertSame(boom, e.getCause());
    assertTrue(e.getMessage().startsWith("running a trial"), e.getMessage());
    assertTrue(interrupted.await(10, TimeUnit.SECONDS), "the other call is interrupted");
  }

  @Test
  void noTrialsNoThreads() throws InterruptedException {
    assertEquals(List.of(), TrialPool.runAll(0, 4, "test", "a call", i -> {
      throw new AssertionError("never called");
    }));
  }
}
