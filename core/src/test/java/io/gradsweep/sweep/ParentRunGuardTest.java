package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.MemoryRun;
import io.gradsweep.tracking.MemoryTrackingSink;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingTarget;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParentRunGuardTest {
  private static final TrackingTarget MEMORY = new TrackingTarget("memory", null);
  private final ByteArrayOutputStream errBuf = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(errBuf, true, StandardCharsets.UTF_8);

  private static SweepRun sweep() {
    return new MemoryTrackingSink().startSweep("guard-test-" + System.nanoTime(), "s", Map.of(), Map.of(), null);
  }

  @Test
  void anInterruptedSweepEndsFailed() {
    SweepRun sweep = sweep();
    try (ParentRunGuard guard = new ParentRunGuard(MEMORY, sweep, err)) {
      guard.endInterrupted(); // what the shutdown hook does
    }
    assertEquals(MemoryRun.FAILED, MemoryTrackingSink.run(sweep.runId()).orElseThrow().status());
    assertTrue(errBuf.toString(StandardCharsets.UTF_8).contains("interrupted; marking the parent run "
        + sweep.runId() + " FAILED"));
  }

  @Test
  void onlyOneCallerEndsTheParentRun() {
    SweepRun sweep = sweep();
    try (ParentRunGuard guard = new ParentRunGuard(MEMORY, sweep, err)) {
      assertTrue(guard.claim(), "the driver claims it first");
      assertFalse(guard.claim());
      guard.endInterrupted(); // the hook finds it claimed: nothing happens
    }
    assertEquals(MemoryRun.RUNNING, MemoryTrackingSink.run(sweep.runId()).orElseThrow().status());
    assertEquals("", errBuf.toString(StandardCharsets.UTF_8));
  }

  @Test
  void closingTwiceIsHarmless() {
    ParentRunGuard guard = new ParentRunGuard(MEMORY, sweep(), err);
    guard.close();
    guard.close();
  }
}
