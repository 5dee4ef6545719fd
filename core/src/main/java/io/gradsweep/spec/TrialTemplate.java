package io.gradsweep.spec;

import java.util.Map;

/**
 * The settings every trial of a sweep shares (everything but the swept {@link Axis axes}); a search strategy turns
 * it into trials with {@link #trial(Map)}.
 *
 * @param experiment MLflow experiment name
 * @param sweepName the sweep's {@code name}
 * @param task task name, e.g. {@code adding}
 * @param evalSize {@code task.eval_size}
 * @param evalSeed {@code task.eval_seed}
 * @param batchSize {@code training.batch_size}
 * @param maxSteps {@code training.max_steps}
 * @param evalEvery {@code training.eval_every}
 * @param solveThreshold {@code training.solve_threshold}
 * @param profileEvery {@code training.profile_every}
 * @param logPoints {@code training.log_points}
 * @param taskOptions the task-specific keys of {@code task}, every option of the task (see
 *     {@link TrialSpec#taskOptions()})
 * @param stop {@code training.stop}, {@link StopRules#NONE} when absent
 * @param dataParallel {@code training.data_parallel}, or null (a variant may carry its own: {@link #trial(GridBlock,
 *     Map)})
 */
public record TrialTemplate(
    String experiment,
    String sweepName,
    String task,
    int evalSize,
    long evalSeed,
    int batchSize,
    int maxSteps,
    int evalEvery,
    double solveThreshold,
    int profileEvery,
    int logPoints,
    Map<String, String> taskOptions,
    StopRules stop,
    DataParallel dataParallel) {

  public TrialTemplate {
    taskOptions = taskOptions == null ? Map.of() : Map.copyOf(taskOptions);
    stop = stop == null ? StopRules.NONE : stop;
  }

  /** Settings without early-stopping rules, of trials trained as one task each. */
  public TrialTemplate(String experiment, String sweepName, String task, int evalSize, long evalSeed, int batchSize,
      int maxSteps, int evalEvery, double solveThreshold, int profileEvery, int logPoints,
      Map<String, String> taskOptions) {
    this(experiment, sweepName, task, evalSize, evalSeed, batchSize, maxSteps, evalEvery, solveThreshold, profileEvery,
        logPoints, taskOptions, StopRules.NONE, null);
  }

  /** Settings with early-stopping rules, of trials trained as one task each. */
  public TrialTemplate(String experiment, String sweepName, String task, int evalSize, long evalSeed, int batchSize,
      int maxSteps, int evalEvery, double solveThreshold, int profileEvery, int logPoints,
      Map<String, String> taskOptions, StopRules stop) {
    this(experiment, sweepName, task, evalSize, evalSeed, batchSize, maxSteps, evalEvery, solveThreshold, profileEvery,
        logPoints, taskOptions, stop, null);
  }

  /** Settings without early-stopping rules, data-parallel when {@code dataParallel} is not null. */
  public TrialTemplate(String experiment, String sweepName, String task, int evalSize, long evalSeed, int batchSize,
      int maxSteps, int evalEvery, double solveThreshold, int profileEvery, int logPoints,
      Map<String, String> taskOptions, DataParallel dataParallel) {
    this(experiment, sweepName, task, evalSize, evalSeed, batchSize, maxSteps, evalEvery, solveThreshold, profileEvery,
        logPoints, taskOptions, StopRules.NONE, dataParallel);
  }

  /** Settings of a task without options. */
  public TrialTemplate(String experiment, String sweepName, String task, int evalSize, long evalSeed, int batchSize,
      int maxSteps, int evalEvery, double solveThreshold, int profileEvery, int logPoints) {
    this(experiment, sweepName, task, evalSize, evalSeed, batchSize, maxSteps, evalEvery, solveThreshold, profileEvery,
        logPoints, Map.of());
  }

  /** Settings with the default logging budget. */
  public TrialTemplate(String experiment, String sweepName, String task, int evalSize, long evalSeed, int batchSize,
      int maxSteps, int evalEvery, double solveThreshold, int profileEvery) {
    this(experiment, sweepName, task, evalSize, evalSeed, batchSize, maxSteps, evalEvery, solveThreshold, profileEvery,
        TrialSpec.DEFAULT_LOG_POINTS);
  }

  /** Settings whose gradient profile is recorded at every evaluation. */
  public TrialTemplate(String experiment, String sweepName, String task, int evalSize, long evalSeed, int batchSize,
      int maxSteps, int evalEvery, double solveThreshold) {
    this(experiment, sweepName, task, evalSize, evalSeed, batchSize, maxSteps, evalEvery, solveThreshold, evalEvery,
        TrialSpec.DEFAULT_LOG_POINTS);
  }

  /**
   * The trial at one point of the search space.
   *
   * @param point one value per {@link Axis}, of the Java type documented there; the activation is dropped (null)
   *     for cells other than {@link Axis#ACTIVATION_CELLS}
   * @throws IllegalArgumentException if an axis is missing or a value has the wrong type
   */
  public TrialSpec trial(Map<Axis, ?> point) {
    String cell = get(point, Axis.CELL, String.class);
    String activation = Axis.ACTIVATION_CELLS.contains(cell) ? get(point, Axis.ACTIVATION, String.class) : null;
    return new TrialSpec(experiment, sweepName, task, evalSize, evalSeed,
        get(point, Axis.SEQ_LEN, Integer.class),
        cell,
        activation,
        get(point, Axis.CLIP, ClipSpec.class),
        get(point, Axis.TBPTT, Integer.class),
        get(point, Axis.OPTIMIZER, String.class),
        get(point, Axis.LR, Double.class),
        get(point, Axis.HIDDEN, Integer.class),
        get(point, Axis.LAYERS, Integer.class),
        get(point, Axis.INIT, String.class),
        get(point, Axis.SEEDS, Long.class),
        batchSize, maxSteps, evalEvery, solveThreshold, profileEvery, logPoints, taskOptions, stop, dataParallel);
  }

  /**
   * The trial at one point of a block: data-parallel with the block's own {@code data_parallel} when it has one
   * (a variant's), else as {@link #trial(Map)}.
   */
  public TrialSpec trial(GridBlock block, Map<Axis, ?> point) {
    TrialSpec t = trial(point);
    if (block.dataParallel().isEmpty()) {
      return t;
    }
    DataParallel dp = block.dataParallel().get();
    return new TrialSpec(t.experiment(), t.sweepName(), t.task(), t.evalSize(), t.evalSeed(), t.seqLen(), t.cell(),
        t.activation(), t.clip(), t.tbptt(), t.optimizer(), t.lr(), t.hidden(), t.layers(), t.init(), t.seed(),
        t.batchSize(), t.maxSteps(), t.evalEvery(), t.solveThreshold(), t.profileEvery(), t.logPoints(),
        t.taskOptions(), t.stop(), dp);
  }

  private static <T> T get(Map<Axis, ?> point, Axis axis, Class<T> type) {
    Object v = point.get(axis);
    if (!type.isInstance(v)) {
      throw new IllegalArgumentException("axis " + axis.key() + ": expected a " + type.getSimpleName() + ", got "
          + (v == null ? "nothing" : v.getClass().getSimpleName() + " " + v));
    }
    return type.cast(v);
  }
}
