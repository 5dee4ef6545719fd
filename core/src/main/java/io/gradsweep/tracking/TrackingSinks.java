package io.gradsweep.tracking;

import io.gradsweep.plugin.Registry;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * The registry of tracking backends ({@link TrackingBackend}s found with {@link ServiceLoader}), and the way to open
 * the {@link TrackingSink} a {@link TrackingTarget} names. Thread-safe; the registry is loaded once per class
 * loader of this class.
 */
public final class TrackingSinks {
  private static final Registry<TrackingBackend> BACKENDS =
      Registry.load(TrackingBackend.class, "tracking backend", "tracking backends");

  /**
   * The backend names users can write, in the order the registry found them (the order of each services file;
   * {@code mlflow} and {@code none} in production, {@code memory} too when core's test jar is on the class path).
   */
  public static final List<String> NAMES = BACKENDS.names();

  private TrackingSinks() {}

  /** Whether {@code name} (case and surrounding blanks ignored) names a registered backend. */
  public static boolean isKnown(String name) {
    return name != null && BACKENDS.contains(name.strip().toLowerCase(Locale.ROOT));
  }

  /** The registered backends, in {@link #NAMES} order. */
  public static List<TrackingBackend> backends() {
    return BACKENDS.all();
  }

  /**
   * A new sink for {@code target}: {@code mlflow} (needs {@code target.uri()}; authenticates with
   * {@code target.credentials()} only, not with this process's environment), {@code none}, or any other registered
   * backend.
   *
   * @throws IllegalArgumentException for an unknown backend name (the message lists the known ones) or a missing
   *     or malformed MLflow URI
   */
  public static TrackingSink open(TrackingTarget target) {
    return open(target, null);
  }

  /**
   * {@link #open(TrackingTarget)} with the run spools of a backend that spools (mlflow) under {@code spoolParent}
   * (null: java.io.tmpdir), unless the target's settings name a spool directory
   * ({@code spark.gradsweep.spool.dir}).
   */
  public static TrackingSink open(TrackingTarget target, Path spoolParent) {
    if (target == null || target.backend() == null) {
      throw new IllegalArgumentException("no tracking backend given; known backends: " + String.join(", ", NAMES));
    }
    TrackingBackend b = BACKENDS.find(target.backend().strip().toLowerCase(Locale.ROOT)).orElse(null);
    if (b == null) {
      throw new IllegalArgumentException("unknown tracking backend '" + target.backend()
          + "'; known backends: " + String.join(", ", NAMES));
    }
    return b.open(target, spoolParent);
  }
}
