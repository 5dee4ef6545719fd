package io.gradsweep.tracking.mlflow;

import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingException;
import io.gradsweep.tracking.spool.SegmentLog;
import io.gradsweep.tracking.spool.SpoolMeta;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sends what run spools ({@link SegmentLog}) still hold, in order, and deletes each spool once all of it is stored:
 * the {@code gradsweep replay} command. A run whose spool ends with the run's end is ended as that record says (a trial
 * run's FINISHED end becomes KILLED, tag {@link io.gradsweep.tracking.Names.Tag#DUPLICATE_OF}, when its trial has a
 * FINISHED run already: {@link io.gradsweep.tracking.DuplicateRuns}); a run without one (its task was cut off) keeps
 * the status it has on the server. A spool whose lock is held (a run
 * still being written or sent by a live process) is skipped.
 */
public final class SpoolReplay {

  /**
   * What a replay did.
   *
   * @param runs spools found
   * @param delivered spools sent completely (and deleted)
   * @param inUse spools skipped because a live process holds them
   * @param failed spools that could not be sent (left on disk)
   * @param records records sent
   */
  public record Result(int runs, int delivered, int inUse, int failed, long records) {}

  private SpoolReplay() {}

  /**
   * Replays every run spool in {@code dir} (a spool root), or the one spool {@code dir} is.
   *
   * @param uriOverride the tracking server to send to; null or blank: each spool's own (as recorded when it was made)
   * @param retry retries of each request
   */
  public static Result replay(Path dir, String uriOverride, RetryPolicy retry, TrackingCredentials credentials,
      PrintStream out) {
    return replay(dir, uriOverride, null, retry, credentials, out);
  }

  /**
   * {@link #replay(Path, String, RetryPolicy, TrackingCredentials, PrintStream)}, limited to the spools written for
   * {@code onlyUri} when it is not null (an executor adopting what a dead predecessor left: see
   * {@link MlflowTrackingSink}). Spools of other servers are left alone and not counted.
   */
  static Result replay(Path dir, String uriOverride, String onlyUri, RetryPolicy retry,
      TrackingCredentials credentials, PrintStream out) {
    if (!Files.isDirectory(dir)) {
      out.println("nothing to replay: " + dir + " is not a directory");
      return new Result(0, 0, 0, 0, 0);
    }
    List<Path> spools = new ArrayList<>();
    if (SegmentLog.isSpool(dir)) {
      spools.add(dir);
    } else {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          if (Files.isDirectory(p) && SegmentLog.isSpool(p)) {
            spools.add(p);
          }
        }
      } catch (IOException e) {
        throw new TrackingException("cannot list the spool directory " + dir + ": " + e, e);
      }
    }
    if (onlyUri != null) {
      spools.removeIf(p -> !onlyUri.equals(trackingUri(p)));
    }
    spools.sort(Comparator.comparingLong(SpoolReplay::created).thenComparing(Path::toString));
    if (spools.isEmpty()) {
      out.println("nothing to replay in " + dir);
      return new Result(0, 0, 0, 0, 0);
    }
    Map<String, MlflowRestClient> clients = new HashMap<>();
    int delivered = 0;
    int inUse = 0;
    int failed = 0;
    long records = 0;
    String unreachable = null;
    for (Path p : spools) {
      if (unreachable != null) {
        out.println("run " + p.getFileName() + ": not tried (" + unreachable + ")");
        failed++;
        continue;
      }
      SegmentLog spool;
      try {
        spool = SegmentLog.reopen(p);
      } catch (TrackingException e) {
        out.println("skipped " + p + ": " + e.getMessage());
        failed++;
        continue;
      }
      if (spool == null) {
        out.println("run " + p.getFileName() + ": skipped, in use by a running process (its lock is held)");
        inUse++;
        continue;
      }
      SpoolMeta meta = spool.meta();
      String uri = uriOverride != null && !uriOverride.isBlank() ? uriOverride : meta.trackingUri();
      if (uri == null || uri.isBlank()) {
        out.println("run " + meta.runId() + ": no tracking URI recorded; pass --tracking-uri");
        spool.close();
        failed++;
        continue;
      }
      MlflowRestClient client = clients.computeIfAbsent(uri, u -> new MlflowRestClient(u, retry,
          Duration.ofSeconds(10), Duration.ofSeconds(60), credentials));
      SpoolSender sender = new SpoolSender(spool, client);
      long sent = 0;
      try {
        for (int n = sender.sendNext(); n > 0; n = sender.sendNext()) {
          sent += n;
        }
      } catch (TrackingException e) {
        records += sent;
        long left = spool.countUnacknowledged();
        spool.close();
        failed++;
        out.println("run " + meta.runId() + ": sent " + sent + " records, then failed; " + left
            + " records stay in " + p + ": " + e.getMessage());
        if (!SpoolSender.permanent(e)) {
          unreachable = "the server at " + uri + " does not answer";
        }
        continue;
      }
      records += sent;
      String ignored = spool.ignoredBytes() > 0
          ? " (ignored an incomplete last record of " + spool.ignoredBytes() + " bytes)" : "";
      String end = sender.endStatus() != null ? "ended " + sender.endStatus()
          : "no end record (its task was cut off): its status is left as it is";
      spool.delete();
      delivered++;
      out.println("run " + meta.runId() + ": sent " + sent + " records to " + uri + "; " + end + ignored);
    }
    return new Result(spools.size(), delivered, inUse, failed, records);
  }

  private static String trackingUri(Path spool) {
    try {
      return SpoolMeta.read(spool).trackingUri();
    } catch (IOException e) {
      return "";
    }
  }

  private static long created(Path spool) {
    try {
      return SpoolMeta.read(spool).created();
    } catch (IOException e) {
      return Long.MAX_VALUE;
    }
  }
}
