package io.gradsweep.tracking;

import io.gradsweep.conf.GradsweepConf;
import java.io.Serializable;

/**
 * Serializable description of a tracking backend, from which each executor opens its own {@link TrackingSink}.
 * It travels inside the Spark task, credentials included (see {@link TrackingCredentials} for why there and not in
 * the Spark configuration); {@link #toString()} shows them redacted.
 *
 * @param backend {@code mlflow}, {@code memory} (tests) or {@code none}
 * @param uri backend address, e.g. {@code http://127.0.0.1:5000} (null for memory and none)
 * @param credentials for the tracking server, read on the driver ({@link TrackingCredentials#none()} if none)
 * @param conf the sweep's settings, read on the driver: they travel with the target into every task, so that an
 *     executor opens its sink (spool directory, bound, give-up time) and trains (kernels) as the driver was told,
 *     whatever its own system properties say ({@link GradsweepConf#defaults()} if null)
 */
public record TrackingTarget(String backend, String uri, TrackingCredentials credentials, GradsweepConf conf)
    implements Serializable {
  public TrackingTarget {
    credentials = credentials == null ? TrackingCredentials.none() : credentials;
    conf = conf == null ? GradsweepConf.defaults() : conf;
  }

  /** A target with default settings. */
  public TrackingTarget(String backend, String uri, TrackingCredentials credentials) {
    this(backend, uri, credentials, GradsweepConf.defaults());
  }

  /** A target without credentials, with default settings. */
  public TrackingTarget(String backend, String uri) {
    this(backend, uri, TrackingCredentials.none());
  }

  /** This target with settings {@code c}. */
  public TrackingTarget withConf(GradsweepConf c) {
    return new TrackingTarget(backend, uri, credentials, c);
  }

  public static TrackingTarget none() {
    return new TrackingTarget("none", null);
  }

  @Override
  public String toString() {
    return "TrackingTarget[backend=" + backend + ", uri=" + uri + ", credentials=" + credentials + ", conf="
        + conf.values() + "]";
  }
}
