package io.gradsweep.tracking;

import java.nio.file.Path;

/** Backend {@value MemoryTrackingSink#NAME} (tests only: registered by core's test jar). */
public final class MemoryTrackingBackend implements TrackingBackend {
  @Override
  public String name() {
    return MemoryTrackingSink.NAME;
  }

  @Override
  public TrackingSink open(TrackingTarget target, Path spoolParent) {
    return new MemoryTrackingSink();
  }
}
