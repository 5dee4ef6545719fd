package io.gradsweep.tracking;

import io.gradsweep.plugin.Plugin;
import java.nio.file.Path;

/**
 * One kind of tracking backend, as users name it ({@code --tracking-backend mlflow}). Implementations are found
 * with {@link java.util.ServiceLoader} through {@code META-INF/services/io.gradsweep.tracking.TrackingBackend}
 * ({@link TrackingSinks} lists and opens them); each needs a public no-argument constructor.
 *
 * <p>Contract: {@link #name()} is constant, lower case, and unique among the backends on the class path (a
 * duplicate is refused when the registry is loaded). {@link #open} makes a new sink each call, owned by the caller,
 * who closes it. Implementations are stateless and thread-safe.
 */
public interface TrackingBackend extends Plugin {

  /** The word users pass as the backend, e.g. {@code mlflow}: lower case, no blanks. */
  String name();

  /**
   * A new sink for {@code target} (whose {@link TrackingTarget#backend()} names this backend).
   *
   * @param spoolParent where a backend that spools keeps its spools (null: its default); others ignore it
   * @throws IllegalArgumentException when {@code target} lacks what this backend needs (e.g. a usable URI)
   */
  TrackingSink open(TrackingTarget target, Path spoolParent);
}
