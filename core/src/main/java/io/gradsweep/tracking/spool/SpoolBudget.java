package io.gradsweep.tracking.spool;

import io.gradsweep.tracking.TrackingException;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bytes of spool not yet acknowledged that the spools sharing this budget may hold together: {@link #reserve} waits
 * while the total would exceed the limit (unless nothing is held: a record larger than the limit still goes
 * through, alone). Whoever creates spools owns the budget and passes it to each {@link SegmentLog}; in production
 * there is one per JVM (so all trial runs of an executor share its bound), tests make their own.
 *
 * <p>Thread-safe. {@link #reserve} throws {@link TrackingException} when the budget is full and nobody will free
 * space, {@link InterruptedException} when the waiting thread is interrupted.
 */
public final class SpoolBudget {
  private static final Logger LOG = LoggerFactory.getLogger(SpoolBudget.class);
  private static final long FULL_LOG_INTERVAL_NANOS = 60_000_000_000L;
  private static final long WAIT_MILLIS = 200;

  private final SpoolClock clock;
  private long max;
  private long used;
  private long lastFullLog = Long.MIN_VALUE;

  /** A budget of {@code maxBytes} (at least 1). */
  public SpoolBudget(long maxBytes, SpoolClock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    setMax(maxBytes);
  }

  /** A budget of {@code maxBytes} on the system clock. */
  public SpoolBudget(long maxBytes) {
    this(maxBytes, SpoolClock.system());
  }

  /** A budget that never waits (for spools written once and not sent now, e.g. a sweep's end for replay). */
  public static SpoolBudget unbounded() {
    return new SpoolBudget(Long.MAX_VALUE);
  }

  /** Changes the limit (wakes the writers waiting, who check again). */
  public synchronized void setMax(long maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("spool budget must be >= 1 byte, got " + maxBytes);
    }
    max = maxBytes;
    notifyAll();
  }

  public synchronized long used() {
    return used;
  }

  public synchronized long max() {
    return max;
  }

  /**
   * Takes {@code bytes}, waiting while the limit would be exceeded and {@code senderAlive} says that someone is
   * freeing space.
   *
   * @param where the spool root, for messages
   * @param who the writer, for messages
   * @throws TrackingException when the budget is full and nobody will free space
   */
  public synchronized void reserve(long bytes, BooleanSupplier senderAlive, String where, String who)
      throws InterruptedException {
    boolean logged = false;
    while (used > 0 && used + bytes > max) {
      if (!senderAlive.getAsBoolean()) {
        throw new TrackingException("the spool under " + where + " is full (" + size(used) + " of " + size(max)
            + ") and " + who + " can no longer send; nothing more can be recorded (raise "
            + "spark.gradsweep.spool.max.mb, or replay the spool once the server is back)");
      }
      if (!logged) {
        logged = true;
        long now = clock.nanoTime();
        if (lastFullLog == Long.MIN_VALUE || now - lastFullLog > FULL_LOG_INTERVAL_NANOS) { // at most once a minute
          lastFullLog = now;
          LOG.warn("{}: the spool under {} is full ({} of {} not yet sent): training waits until the tracking "
              + "server has taken some of it", who, where, size(used), size(max));
        }
      }
      wait(WAIT_MILLIS);
    }
    used += bytes;
  }

  /** Takes {@code bytes} without waiting. */
  public synchronized void take(long bytes) {
    used += bytes;
  }

  /** Gives {@code bytes} back (never below 0) and wakes the writers waiting. */
  public synchronized void release(long bytes) {
    used = Math.max(0, used - bytes);
    notifyAll();
  }

  static String size(long bytes) {
    return bytes >= (1 << 20) ? bytes / (1 << 20) + " MiB" : bytes >= 1024 ? bytes / 1024 + " KiB" : bytes + " bytes";
  }

  @Override
  public synchronized String toString() {
    return "SpoolBudget[" + size(used) + " of " + size(max) + "]";
  }
}
