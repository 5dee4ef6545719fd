package io.gradsweep.tracking;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * The registry of tracking backends ({@link TrackingBackend}s found with {@link ServiceLoader}), and the way to open
 * the {@link TrackingSink} a {@link TrackingTarget} names. Thread-safe; the registry is loaded once per class
 * loader of this class.
 */
public final class TrackingSinks {
  private static final Map<String, TrackingBackend> BACKENDS = load();

  /**
   * The backend names users can write, in the order the registry found them (the order of each services file;
   * {@code mlflow} and {@code none} in production, {@code memory} too when core's test jar is on the class path).
   */
  public static final List<String> NAMES = List.copyOf(BACKENDS.keySet());

  private TrackingSinks() {}

  private static Map<String, TrackingBackend> load() {
    Map<String, TrackingBackend> out = new LinkedHashMap<>();
    for (TrackingBackend b : ServiceLoader.load(TrackingBackend.class, TrackingBackend.class.getClassLoader())) {
      TrackingBackend prev = out.putIfAbsent(b.name(), b);
      if (prev != null && prev.getClass() != b.getClass()) {
        throw new IllegalStateException("two tracking backends are called '" + b.name() + "': "
            + prev.getClass().getName() + " and " + b.getClass().getName());
      }
    }
    return Collections.unmodifiableMap(out);
  }

  /** Whether {@code name} (case and surrounding blanks ignored) names a registered backend. */
  public static boolean isKnown(String name) {
    return name != null && BACKENDS.containsKey(name.strip().toLowerCase(Locale.ROOT));
  }

  /** The registered backends, in {@link #NAMES} order. */
  public static List<TrackingBackend> backends() {
    return new ArrayList<>(BACKENDS.values());
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
   * (null: java.io.tmpdir), unless system property {@code gradsweep.spool.dir} names the spool root.
   */
  public static TrackingSink open(TrackingTarget target, Path spoolParent) {
    if (target == null || target.backend() == null) {
      throw new IllegalArgumentException("no tracking backend given; known backends: " + String.join(", ", NAMES));
    }
    TrackingBackend b = BACKENDS.get(target.backend().strip().toLowerCase(Locale.ROOT));
    if (b == null) {
      throw new IllegalArgumentException("unknown tracking backend '" + target.backend()
          + "'; known backends: " + String.join(", ", NAMES));
    }
    return b.open(target, spoolParent);
  }
}
