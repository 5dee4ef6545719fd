package io.gradsweep.tracking;

/** Tag keys gradsweep writes on runs. */
public final class TrackingTags {
  private TrackingTags() {}

  /** MLflow's tag linking a child run to its parent (the UI nests runs by it). */
  public static final String PARENT_RUN_ID = "mlflow.parentRunId";
  /** MLflow's tag holding the run name. */
  public static final String RUN_NAME = "mlflow.runName";
  /** The trial's stable id ({@code TrialSpec.id()}), on each child run. */
  public static final String TRIAL_ID = "gradsweep.trial_id";
  /** The sweep name, on each child run. */
  public static final String SWEEP = "gradsweep.sweep";
  /** Number of non-finite (NaN, +-Inf) metric values the run was given; they are not stored as metric points. */
  public static final String NONFINITE_COUNT = "gradsweep.nonfinite_metrics";
  /** The last non-finite metric value, as {@code <key> step=<step> value=<NaN|Infinity|-Infinity>}. */
  public static final String NONFINITE_LAST = "gradsweep.nonfinite_last";
  /** Client-made token set on run creation, so that a retried create can find the run it may already have made. */
  public static final String CREATE_TOKEN = "gradsweep.create_token";
  /** Why sending to the tracking backend failed, set (best effort) when a run is ended after such a failure. */
  public static final String TRACKING_ERROR = "gradsweep.tracking_error";
  /**
   * Set to {@code true} on a trial run that was still RUNNING when its sweep ended: its task was cut off (executor
   * lost, sweep interrupted); Spark's retry of the same trial, if any, logged to a run of its own.
   */
  public static final String SUPERSEDED = "gradsweep.superseded";

  /** Value of {@link #NONFINITE_LAST}. */
  static String describeNonFinite(String key, long step, double value) {
    return key + " step=" + step + " value=" + value;
  }
}
