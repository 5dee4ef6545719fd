package io.gradsweep.tracking.spool;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link SpoolClock} for tests: time moves only when someone sleeps on it (or {@link #advance}). */
public final class FakeClock implements SpoolClock {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final long epochMillisAtStart;
  private final AtomicLong sleeps = new AtomicLong();

  public FakeClock(long epochMillisAtStart) {
    this.epochMillisAtStart = epochMillisAtStart;
  }

  @Override
  public long millis() {
    return epochMillisAtStart + (nanos.get() - 1_000_000_000L) / 1_000_000L;
  }

  @Override
  public long nanoTime() {
    return nanos.get();
  }

  @Override
  public void sleep(Duration d) {
    sleeps.incrementAndGet();
    advance(d);
  }

  public void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  /** How many times someone slept. */
  public long sleeps() {
    return sleeps.get();
  }
}
