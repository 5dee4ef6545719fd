package io.gradsweep.spec;

/**
 * A sweep spec that cannot run. The message names the key path (e.g. {@code grid.clip[1].threshold}), the value
 * found and what is allowed.
 */
public class SpecException extends RuntimeException {
  private final String path;

  public SpecException(String path, String message) {
    super(path == null || path.isEmpty() ? message : path + ": " + message);
    this.path = path;
  }

  /** The key path of the offending value, or empty for file-level problems. */
  public String path() {
    return path == null ? "" : path;
  }
}
