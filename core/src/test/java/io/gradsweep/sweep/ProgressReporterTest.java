package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.train.TrialStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressReporterTest {
  private static final long S = 1_000_000_000L;
  private final AtomicLong clock = new AtomicLong(1000 * S);
  private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(buf, true, StandardCharsets.UTF_8);

  /** An attempt of a trial, as an executor reports it. */
  private record Attempt(int trial) {}

  private Attempt task(int trial, int attempt) {
    return new Attempt(trial);
  }

  private void start(ProgressReporter r, Attempt t) {
    r.attemptStarted(t.trial());
  }

  private void end(ProgressReporter r, Attempt t, boolean ok) {
    if (!ok) {
      r.attemptFailed(t.trial());
    }
  }

  @Test
  void countsRunningTrialsFromTaskEventsAndDoneTrialsFromResults() {
    List<TrialSpec> trials = Trials.seeds(4);
    try (ProgressReporter r = new ProgressReporter(4, err, 0, clock::get)) {
      Attempt t0 = task(0, 0);
      Attempt t1 = task(1, 0);
      start(r, t0);
      start(r, t1);
      assertEquals(new Progress(0, 2, 4, 0), r.snapshot());

      clock.addAndGet(20 * S);
      end(r, t0, true); // the task is over, the driver does not have the result yet: still running
      assertEquals(2, r.snapshot().running());
      r.trialFinished(0, Trials.result(trials.get(0), TrialStatus.SOLVED, 120, 0.01));
      assertEquals(new Progress(1, 1, 4, 20 * S), r.snapshot());

      end(r, t1, false); // a failed attempt: not running until Spark retries it
      assertEquals(0, r.snapshot().running());
      start(r, task(1, 1));
      assertEquals(1, r.snapshot().running());
    }
    String out = buf.toString(StandardCharsets.UTF_8);
    assertEquals(1, out.lines().count(), out);
    assertTrue(out.startsWith("[gradsweep] trial 1 SOLVED at step 120 in 1m01s (" + trials.get(0).displayName()
        + ") | trials 1/4 done, 1 running | elapsed 20s | ETA 1m00s"), out);
  }

  @Test
  void printsEveryIntervalWhileRunning() throws Exception {
    try (ProgressReporter r = new ProgressReporter(2, err, 1, System::nanoTime)) {
      Thread.sleep(2500);
    }
    List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
    assertTrue(lines.size() >= 2, lines.toString());
    lines.forEach(l -> assertTrue(l.startsWith("[gradsweep] trials 0/2 done, 0 running | elapsed"), l));
  }
}
