package io.gradsweep.jobs;

import io.gradsweep.live.LiveServer;
import io.gradsweep.live.LiveView;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingSinks;
import io.gradsweep.tracking.TrackingTarget;
import java.io.PrintStream;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code --live-host}, {@code --live-port}: where the live view ({@link LiveView}) of {@code run --live},
 * {@code submit --live} and {@code watch} listens, and how it opens. It reads the tracking backend with a sink of its own, from the driver;
 * nothing runs on the executors.
 */
final class LiveOptions {
  @Option(names = "--live-host", paramLabel = "HOST", defaultValue = LiveServer.DEFAULT_HOST, description = "the "
      + "address the live view listens on (default " + LiveServer.DEFAULT_HOST + ": this machine only; 0.0.0.0: "
      + "every interface, for a driver on a remote machine: anyone who reaches the port sees the sweep)")
  String host = LiveServer.DEFAULT_HOST;

  @Option(names = "--live-port", paramLabel = "PORT", defaultValue = "" + LiveServer.DEFAULT_PORT, description =
      "the live view's port (default " + LiveServer.DEFAULT_PORT + "; 0: any free port)")
  int port = LiveServer.DEFAULT_PORT;

  /** The live view and the sink it reads with; closing it stops both. */
  record Session(LiveView view, TrackingSink sink) implements AutoCloseable {
    @Override
    public void close() {
      try {
        view.close();
      } finally {
        sink.close();
      }
    }
  }

  /**
   * A usage error when {@code --live-host} or {@code --live-port} are given without {@code --live} (run, submit),
   * or {@code --live} with {@code --tracking-backend none} (nothing is logged, so nothing can be shown).
   */
  void checkGivenWithLive(CommandSpec command, boolean live, String backend) {
    if (live && backend.equals("none")) {
      throw new ParameterException(command.commandLine(), "--live shows what the trials log to the tracking "
          + "backend: with --tracking-backend none nothing is logged; use mlflow (default)");
    }
    if (live) {
      return;
    }
    boolean hostGiven = command.commandLine().getParseResult().hasMatchedOption("--live-host");
    boolean portGiven = command.commandLine().getParseResult().hasMatchedOption("--live-port");
    if (hostGiven || portGiven) {
      throw new ParameterException(command.commandLine(), (hostGiven ? "--live-host" : "--live-port")
          + " is for the live view: add --live");
    }
  }

  /**
   * Opens the live view of sweep {@code sweepName} ({@code known}: its parent run if it exists, else null until
   * {@link LiveView#attach}) and prints its address; a taken port or an unknown host is a usage error.
   */
  Session open(CommandSpec command, TrackingTarget target, String sweepName, SweepRun known, PrintStream err) {
    TrackingSink sink = TrackingSinks.open(target);
    try {
      LiveView view = LiveView.start(sink, sweepName, known, host, port);
      err.println("gradsweep: live view of sweep '" + sweepName + "': " + view.url() + " (read-only"
          + (LiveServer.DEFAULT_HOST.equals(host) ? ", this machine only" : ", listening on " + host) + ")");
      return new Session(view, sink);
    } catch (IllegalArgumentException e) {
      sink.close();
      throw new ParameterException(command.commandLine(), e.getMessage());
    } catch (RuntimeException e) {
      sink.close();
      throw e;
    }
  }
}
