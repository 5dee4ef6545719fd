package io.gradsweep.spec;

import io.gradsweep.util.Canon;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything one trial needs, and nothing else: a trial can be shipped to any executor and run there.
 *
 * <p>Values are validated by the spec parser before a TrialSpec is built; the compact constructor only
 * re-checks the invariants the runner relies on.
 *
 * @param experiment MLflow experiment name
 * @param sweepName name of the sweep (the spec file's {@code name})
 * @param task task name, e.g. {@code adding}
 * @param evalSize number of held-out evaluation sequences
 * @param evalSeed seed of the held-out evaluation set (shared by all trials of a task and length)
 * @param seqLen sequence length T
 * @param cell cell type: {@code rnn} or {@code lstm}
 * @param activation activation of a vanilla rnn ({@code tanh}, {@code relu}, {@code sigmoid}, {@code identity}); null for gated cells
 * @param clip gradient clipping
 * @param tbptt truncation window k (0 = full backpropagation through time)
 * @param optimizer {@code sgd}, {@code rmsprop} or {@code adam}
 * @param lr learning rate
 * @param hidden hidden units per recurrent layer
 * @param layers number of stacked recurrent layers
 * @param init initialisation scheme, {@code default}
 * @param seed seed of weights and training data
 * @param batchSize minibatch size
 * @param maxSteps training steps budget
 * @param evalEvery evaluate every this many steps
 * @param solveThreshold eval loss below which the trial counts as solved
 * @param profileEvery record the per-time-step gradient profile every this many steps (and at step 1); a
 *     measurement setting: it is logged as a param but is not part of {@link #id()}
 * @param logPoints at most this many points per step series (loss, gradient norms, clip share) per trial: the steps
 *     are aggregated over windows of {@code ceil(max_steps / log_points)} steps (mean, and max for norms); a
 *     measurement setting like {@code profileEvery}
 * @param taskOptions the task-specific keys of the spec's {@code task} mapping, every option of the task with its
 *     value (the default when not written), as text; empty for a task without options (the adding problem). Logged
 *     as params {@code task.<key>} after {@code task}, and part of {@link #id()}
 * @param stop the early-stopping rules ({@code training.stop}); {@link StopRules#NONE} (also for null) when off.
 *     When on, logged as param {@code stop} ({@link StopRules#canonical()}) and part of {@link #id()}: a trial
 *     that may stop early is another experiment than one that runs to its budget. When off, the param is absent,
 *     so the ids of specs without {@code training.stop} are unchanged.
 * @param dataParallel {@code training.data_parallel}, or null: the trial is one Spark task. Logged as param
 *     {@code data_parallel} and part of {@link #id()} when set (trials without it keep their ids)
 */
public record TrialSpec(
    String experiment,
    String sweepName,
    String task,
    int evalSize,
    long evalSeed,
    int seqLen,
    String cell,
    String activation,
    ClipSpec clip,
    int tbptt,
    String optimizer,
    double lr,
    int hidden,
    int layers,
    String init,
    long seed,
    int batchSize,
    int maxSteps,
    int evalEvery,
    double solveThreshold,
    int profileEvery,
    int logPoints,
    Map<String, String> taskOptions,
    StopRules stop,
    DataParallel dataParallel)
    implements Serializable {

  /** Default of {@code training.log_points}. */
  public static final int DEFAULT_LOG_POINTS = 100;
  /** Largest allowed {@code training.log_points}. */
  public static final int MAX_LOG_POINTS = 100_000;

  /** A trial without early-stopping rules, trained as one task. */
  public TrialSpec(String experiment, String sweepName, String task, int evalSize, long evalSeed, int seqLen,
      String cell, String activation, ClipSpec clip, int tbptt, String optimizer, double lr, int hidden, int layers,
      String init, long seed, int batchSize, int maxSteps, int evalEvery, double solveThreshold, int profileEvery,
      int logPoints, Map<String, String> taskOptions) {
    this(experiment, sweepName, task, evalSize, evalSeed, seqLen, cell, activation, clip, tbptt, optimizer, lr,
        hidden, layers, init, seed, batchSize, maxSteps, evalEvery, solveThreshold, profileEvery, logPoints,
        taskOptions, StopRules.NONE, null);
  }

  /** A trial with early-stopping rules, trained as one task. */
  public TrialSpec(String experiment, String sweepName, String task, int evalSize, long evalSeed, int seqLen,
      String cell, String activation, ClipSpec clip, int tbptt, String optimizer, double lr, int hidden, int layers,
      String init, long seed, int batchSize, int maxSteps, int evalEvery, double solveThreshold, int profileEvery,
      int logPoints, Map<String, String> taskOptions, StopRules stop) {
    this(experiment, sweepName, task, evalSize, evalSeed, seqLen, cell, activation, clip, tbptt, optimizer, lr,
        hidden, layers, init, seed, batchSize, maxSteps, evalEvery, solveThreshold, profileEvery, logPoints,
        taskOptions, stop, null);
  }

  /** A trial without early-stopping rules, data-parallel when {@code dataParallel} is not null. */
  public TrialSpec(String experiment, String sweepName, String task, int evalSize, long evalSeed, int seqLen,
      String cell, String activation, ClipSpec clip, int tbptt, String optimizer, double lr, int hidden, int layers,
      String init, long seed, int batchSize, int maxSteps, int evalEvery, double solveThreshold, int profileEvery,
      int logPoints, Map<String, String> taskOptions, DataParallel dataParallel) {
    this(experiment, sweepName, task, evalSize, evalSeed, seqLen, cell, activation, clip, tbptt, optimizer, lr,
        hidden, layers, init, seed, batchSize, maxSteps, evalEvery, solveThreshold, profileEvery, logPoints,
        taskOptions, StopRules.NONE, dataParallel);
  }

  /** A trial of a task without options. */
  public TrialSpec(String experiment, String sweepName, String task, int evalSize, long evalSeed, int seqLen,
      String cell, String activation, ClipSpec clip, int tbptt, String optimizer, double lr, int hidden, int layers,
      String init, long seed, int batchSize, int maxSteps, int evalEvery, double solveThreshold, int profileEvery,
      int logPoints) {
    this(experiment, sweepName, task, evalSize, evalSeed, seqLen, cell, activation, clip, tbptt, optimizer, lr,
        hidden, layers, init, seed, batchSize, maxSteps, evalEvery, solveThreshold, profileEvery, logPoints, Map.of());
  }

  /** A trial with the default logging budget ({@value #DEFAULT_LOG_POINTS} points per step series). */
  public TrialSpec(String experiment, String sweepName, String task, int evalSize, long evalSeed, int seqLen,
      String cell, String activation, ClipSpec clip, int tbptt, String optimizer, double lr, int hidden, int layers,
      String init, long seed, int batchSize, int maxSteps, int evalEvery, double solveThreshold, int profileEvery) {
    this(experiment, sweepName, task, evalSize, evalSeed, seqLen, cell, activation, clip, tbptt, optimizer, lr,
        hidden, layers, init, seed, batchSize, maxSteps, evalEvery, solveThreshold, profileEvery, DEFAULT_LOG_POINTS);
  }

  /** A trial that records its gradient profile at every evaluation ({@code profileEvery = evalEvery}). */
  public TrialSpec(String experiment, String sweepName, String task, int evalSize, long evalSeed, int seqLen,
      String cell, String activation, ClipSpec clip, int tbptt, String optimizer, double lr, int hidden, int layers,
      String init, long seed, int batchSize, int maxSteps, int evalEvery, double solveThreshold) {
    this(experiment, sweepName, task, evalSize, evalSeed, seqLen, cell, activation, clip, tbptt, optimizer, lr,
        hidden, layers, init, seed, batchSize, maxSteps, evalEvery, solveThreshold, evalEvery, DEFAULT_LOG_POINTS);
  }

  public TrialSpec {
    require(seqLen >= 2, "seq_len", seqLen);
    require(hidden >= 1, "hidden", hidden);
    require(layers >= 1, "layers", layers);
    require(batchSize >= 1, "batch_size", batchSize);
    require(maxSteps >= 1, "max_steps", maxSteps);
    require(evalEvery >= 1, "eval_every", evalEvery);
    require(profileEvery >= 1, "profile_every", profileEvery);
    require(logPoints >= 1 && logPoints <= MAX_LOG_POINTS, "log_points", logPoints);
    require(evalSize >= 1, "eval_size", evalSize);
    require(tbptt >= 0 && tbptt <= seqLen, "tbptt", tbptt);
    require(lr > 0 && Double.isFinite(lr), "lr", lr);
    if (clip == null) {
      clip = ClipSpec.NONE;
    }
    if (stop == null) {
      stop = StopRules.NONE;
    }
    taskOptions = taskOptions == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(
        taskOptions));
    if (dataParallel != null) {
      // the parser checks these with the key paths; the runner relies on them
      require(batchSize == dataParallel.globalBatch(), "batch_size (data_parallel: workers * batch_per_worker = "
          + dataParallel.globalBatch() + ")", batchSize);
      require(!clip.enabled(), "clip (not with data_parallel)", clip.canonical());
      require(tbptt == 0, "tbptt (not with data_parallel)", tbptt);
    }
  }

  /** The same trial trained as one task (no {@code data_parallel}), with the same minibatch size. */
  public TrialSpec asOneTask() {
    return new TrialSpec(experiment, sweepName, task, evalSize, evalSeed, seqLen, cell, activation, clip, tbptt,
        optimizer, lr, hidden, layers, init, seed, batchSize, maxSteps, evalEvery, solveThreshold, profileEvery,
        logPoints, taskOptions, stop, null);
  }

  private static void require(boolean ok, String field, Object value) {
    if (!ok) {
      throw new IllegalArgumentException("invalid trial: " + field + "=" + value);
    }
  }

  /**
   * The parameters that define the trial, in a fixed order, as text. This is what is logged as MLflow params
   * and hashed into {@link #id()}.
   */
  public Map<String, String> params() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("task", task);
    taskOptions.forEach((k, v) -> p.put("task." + k, v));
    p.put("seq_len", Integer.toString(seqLen));
    p.put("cell", cell);
    p.put("activation", activation == null ? "-" : activation);
    p.put("clip", clip.canonical());
    p.put("tbptt", tbptt == 0 ? "none" : Integer.toString(tbptt));
    p.put("optimizer", optimizer);
    p.put("lr", Canon.num(lr));
    p.put("hidden", Integer.toString(hidden));
    p.put("layers", Integer.toString(layers));
    p.put("init", init);
    p.put("seed", Long.toString(seed));
    p.put("batch_size", Integer.toString(batchSize));
    p.put("max_steps", Integer.toString(maxSteps));
    p.put("eval_every", Integer.toString(evalEvery));
    p.put("eval_size", Integer.toString(evalSize));
    p.put("eval_seed", Long.toString(evalSeed));
    p.put("solve_threshold", Canon.num(solveThreshold));
    p.put("profile_every", Integer.toString(profileEvery));
    p.put("log_points", Integer.toString(logPoints));
    if (stop.enabled()) { // only when given: the ids of trials without rules stay what they were
      p.put("stop", stop.canonical());
    }
    if (dataParallel != null) {
      p.put("data_parallel", dataParallel.canonical());
    }
    return p;
  }

  /** Params that say what is measured, not what is trained: logged, but not part of the id. */
  private static final java.util.Set<String> MEASUREMENT_PARAMS = java.util.Set.of("profile_every", "log_points");

  /**
   * Steps per logging window: {@code ceil(maxSteps / logPoints)}, at least 1. Step series are logged once per
   * window, at the window's last step.
   */
  public int logWindow() {
    return Math.max(1, (maxSteps + logPoints - 1) / logPoints);
  }

  /**
   * The canonical string hashed into the id: {@code key=value;key=value...} from {@link #params()}, without the
   * measurement settings (profile cadence, logging budget), which do not change what is trained.
   */
  public String canonical() {
    StringBuilder sb = new StringBuilder();
    params().forEach((k, v) -> {
      if (!MEASUREMENT_PARAMS.contains(k)) {
        sb.append(k).append('=').append(v).append(';');
      }
    });
    return sb.toString();
  }

  /**
   * Stable trial id: the first 16 hex digits of SHA-256 over {@link #canonical()}. The same parameters give the
   * same id on any machine and in any run; the experiment and sweep names are not part of it.
   */
  public String id() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] h = md.digest(canonical().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A readable run name, e.g. {@code rnn-tanh T100 h64 adam 0.001 clip=global_norm:1 s1}. */
  public String displayName() {
    StringBuilder sb = new StringBuilder(cell);
    if (activation != null) {
      sb.append('-').append(activation);
    }
    sb.append(" T").append(seqLen).append(" h").append(hidden);
    if (layers > 1) {
      sb.append('x').append(layers);
    }
    sb.append(' ').append(optimizer).append(' ').append(Canon.num(lr));
    if (clip.enabled()) {
      sb.append(" clip=").append(clip.canonical());
    }
    if (tbptt > 0) {
      sb.append(" k=").append(tbptt);
    }
    if (!"default".equals(init)) {
      sb.append(" init=").append(init);
    }
    sb.append(" s").append(seed);
    if (dataParallel != null) {
      sb.append(" dp=").append(dataParallel.workers()).append('x').append(dataParallel.batchPerWorker())
          .append("/").append(dataParallel.averagingFrequency());
    }
    return sb.toString();
  }
}
