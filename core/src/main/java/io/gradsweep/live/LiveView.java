package io.gradsweep.live;

import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingSink;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The live view of one sweep: a {@link LiveServer} serving a {@link LiveModel} that a {@link LivePoller} fills from
 * the tracking backend every {@link LivePoller#MIN_INTERVAL}. {@code run --live} opens it before the parent run
 * exists ({@link #attach} hands it over once it does); {@code watch} opens it on a sweep found in the backend.
 */
public final class LiveView implements AutoCloseable {
  private final LiveServer server;
  private final LivePoller poller;
  private final AtomicReference<SweepRun> sweep;

  private LiveView(LiveServer server, LivePoller poller, AtomicReference<SweepRun> sweep) {
    this.server = server;
    this.poller = poller;
    this.sweep = sweep;
  }

  /**
   * Binds {@code host:port} and starts polling {@code sink} (which this view then uses alone, from its own thread;
   * the caller closes it after this view).
   *
   * @param known the sweep's parent run when it exists already, else null ({@link #attach} later)
   * @throws IllegalArgumentException when the port is taken or the host unknown, naming them
   */
  public static LiveView start(TrackingSink sink, String sweepName, SweepRun known, String host, int port) {
    Objects.requireNonNull(sink, "sink");
    LiveModel model = new LiveModel();
    LiveServer server = LiveServer.start(model, host, port);
    AtomicReference<SweepRun> ref = new AtomicReference<>(known);
    LivePoller poller = new LivePoller(sink, model, sweepName, () -> Optional.ofNullable(ref.get()));
    poller.start(LivePoller.MIN_INTERVAL);
    return new LiveView(server, poller, ref);
  }

  /** The sweep's parent run, once the driver started it. */
  public void attach(SweepRun run) {
    sweep.set(Objects.requireNonNull(run, "run"));
  }

  /** The page's address. */
  public String url() {
    return server.url();
  }

  /** Stops polling and serving. */
  @Override
  public void close() {
    poller.close();
    server.close();
  }
}
