package io.gradsweep.tracking;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one place where gradsweep spells the metric keys, key prefixes, tag keys and artifact names it writes to (and
 * reads back from) a tracking backend. Java code refers to these constants; the notebooks read the same names from
 * {@code notebooks/gradsweep_names.json}, generated from this class by {@link #asMap()} (a unit test fails, naming
 * the command that regenerates the file, when it is out of date).
 *
 * <p>Every constant is a {@code public static final String} of one of the nested classes; the JSON file has one
 * object per nested class ({@code metrics}, {@code prefixes}, {@code suffixes}, {@code tags}, {@code artifacts}) mapping each
 * constant's Java name to its value.
 */
public final class Names {
  private Names() {}

  /** Prefixes of families of metric keys ({@code <prefix><something>}). */
  public static final class Prefix {
    private Prefix() {}

    /** Summary metrics logged once at the end of a trial. */
    public static final String FINAL = "final/";
    /** Gradient norms per step: global, per layer, per parameter block. */
    public static final String GRAD = "grad/";
    /** Per-time-step gradient profile buckets and their statistics. */
    public static final String PROFILE = "profile/";
    /** Spectral radius and largest singular value of recurrent weight blocks. */
    public static final String WEIGHTS = "weights/";
    /** Activation health of each layer. */
    public static final String HEALTH = "health/";
    /** Training metrics per step. */
    public static final String TRAIN = "train/";
    /** Held-out evaluation metrics. */
    public static final String EVAL = "eval/";
    /** Data-parallel training ({@code training.data_parallel}): the averaging rounds. */
    public static final String DP = "dp/";
  }

  /** Suffixes appended to a metric key to name a related series. */
  public static final class Suffix {
    private Suffix() {}

    /**
     * The window maximum of a gradient-norm step series ({@code grad/global_norm_max}); the key without it holds
     * the window mean. See {@code training.log_points}.
     */
    public static final String WINDOW_MAX = "_max";
  }

  /**
   * Metric keys (step metrics and the {@link Prefix#FINAL} summary). Step metrics ({@code train/}, {@code grad/}) are
   * logged once per logging window ({@code ceil(max_steps / log_points)} steps) at its last step: the window mean,
   * and for gradient norms also the window maximum ({@link Suffix#WINDOW_MAX}).
   */
  public static final class Metric {
    private Metric() {}

    /** Mean training loss of the logging window. */
    public static final String TRAIN_LOSS = Prefix.TRAIN + "loss";
    /** 0 at the step whose training loss was not finite (the trial diverged): logged at that exact step. */
    public static final String TRAIN_LOSS_FINITE = Prefix.TRAIN + "loss_finite";
    public static final String EVAL_LOSS = Prefix.EVAL + "loss";
    /** The task's trivial-baseline loss on the held-out set, logged at step 0. */
    public static final String EVAL_BASELINE_LOSS = Prefix.EVAL + "baseline_loss";
    /** Classification tasks ({@code temporal_order}): share of held-out sequences classified right. */
    public static final String EVAL_ACCURACY = Prefix.EVAL + "accuracy";
    /** The copy task: cross-entropy over the recall steps only ({@link #EVAL_LOSS} averages over all steps). */
    public static final String EVAL_RECALL_LOSS = Prefix.EVAL + "recall_loss";
    /** The copy task: share of the recalled symbols that are right. */
    public static final String EVAL_RECALL_ACCURACY = Prefix.EVAL + "recall_accuracy";
    /**
     * The trivial baseline's value of the task's solve metric (tag {@link Tag#SOLVE_METRIC}) on the held-out set,
     * logged at step 0 (for the adding problem the same as {@link #EVAL_BASELINE_LOSS}).
     */
    public static final String EVAL_BASELINE_SOLVE_METRIC = Prefix.EVAL + "baseline_solve_metric";
    /** Mean global gradient norm (before clipping) of the window; the maximum is {@link #GRAD_GLOBAL_NORM_MAX}. */
    public static final String GRAD_GLOBAL_NORM = Prefix.GRAD + "global_norm";
    /** Largest global gradient norm (before clipping) of the window. */
    public static final String GRAD_GLOBAL_NORM_MAX = GRAD_GLOBAL_NORM + Suffix.WINDOW_MAX;
    public static final String GRAD_GLOBAL_NORM_CLIPPED = Prefix.GRAD + "global_norm_clipped";
    /** Share of the window's steps whose gradient clipping changed (1 or 0 with a one-step window). */
    public static final String GRAD_CLIPPED = Prefix.GRAD + "clipped";

