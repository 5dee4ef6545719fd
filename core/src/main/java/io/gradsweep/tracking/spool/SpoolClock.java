package io.gradsweep.tracking.spool;

import java.time.Duration;

/**
 * Where spools and their senders read time and wait: wall-clock time for the timestamps they record, a monotonic
 * time for elapsed durations (backoff, give-up deadlines, log throttling), and sleeping between attempts. Tests pass
 * a clock of their own to reach a deadline without waiting for it.
 *
 * <p>Implementations are thread-safe. {@link #sleep} throws {@link InterruptedException} when the calling thread is
 * interrupted.
 */
public interface SpoolClock {

  /** Wall-clock time, milliseconds since the epoch. */
  long millis();

  /** A monotonic time in nanoseconds (only differences are meaningful), as {@link System#nanoTime()}. */
  long nanoTime();

  /** Waits {@code d}. */
  void sleep(Duration d) throws InterruptedException;

  /** The system's clocks and {@link Thread#sleep}. */
  static SpoolClock system() {
    return SystemClock.INSTANCE;
  }

  /** {@link SpoolClock#system()}. */
  enum SystemClock implements SpoolClock {
    INSTANCE;

    @Override
    public long millis() {
      return System.currentTimeMillis();
    }

    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public void sleep(Duration d) throws InterruptedException {
      Thread.sleep(d.toMillis());
    }
  }
}
