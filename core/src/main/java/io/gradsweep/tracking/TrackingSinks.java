package io.gradsweep.tracking;

import java.util.List;
import java.util.Locale;

/** Opens the {@link TrackingSink} a {@link TrackingTarget} names. */
public final class TrackingSinks {
  /** The backend names users can write, in the order they are listed in messages. */
  public static final List<String> NAMES =
      List.of(MlflowTrackingSink.NAME, MemoryTrackingSink.NAME, NoneTrackingSink.NAME);

  private TrackingSinks() {}

  /**
   * A new sink for {@code target}: {@code mlflow} (needs {@code target.uri()}; authenticates with
   * {@code target.credentials()} only, not with this process's environment), {@code memory} or {@code none}.
   *
   * @throws IllegalArgumentException for an unknown backend name (the message lists the known ones) or a missing
   *     or malformed MLflow URI
   */
  public static TrackingSink open(TrackingTarget target) {
    return open(target, null);
  }

  /**
   * {@link #open(TrackingTarget)} with the MLflow backend's run spools under {@code spoolParent} (null:
   * java.io.tmpdir), unless system property {@value MlflowTrackingSink.Spool#DIR_PROPERTY} names the spool root.
   */
  public static TrackingSink open(TrackingTarget target, java.nio.file.Path spoolParent) {
    if (target == null || target.backend() == null) {
      throw new IllegalArgumentException("no tracking backend given; known backends: " + String.join(", ", NAMES));
    }
    return switch (target.backend().strip().toLowerCase(Locale.ROOT)) {
      case MlflowTrackingSink.NAME -> new MlflowTrackingSink(target.uri(),
          MlflowTrackingSink.Settings.defaults(spoolParent), target.credentials());
      case MemoryTrackingSink.NAME -> new MemoryTrackingSink();
      case NoneTrackingSink.NAME -> new NoneTrackingSink();
      default -> throw new IllegalArgumentException("unknown tracking backend '" + target.backend()
          + "'; known backends: " + String.join(", ", NAMES));
    };
  }
}
