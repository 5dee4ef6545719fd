package io.gradsweep.tracking;

import java.io.Serializable;

/**
 * Serializable description of a tracking backend, from which each executor opens its own {@link TrackingSink}.
 * It travels inside the Spark task, credentials included (see {@link TrackingCredentials} for why there and not in
 * the Spark configuration); {@link #toString()} shows them redacted.
 *
 * @param backend {@code mlflow}, {@code memory} (tests) or {@code none}
 * @param uri backend address, e.g. {@code http://127.0.0.1:5000} (null for memory and none)
 * @param credentials for the tracking server, read on the driver ({@link TrackingCredentials#none()} if none)
 */
public record TrackingTarget(String backend, String uri, TrackingCredentials credentials) implements Serializable {
  public TrackingTarget {
    credentials = credentials == null ? TrackingCredentials.none() : credentials;
  }

  /** A target without credentials. */
  public TrackingTarget(String backend, String uri) {
    this(backend, uri, TrackingCredentials.none());
  }

  public static TrackingTarget none() {
    return new TrackingTarget("none", null);
  }

  @Override
  public String toString() {
    return "TrackingTarget[backend=" + backend + ", uri=" + uri + ", credentials=" + credentials + "]";
  }
}
