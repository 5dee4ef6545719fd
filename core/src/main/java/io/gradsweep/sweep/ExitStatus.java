package io.gradsweep.sweep;

/** The exit statuses of the gradsweep commands (documented in their help and in the README). */
public final class ExitStatus {
  /** The command did its work; for a sweep: it completed (diverged or unsolved trials are results). */
  public static final int OK = 0;
  /** An unexpected error. */
  public static final int INTERNAL_ERROR = 1;
  /** A usage or spec error (report: also no such sweep). */
  public static final int USAGE_ERROR = 2;
  /** The tracking backend is unreachable or refused the credentials, or records are left to replay. */
  public static final int TRACKING_ERROR = 3;
  /** The executor (Spark) could not run one or more trials. */
  public static final int EXECUTOR_ERROR = 4;
  /**
   * The sweep completed and was logged, but its results table could not be written where {@code run --results}
   * asked ({@link ResultsWriter}).
   */
  public static final int RESULTS_ERROR = 5;

  private ExitStatus() {}
}
