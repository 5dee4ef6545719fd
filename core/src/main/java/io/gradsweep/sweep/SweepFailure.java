package io.gradsweep.sweep;

/** A failure with a message for the user and the exit status it ends the command with ({@link ExitStatus}). */
public final class SweepFailure extends RuntimeException {
  private final int status;

  public SweepFailure(int status, String message) {
    super(message);
    if (status == ExitStatus.OK) {
      throw new IllegalArgumentException("a failure needs a non-zero exit status");
    }
    this.status = status;
  }

  /** The exit status. */
  public int status() {
    return status;
  }
}
