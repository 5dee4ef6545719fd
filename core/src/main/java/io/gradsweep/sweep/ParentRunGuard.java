package io.gradsweep.sweep;

import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingSinks;
import io.gradsweep.tracking.TrackingTarget;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ends the parent run as FAILED when the JVM shuts down before the sweep ended (Ctrl-C, kill), so that an
 * interrupted sweep does not stay RUNNING in the tracking UI. Whoever ends the parent run first {@link #claim}s
 * it: the driver at the end of the sweep, or the shutdown hook. The hook uses a sink of its own: the driver's may
 * be busy.
 */
public final class ParentRunGuard implements AutoCloseable {
  private final AtomicBoolean ended = new AtomicBoolean();
  private final TrackingTarget target;
  private final SweepRun sweep;
  private final PrintStream err;
  private final Thread hook;

  /** Registers the shutdown hook; {@link #close} removes it. */
  public ParentRunGuard(TrackingTarget target, SweepRun sweep, PrintStream err) {
    this.target = target;
    this.sweep = sweep;
    this.err = err;
    hook = new Thread(this::endInterrupted, "gradsweep-end-parent-run");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  /** True for the one caller that gets to end the parent run. */
  public boolean claim() {
    return ended.compareAndSet(false, true);
  }

  /** What the shutdown hook does: unless someone claimed the parent run already, end it as FAILED. */
  void endInterrupted() {
    if (claim()) {
      err.println("gradsweep: interrupted; marking the parent run " + sweep.runId() + " FAILED");
      try (TrackingSink s = TrackingSinks.open(target)) {
        s.endSweep(sweep, false);
      } catch (RuntimeException e) {
        err.println("gradsweep: could not end the parent run: " + e.getMessage());
      }
    }
  }

  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // the hook is running or has run
    }
  }
}