    public static final String FINAL_STEPS = Prefix.FINAL + "steps";
    public static final String FINAL_EVAL_LOSS = Prefix.FINAL + "eval_loss";
    public static final String FINAL_BASELINE_LOSS = Prefix.FINAL + "baseline_loss";
    /** The last value of the task's solve metric (tag {@link Tag#SOLVE_METRIC}); for the adding problem the eval loss. */
    public static final String FINAL_SOLVE_METRIC = Prefix.FINAL + "solve_metric";
    /** The trivial baseline's value of the task's solve metric on the held-out set. */
    public static final String FINAL_BASELINE_SOLVE_METRIC = Prefix.FINAL + "baseline_solve_metric";
    /** Last {@link #EVAL_ACCURACY}. */
    public static final String FINAL_EVAL_ACCURACY = Prefix.FINAL + "eval_accuracy";
    /** Last {@link #EVAL_RECALL_LOSS}. */
    public static final String FINAL_EVAL_RECALL_LOSS = Prefix.FINAL + "eval_recall_loss";
    /** Last {@link #EVAL_RECALL_ACCURACY}. */
    public static final String FINAL_EVAL_RECALL_ACCURACY = Prefix.FINAL + "eval_recall_accuracy";
    public static final String FINAL_EVAL_LOSS_OVER_BASELINE = Prefix.FINAL + "eval_loss_over_baseline";
    public static final String FINAL_STEPS_TO_SOLVE = Prefix.FINAL + "steps_to_solve";
    public static final String FINAL_DIVERGED_AT_STEP = Prefix.FINAL + "diverged_at_step";
    /**
     * The step at which an early-stopping rule ({@code training.stop}) ended the trial (status VANISHED or
     * PLATEAU); -1 otherwise. Logged only by trials with a stop rule.
     */
    public static final String FINAL_STOPPED_AT_STEP = Prefix.FINAL + "stopped_at_step";
    public static final String FINAL_MAX_GRAD_NORM = Prefix.FINAL + "max_grad_norm";
    public static final String FINAL_CLIP_RATE = Prefix.FINAL + "clip_rate";
    public static final String FINAL_WALL_SECONDS = Prefix.FINAL + "wall_seconds";
    public static final String FINAL_STATS_SECONDS = Prefix.FINAL + "stats_seconds";
    public static final String FINAL_LOGGING_SECONDS = Prefix.FINAL + "logging_seconds";
    public static final String FINAL_PROFILE_SECONDS = Prefix.FINAL + "profile_seconds";
    public static final String FINAL_DECAY_RATE = Prefix.FINAL + "decay_rate";
    public static final String FINAL_HORIZON = Prefix.FINAL + "horizon";
    /** The ASHA rung a trial completed, logged at the rung's step (0 = the first rung). */
    public static final String ASHA_RUNG = "asha/rung";
    /**
     * Wall seconds of one averaging round of a data-parallel trial (the workers' minibatches, then the averaging),
     * a step series like {@code train/loss}.
     */
    public static final String DP_ROUND_SECONDS = Prefix.DP + "round_seconds";
    /**
     * The part of a round that is not the slowest worker's training: broadcasting the parameters, starting the
     * tasks, collecting and averaging the results.
     */
    public static final String DP_AVERAGING_SECONDS = Prefix.DP + "averaging_seconds";
    /** Averaging rounds of a data-parallel trial. */
    public static final String FINAL_DP_ROUNDS = Prefix.FINAL + "dp_rounds";
    /** The sum of {@link #DP_AVERAGING_SECONDS} over the trial's rounds. */
    public static final String FINAL_DP_AVERAGING_SECONDS = Prefix.FINAL + "dp_averaging_seconds";
  }

  /** Tag keys gradsweep writes on runs. */
  public static final class Tag {
    private Tag() {}

