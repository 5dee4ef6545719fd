package io.gradsweep.tracking.spool;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import java.util.Properties;

/**
 * Where a spool's records go, kept in its {@value #FILE}.
 *
 * @param runId the run (names the spool directory: letters, digits, {@code _ . -}, not starting with '.')
 * @param experimentId the run's experiment ("" if unknown)
 * @param artifactUri the run's artifact root ("": looked up when an artifact is sent)
 * @param trackingUri the server the records are for
 * @param host the machine that wrote the spool
 * @param created when the spool was made, ms since the epoch (replay sends older spools first)
 */
public record SpoolMeta(String runId, String experimentId, String artifactUri, String trackingUri, String host,
    long created) {
  /** The file in a spool directory that holds the meta; a directory with it is a complete spool. */
  public static final String FILE = "run.properties";

  public SpoolMeta {
    Objects.requireNonNull(runId, "runId");
    experimentId = Objects.toString(experimentId, "");
    artifactUri = Objects.toString(artifactUri, "");
    trackingUri = Objects.toString(trackingUri, "");
    host = Objects.toString(host, "");
  }

  /** Whether {@code runId} can name a spool directory. */
  static boolean usableRunId(String runId) {
    return runId != null && !runId.isEmpty() && runId.matches("[A-Za-z0-9_.-]+") && !runId.startsWith(".");
  }

  /** Writes the meta to {@code dir} (atomically: written aside, then renamed). */
  void write(Path dir) throws IOException {
    Properties p = new Properties();
    p.setProperty("run_id", runId);
    p.setProperty("experiment_id", experimentId);
    p.setProperty("artifact_uri", artifactUri);
    p.setProperty("tracking_uri", trackingUri);
    p.setProperty("host", host);
    p.setProperty("created", Long.toString(created));
    Path tmp = dir.resolve(FILE + ".tmp");
    try (OutputStream o = Files.newOutputStream(tmp)) {
      p.store(o, "gradsweep spool of one tracking run; replay with: jobs/bin/gradsweep replay " + dir.getParent());
    }
    Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * The meta of the spool in {@code dir}.
   *
   * @throws IOException when {@code dir} is not a spool or its meta names no run
   */
  public static SpoolMeta read(Path dir) throws IOException {
    Properties p = new Properties();
    try (InputStream i = Files.newInputStream(dir.resolve(FILE))) {
      p.load(i);
    } catch (NoSuchFileException e) {
      throw new IOException(dir + " is not a run spool (no " + FILE + ")", e);
    }
    String runId = p.getProperty("run_id", "");
    if (runId.isEmpty()) {
      throw new IOException(dir.resolve(FILE) + " names no run_id");
    }
    long created;
    try {
      created = Long.parseLong(p.getProperty("created", "0"));
    } catch (NumberFormatException e) {
      created = 0;
    }
    return new SpoolMeta(runId, p.getProperty("experiment_id", ""), p.getProperty("artifact_uri", ""),
        p.getProperty("tracking_uri", ""), p.getProperty("host", ""), created);
  }
}
