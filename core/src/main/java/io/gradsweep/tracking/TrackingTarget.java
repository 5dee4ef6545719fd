package io.gradsweep.tracking;

import java.io.Serializable;

/**
 * Serializable description of a tracking backend, from which each executor opens its own {@link TrackingSink}.
 *
 * @param backend {@code mlflow}, {@code memory} (tests) or {@code none}
 * @param uri backend address, e.g. {@code http://127.0.0.1:5000} (null for memory and none)
 */
public record TrackingTarget(String backend, String uri) implements Serializable {
  public static TrackingTarget none() {
    return new TrackingTarget("none", null);
  }
}