    /** MLflow's tag linking a child run to its parent (the UI nests runs by it). */
    public static final String PARENT_RUN_ID = "mlflow.parentRunId";
    /** MLflow's tag holding the run name. */
    public static final String RUN_NAME = "mlflow.runName";
    /** The trial's stable id ({@code TrialSpec.id()}), on each child run. */
    public static final String TRIAL_ID = "gradsweep.trial_id";
    /** The sweep name, on the parent run and each child run. */
    public static final String SWEEP = "gradsweep.sweep";
    /** Number of trials of the sweep, on the parent run. */
    public static final String TRIALS = "gradsweep.trials";
    /** The Spark master the sweep ran on, on the parent run. */
    public static final String SPARK_MASTER = "gradsweep.spark.master";
    /** The Spark application id, on the parent run. */
    public static final String SPARK_APP_ID = "gradsweep.spark.app_id";
    /** How many times the sweep was resumed, on the parent run. */
    public static final String RESUMED = "gradsweep.resumed";
    /** Params whose value changed when the sweep was resumed, on the parent run. */
    public static final String RESUME_CHANGED_PARAMS = "gradsweep.resume.changed_params";
    /**
     * The metric that decides whether the trial solved its task, e.g. {@code eval/loss} (adding: below
     * {@code solve_threshold}), {@code eval/accuracy} (temporal order), {@code eval/recall_accuracy} (copy: at or
     * above {@code solve_threshold}), on each child run.
     */
    public static final String SOLVE_METRIC = "gradsweep.solve_metric";
    /**
     * The trial's status (SOLVED, NOT_SOLVED, DIVERGED, VANISHED, PLATEAU, FAILED: {@code train.TrialStatus}), on
     * each child run.
     */
    public static final String STATUS = "gradsweep.status";
    /** Why an early-stopping rule ended the trial (VANISHED or PLATEAU), in words with the values it saw. */
    public static final String STOP_REASON = "gradsweep.stop_reason";
    /** The error of a FAILED trial, on its child run. */
    public static final String ERROR = "gradsweep.error";
    /** Which executor ran the trial. */
    public static final String EXECUTOR = "gradsweep.executor";
    /** OMP_NUM_THREADS of the executor that ran the trial. */
    public static final String OMP_NUM_THREADS = "gradsweep.omp_num_threads";
    /** Threads of the trial's network (the CPUs of its Spark task, spark.task.cpus; 1 by default). */
    public static final String ENGINE_THREADS = "gradsweep.engine_threads";
    /**
     * What trained a data-parallel trial ({@code training.data_parallel}): {@code dl4j-spark-parameter-averaging};
     * absent on a trial trained as one task by the engine.
     */
    public static final String TRAINER = "gradsweep.trainer";
    /** Why the trial's profile charts could not be drawn (the trial itself went on). */
    public static final String CHART_ERROR = "gradsweep.chart_error";
    /** Which float kernels the engine used. */
    public static final String FLOAT_KERNELS = "gradsweep.float_kernels";
    /** Which library computed the engine's float matrix products ({@code onednn} or {@code openblas}). */
    public static final String FLOAT_PRODUCTS = "gradsweep.float_products";
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
    /**
     * On a trial run ended KILLED because another run of the same trial under the same parent was FINISHED (a retried
     * attempt and the attempt it replaced both ended): the run id of the FINISHED run that stands for the trial
     * ({@code tracking.DuplicateRuns} decides which).
     */
    public static final String DUPLICATE_OF = "gradsweep.duplicate_of";
    /**
     * The training step of the trial's latest checkpoint (artifact {@link Artifact#CHECKPOINT}), on its child run; set
     * after the checkpoint is uploaded (the run's records are sent in order), so a run with this tag has it.
     */
    public static final String CHECKPOINT_STEP = "gradsweep.checkpoint_step";
    /** The ASHA rungs of a sweep, their budgets in steps, e.g. {@code 100,300,900}, on the parent run. */
    public static final String ASHA_RUNGS = "gradsweep.asha.rungs";
    /** The metric ASHA ranks trials by in each rung, e.g. {@code eval_loss} (minimized), on the parent run. */
    public static final String ASHA_METRIC = "gradsweep.asha.metric";
    /** The highest ASHA rung a trial completed (0 = the first rung), on its child run. */
    public static final String ASHA_RUNG = "gradsweep.asha.rung";

    /** Value of {@link #NONFINITE_LAST}. */
    public static String describeNonFinite(String key, long step, double value) {
      return key + " step=" + step + " value=" + value;
    }
  }

  /** Artifact paths gradsweep writes. */
  public static final class Artifact {
    private Artifact() {}

    /** The sweep spec as the sweep ran it, on the parent run. */
    public static final String SWEEP_YAML = "sweep.yaml";
    /** The summary table of a finished sweep, on the parent run. */
    public static final String SUMMARY = "summary.txt";
    /** The kept gradient profiles of a trial (columns train_step, series, t0..), on its child run. */
    public static final String GRADIENT_PROFILE_CSV = "gradient_profile.csv";
    /** The top layer's gradient profile at initialisation and at the last measurement, on a trial's run. */
    public static final String PROFILE_LINES_PNG = "profile_lines.png";
    /** Start of the per-layer profile heatmaps of a trial: {@code profile_heatmap_<layer>.png}. */
    public static final String PROFILE_HEATMAP_PREFIX = "profile_heatmap_";
    /**
     * A trial's latest checkpoint (parameters, optimizer state, step, data stream, logging window), on its child run;
     * read back to resume the trial (an ASHA promotion, {@code run --resume}).
     */
    public static final String CHECKPOINT = "checkpoint/trial.ckpt";
  }

  /**
   * Every name, by group ({@code metrics}, {@code prefixes}, {@code suffixes}, {@code tags}, {@code artifacts}) and, within a group,
   * by Java constant name (sorted): what {@code notebooks/gradsweep_names.json} holds.
   */
  public static Map<String, Map<String, String>> asMap() {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    out.put("metrics", constants(Metric.class));
    out.put("prefixes", constants(Prefix.class));
    out.put("suffixes", constants(Suffix.class));
    out.put("tags", constants(Tag.class));
    out.put("artifacts", constants(Artifact.class));
    return out;
  }

  /** The eval metric key of a task metric's short name ({@code accuracy} -> {@code eval/accuracy}). */
  public static String evalMetric(String shortName) {
    return Prefix.EVAL + shortName;
  }

  /** The final metric key of a task metric's short name ({@code accuracy} -> {@code final/eval_accuracy}). */
  public static String finalEvalMetric(String shortName) {
    return Prefix.FINAL + "eval_" + shortName;
  }

  private static Map<String, String> constants(Class<?> holder) {
    Map<String, String> out = new TreeMap<>();
    for (Field f : holder.getDeclaredFields()) {
      int m = f.getModifiers();
      if (Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == String.class) {
        try {
          out.put(f.getName(), (String) f.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return out;
  }
}
