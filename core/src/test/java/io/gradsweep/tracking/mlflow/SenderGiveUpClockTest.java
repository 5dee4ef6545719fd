package io.gradsweep.tracking.mlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.SpoolBacklog;
import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.spool.FakeClock;
import io.gradsweep.tracking.spool.SegmentLog;
import io.gradsweep.tracking.spool.SpoolBudget;
import io.gradsweep.tracking.spool.SpoolRecord;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A trial run's sender against a server that never answers, on an injected clock: it gives up when the give-up
 * time is reached on that clock (15 minutes here) without the test waiting for it, and the records it could not
 * send stay in the spool with the timestamps the clock gave.
 */
class SenderGiveUpClockTest {
  private static final long START_MILLIS = 1_700_000_000_000L;

  @TempDir
  Path root;

  private static int refusedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void givesUpAtTheDeadlineOfTheInjectedClockWithoutSleeping() throws Exception {
    FakeClock clock = new FakeClock(START_MILLIS);
    String uri = "http://127.0.0.1:" + refusedPort();
    Duration giveUp = Duration.ofMinutes(15);
    MlflowTrackingSink.Settings settings = MlflowTrackingSink.Settings.defaults();
    settings = settings.withSpool(settings.spool().withRoot(root).withGiveUp(giveUp, Duration.ofSeconds(2)));
    MlflowRestClient client = new MlflowRestClient(uri, RetryPolicy.NONE, Duration.ofSeconds(2),
        Duration.ofSeconds(5), TrackingCredentials.none(), clock);
    MlflowRestClient.RunInfo info = new MlflowRestClient.RunInfo("run0123", "7", "mlflow-artifacts:/7/run0123",
        "RUNNING");

    long realStart = System.nanoTime();
    MlflowTrialRun run = new MlflowTrialRun(client, info, settings, new SpoolBudget(1 << 20, clock), clock, r -> {});
    for (int i = 0; i < 5; i++) {
      run.logMetric("train/loss", 1.0 / (i + 1), i);
    }
    run.finish(true);
    Duration real = Duration.ofNanos(System.nanoTime() - realStart);

    SpoolBacklog left = run.undelivered();
    assertNotNull(left, "the sender gave up: its records wait for a replay");
    assertEquals(6, left.records(), "5 metric points and the run's end");
    assertEquals(uri, left.trackingUri());
    Duration waited = Duration.ofNanos(clock.nanoTime() - 1_000_000_000L);
    assertTrue(waited.compareTo(giveUp.minusSeconds(2)) >= 0 && waited.compareTo(giveUp) <= 0,
        "gave up at the deadline on the injected clock, after " + waited);
    assertTrue(clock.sleeps() > 100, "backed off between attempts: " + clock.sleeps());
    assertTrue(real.compareTo(Duration.ofSeconds(60)) < 0, "did not wait for the deadline in real time: " + real);

    SegmentLog spool = SegmentLog.reopen(root.resolve("run0123"));
    assertNotNull(spool);
    try {
      List<SpoolRecord> recs = new ArrayList<>();
      for (List<SegmentLog.Entry> g = spool.readGroup(100); !g.isEmpty(); g = spool.readGroup(100)) {
        g.forEach(e -> recs.add(e.rec()));
      }
      assertEquals(6, recs.size());
      for (int i = 0; i < 5; i++) {
        assertEquals(new SpoolRecord.Metric("train/loss", 1.0 / (i + 1), START_MILLIS, i), recs.get(i),
            "timestamps come from the injected clock");
      }
      assertTrue(recs.get(5) instanceof SpoolRecord.End e && e.status().equals("FINISHED"), recs.get(5).toString());
    } finally {
      spool.close();
    }
  }
}
