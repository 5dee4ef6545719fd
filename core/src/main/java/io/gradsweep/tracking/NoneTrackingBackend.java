package io.gradsweep.tracking;

import java.nio.file.Path;

/** Backend {@value NoneTrackingSink#NAME}: a {@link NoneTrackingSink}, which stores nothing. */
public final class NoneTrackingBackend implements TrackingBackend {
  @Override
  public String name() {
    return NoneTrackingSink.NAME;
  }

  @Override
  public TrackingSink open(TrackingTarget target, Path spoolParent) {
    return new NoneTrackingSink();
  }
}
