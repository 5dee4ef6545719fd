package io.gradsweep.tracking.spool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.TrackingException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class SpoolBudgetTest {

  @Test
  void reservesWithinTheLimitAndReleasesNeverBelowZero() throws InterruptedException {
    SpoolBudget b = new SpoolBudget(100);
    b.reserve(60, () -> true, "root", "w");
    b.reserve(40, () -> true, "root", "w");
    assertEquals(100, b.used());
    b.release(30);
    assertEquals(70, b.used());
    b.release(1_000);
    assertEquals(0, b.used());
  }

  @Test
  void aRecordLargerThanTheLimitGoesThroughAlone() throws InterruptedException {
    SpoolBudget b = new SpoolBudget(10);
    b.reserve(50, () -> false, "root", "w");
    assertEquals(50, b.used());
  }

  @Test
  void aFullBudgetWithNobodySendingThrowsNamingTheBound() throws InterruptedException {
    SpoolBudget b = new SpoolBudget(100);
    b.reserve(90, () -> true, "root", "w");
    TrackingException e = assertThrows(TrackingException.class, () -> b.reserve(20, () -> false, "/spool", "run 1"));
    assertTrue(e.getMessage().contains("/spool") && e.getMessage().contains("run 1")
        && e.getMessage().contains("spark.gradsweep.spool.max.mb"), e.getMessage());
    b.take(20); // the run's end never waits
    assertEquals(110, b.used());
  }

  @Test
  void aWriterWaitsUntilSpaceIsReleased() throws Exception {
    SpoolBudget b = new SpoolBudget(100);
    b.reserve(100, () -> true, "root", "w");
    CountDownLatch done = new CountDownLatch(1);
    AtomicBoolean failed = new AtomicBoolean();
    Thread writer = new Thread(() -> {
      try {
        b.reserve(10, () -> true, "root", "w");
      } catch (InterruptedException | RuntimeException e) {
        failed.set(true);
      }
      done.countDown();
    });
    writer.start();
    assertTrue(!done.await(300, TimeUnit.MILLISECONDS), "waited while full");
    b.release(50);
    assertTrue(done.await(5, TimeUnit.SECONDS), "went on once space was released");
    assertTrue(!failed.get());
    assertEquals(60, b.used());
  }

  @Test
  void raisingTheLimitWakesWriters() throws Exception {
    SpoolBudget b = new SpoolBudget(10);
    b.reserve(10, () -> true, "root", "w");
    Thread writer = new Thread(() -> {
      try {
        b.reserve(10, () -> true, "root", "w");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    writer.start();
    b.setMax(100);
    writer.join(5_000);
    assertEquals(20, b.used());
    assertThrows(IllegalArgumentException.class, () -> b.setMax(0));
  }
}
