package io.gradsweep.spec;

import io.gradsweep.spec.GridBlock.AxisValues;
import io.gradsweep.task.SequenceTask;
import io.gradsweep.task.SequenceTasks;
import io.gradsweep.task.SolveRule;
import io.gradsweep.task.TaskOption;
import io.gradsweep.util.Canon;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Reads a sweep spec (YAML, documented in {@code conf/README.md}) strictly: everything is checked before anything
 * runs, and every problem is a {@link SpecException} naming the key path, the value as written and what is
 * allowed, e.g. {@code grid.hidden[1]: expected an integer 1..4096, got "abc" (string) (sweep.yaml:9:18)}. The
 * first problem found stops the parse.
 *
 * <p>Checked: the text (UTF-8, no NUL or control characters, at most 1 MiB, one YAML document, syntax, no
 * duplicate keys, at most 20 aliases of collections); the keys (unknown keys are listed with the allowed ones and
 * the closest suggested); each value's type and range (strings are not numbers, {@code 32.0} is not an integer,
 * {@code yes} is a boolean, {@code .nan} and {@code .inf} are not finite); axis lists (non-empty, no duplicates);
 * combinations (activation only for rnn cells, tbptt window within every seq_len it meets, clip mode and threshold
 * together). The words allowed for cells, optimizers and tasks come from their plugin registries; the search
 * strategy words are given by the caller.
 *
 * <p>An axis may also be a {@link Distribution} ({@code lr: {log_uniform: [1e-4, 1e-1]}}; which axes take which
 * words: {@link Axis#distributions()}) and a clip threshold too ({@link ClipRange}); they are read as values,
 * with their bounds checked like values of the axis, and so are {@code search.num_samples} and
 * {@code search.seed}. Whether the strategy accepts them (grid does not, random and sobol need num_samples) is
 * the strategy's check.
 *
 * <p>The parser does not expand the grid into trials: that is the search strategy's business
 * (the search package's {@code Sweeps} parses and expands in one call, checking the expansion: at most
 * {@code search.max_trials} trials, no trial produced twice). This package never depends on the search package.
 *
 * <p>Stateless and thread-safe.
 */
public final class SweepSpecParser {
  /** Largest allowed {@code search.max_trials}. */
  public static final int MAX_TRIALS_LIMIT = 1_000_000;

  /** {@code search.strategy} when the spec does not give one. */
  public static final String DEFAULT_STRATEGY = "grid";

  static final List<String> TOP_KEYS =
      List.of("name", "experiment", "task", "training", "search", "grid", "variants");
  static final List<String> TASK_KEYS = List.of("name", "eval_size", "eval_seed");
  static final List<String> TRAINING_KEYS = List.of("batch_size", "max_steps", "eval_every", "solve_threshold",
      "profile_every", "log_points", "stop", "checkpoint_every",
      "data_parallel");
  /** The keys of one entry of {@code variants}: the axes and {@code data_parallel}. */
  static final List<String> VARIANT_KEYS = java.util.stream.Stream.concat(Axis.keys().stream(),
      java.util.stream.Stream.of("data_parallel")).toList();
  static final List<String> DATA_PARALLEL_KEYS = List.of("workers", "averaging_frequency", "batch_per_worker");
  static final List<String> STOP_KEYS = List.of("vanished", "plateau");
  static final List<String> VANISHED_KEYS = List.of("horizon_fraction", "profiles", "baseline_tolerance");
  static final List<String> PLATEAU_KEYS = List.of("evals", "baseline_tolerance", "min_delta");
  static final List<String> SEARCH_KEYS = List.of("strategy", "max_trials", "num_samples", "seed", "scheduler");
  static final List<String> SCHEDULER_KEYS = List.of("asha");
  static final List<String> ASHA_KEYS = List.of("min_steps", "reduction_factor", "max_steps", "metric");

  /** Longest sweep parameter value; MLflow servers accept 500 (older) to 6000 characters. */
  static final int PARAM_VALUE_LIMIT = 500;

  private static final String NAME_RULE = "1-64 characters of A-Z a-z 0-9 . _ -, not starting with '.'";
  /**
   * MLflow refuses an empty experiment name and one longer than 500 characters (its SQL stores keep 256); '/' is
   * fine, and Databricks requires workspace paths such as {@code /Users/name@example.com/sweeps}. Control and
   * invisible formatting characters are refused here too (they cannot be told apart in the UI).
   */
  private static final String EXPERIMENT_RULE = "1-200 printable characters (e.g. gradsweep-runs or a workspace path "
      + "/Users/name@example.com/sweeps)";

  private SweepSpecParser() {}

  /**
   * Reads and parses a spec file (UTF-8).
   *
   * @param strategies the known {@code search.strategy} words, in the order listed in messages
   * @throws SpecException for every problem, I/O errors included (the message names the file)
   */
  public static ParsedSweep parseFile(Path file, List<String> strategies) {
    return parse(SpecYaml.readFile(file), file.toString(), strategies);
  }

  /**
   * Parses spec text.
   *
   * @param yamlText the YAML text
   * @param sourceName where the text comes from, used in messages ({@code (sourceName:line:column)}); may be null
   * @param strategies the known {@code search.strategy} words, in the order listed in messages; a strategy not
   *     among them fails (path {@code search.strategy}, the words listed, the closest suggested)
   * @throws SpecException for every problem
   */
  public static ParsedSweep parse(String yamlText, String sourceName, List<String> strategies) {
    List<String> strategyWords = List.copyOf(strategies);
    String source = sourceName == null || sourceName.isBlank() ? "<spec>" : sourceName;
    SpecNode doc = new SpecNode(source, "", SpecYaml.load(yamlText, source));
    if (!doc.isMapping()) {
      throw doc.error("a sweep spec must be a mapping with keys " + String.join(", ", TOP_KEYS) + ", got "
          + doc.shown());
    }
    Map<String, SpecNode> top = doc.mapping("the top level", TOP_KEYS);
    TrialTemplate template = readTemplate(doc, top);

    Map<String, SpecNode> search = top.containsKey("search")
        ? top.get("search").mapping("search", SEARCH_KEYS) : Map.of();
    String strategy = optional(search, "strategy", DEFAULT_STRATEGY, n -> n.word(strategyWords));
    int maxTrials = optional(search, "max_trials", 10_000, n -> n.integer(1, MAX_TRIALS_LIMIT));
    OptionalInt numSamples = search.containsKey("num_samples")
        ? OptionalInt.of(search.get("num_samples").integer(1, MAX_TRIALS_LIMIT)) : OptionalInt.empty();
    OptionalLong seed = search.containsKey("seed")
        ? OptionalLong.of(search.get("seed").integer(0L, Long.MAX_VALUE)) : OptionalLong.empty();

    SequenceTask kind = SequenceTasks.configured(template.task(), template.taskOptions());
    Grid grid = readGrid(doc, top, kind, template);
    String dpPath = template.dataParallel() != null ? "training.data_parallel" : null;
    for (GridBlock block : grid.blocks()) {
      if (block.dataParallel().isPresent()) {
        String path = block.path() + ".data_parallel";
        dpPath = dpPath == null ? path : dpPath;
        if (template.stop().enabled()) {
          throw new SpecException(path, "a data-parallel variant cannot be combined with training.stop (a "
              + "data-parallel trial trains through DL4J Spark, which does not run the rules); remove training.stop "
              + "or this data_parallel");
        }
        checkDataParallel(block, path);
      } else if (template.dataParallel() != null) {
        checkDataParallel(block, "training.data_parallel");
      }
    }
    SearchSpace space = new SearchSpace(template, grid.blocks(), maxTrials, numSamples, seed);
    Scheduling scheduling = readScheduling(top.get("training"), search.get("scheduler"), template, dpPath);
    Map<String, String> params = sweepParams(template, strategy, space, grid);
    if (scheduling.checkpointEvery() > 0) {
      params.put("training.checkpoint_every", Integer.toString(scheduling.checkpointEvery()));
    }
    AshaSpec asha = scheduling.asha();
    if (asha != null) {
      params.put("search.scheduler", "asha");
      params.put("search.scheduler.asha.min_steps", Integer.toString(asha.minSteps()));
      params.put("search.scheduler.asha.reduction_factor", Integer.toString(asha.reductionFactor()));
      params.put("search.scheduler.asha.max_steps", Integer.toString(asha.maxSteps()));
      params.put("search.scheduler.asha.metric", asha.metric());
    }
    return new ParsedSweep(source, template.sweepName(), template.experiment(), yamlText, strategy, space, params,
        scheduling);
  }

  /**
   * {@code training.checkpoint_every} (1..max_steps; absent: no checkpoints) and {@code search.scheduler} (absent:
   * none; {@code {asha: {...}}}: see {@link AshaSpec}).
   */
  private static Scheduling readScheduling(SpecNode trainingNode, SpecNode schedulerNode, TrialTemplate t,
      String dpPath) {
    int every = 0;
    if (trainingNode != null && trainingNode.peek("checkpoint_every") != null) {
      SpecNode n = trainingNode.peek("checkpoint_every");
      every = n.integer(1, 10_000_000);
      if (every > t.maxSteps()) {
        throw n.expected("an integer 1..training.max_steps (" + t.maxSteps() + ")");
      }
    }
    if (t.stop().enabled() && (every > 0 || schedulerNode != null)) {
      // the rules' counters are not in the checkpoint yet: a resumed trial would count its profiles from zero
      throw new SpecException("training.stop", "early-stopping rules cannot be combined with "
          + (schedulerNode != null ? "search.scheduler" : "training.checkpoint_every")
          + " yet (a trial resumed from a checkpoint would restart the rules' counts); remove training.stop or "
          + (schedulerNode != null ? "search.scheduler" : "training.checkpoint_every"));
    }
    if (dpPath != null && (every > 0 || schedulerNode != null)) {
      throw new SpecException(dpPath, "a data-parallel trial cannot be combined with "
          + (schedulerNode != null ? "search.scheduler" : "training.checkpoint_every")
          + " (it trains through DL4J Spark, which takes no gradsweep checkpoints); remove one of them");
    }
    if (schedulerNode == null) {
      return new Scheduling(every, null);
    }
    Map<String, SpecNode> scheduler = schedulerNode.mapping("search.scheduler", SCHEDULER_KEYS);
    SpecNode ashaNode = scheduler.get("asha");
    if (ashaNode == null) {
      throw schedulerNode.expected("a mapping with one scheduler: asha, e.g. {asha: {min_steps: 100, "
          + "reduction_factor: 3}}");
    }
    Map<String, SpecNode> asha = ashaNode.mapping("search.scheduler.asha", ASHA_KEYS);
    SpecNode minNode = required(ashaNode, asha, "min_steps", "min_steps: 100");
    int maxSteps = optional(asha, "max_steps", t.maxSteps(), n -> {
      int v = n.integer(2, 10_000_000);
      if (v > t.maxSteps()) {
        throw n.expected("an integer 2..training.max_steps (" + t.maxSteps() + ")");
      }
      if (v != t.maxSteps() && v % t.evalEvery() != 0) {
        throw n.expected("training.max_steps (" + t.maxSteps() + ") or a multiple of training.eval_every ("
            + t.evalEvery() + ")", "the last rung ends with an evaluation too");
      }
      return v;
    });
    int minSteps = minNode.integer(1, 10_000_000);
    if (minSteps >= maxSteps) {
      throw minNode.expected("an integer 1..max_steps - 1 (" + (maxSteps - 1) + "): the first rung must end before "
          + "the last");
    }
    if (minSteps % t.evalEvery() != 0) {
      throw minNode.expected("a multiple of training.eval_every (" + t.evalEvery() + ")", "every rung ends with "
          + "an evaluation, whose metric ranks the trials");
    }
    int eta = optional(asha, "reduction_factor", 3, n -> n.integer(2, 100));
    String metric = optional(asha, "metric", AshaSpec.METRICS.get(0), n -> n.word(AshaSpec.METRICS));
    return new Scheduling(every, new AshaSpec(minSteps, eta, maxSteps, metric));
  }

  /** The grid's own axes, each variant's own axes and data_parallel, and the blocks to expand. */
  private record Grid(Map<Axis, AxisValues> axes, List<Variant> variants, List<GridBlock> blocks) {}

  /** One entry of {@code variants}: its own axes and its {@code data_parallel} (null when it has none). */
  private record Variant(Map<Axis, AxisValues> axes, DataParallel dataParallel) {}

  /** name, experiment, task and training: the settings all trials share. */
  private static TrialTemplate readTemplate(SpecNode doc, Map<String, SpecNode> top) {
    String name = readName(required(doc, top, "name", "name: my-sweep"));
    String experiment = readExperiment(required(doc, top, "experiment", "experiment: my-experiment"));

    SpecNode taskNode = required(doc, top, "task", "task: {name: adding}");
    SequenceTask kind = readTask(taskNode);
    Map<String, SpecNode> task = taskNode.mapping("task (" + kind.name() + ")", taskKeys(kind));
    int evalSize = optional(task, "eval_size", 1000, n -> n.integer(1, 100_000));
    long evalSeed = optional(task, "eval_seed", 12345L, n -> n.integer(0L, Long.MAX_VALUE));
    Map<String, String> options = new LinkedHashMap<>();
    for (TaskOption o : kind.options()) {
      options.put(o.key(), Integer.toString(optional(task, o.key(), o.defaultValue(), n -> n.integer(o.min(),
          o.max()))));
    }
    kind = kind.configure(options);
    SolveRule rule = kind.solveRule();
    String taskName = kind.name();

    SpecNode trainingNode = required(doc, top, "training", "training: {max_steps: 1000}");
    Map<String, SpecNode> training = trainingNode.mapping("training", TRAINING_KEYS);
    DataParallel dp = training.containsKey("data_parallel") ? readDataParallel(training.get("data_parallel"),
        "training.data_parallel") : null;
    int batchSize = optional(training, "batch_size", dp == null ? 32 : dp.globalBatch(), n -> n.integer(1, 4096));
    if (dp != null && batchSize != dp.globalBatch()) {
      throw training.get("batch_size").error("batch_size " + batchSize + " is not workers * batch_per_worker = "
          + dp.workers() + " * " + dp.batchPerWorker() + " = " + dp.globalBatch() + " of training.data_parallel; a "
          + "data-parallel trial's minibatch is the workers' minibatches together: leave batch_size out or set it to "
          + dp.globalBatch());
    }
    int maxSteps = required(trainingNode, training, "max_steps", "max_steps: 1000").integer(1, 10_000_000);
    int evalEvery = optional(training, "eval_every", Math.min(50, maxSteps), n -> readEvalEvery(n, maxSteps));
    double solveThreshold = optional(training, "solve_threshold", rule.defaultThreshold(),
        n -> n.number(rule.allowedThresholds(taskName), rule::validThreshold));
    int profileEvery = optional(training, "profile_every", evalEvery, n -> n.integer(1, 10_000_000));
    int logPoints = optional(training, "log_points", TrialSpec.DEFAULT_LOG_POINTS,
        n -> n.integer(1, TrialSpec.MAX_LOG_POINTS));
    StopRules stop = optional(training, "stop", StopRules.NONE, n -> readStop(n, maxSteps, evalEvery,
        profileEvery));
    if (dp != null && stop.enabled()) {
      throw training.get("stop").error("early-stopping rules cannot be combined with training.data_parallel (a "
          + "data-parallel trial trains through DL4J Spark, which does not run the rules); remove one of them");
    }
    return new TrialTemplate(experiment, name, kind.name(), evalSize, evalSeed, batchSize, maxSteps, evalEvery,
        solveThreshold, profileEvery, logPoints, options, stop, dp);
  }

  /** The settings of one stop rule; an empty value gets a hint to write {@code {}} for the defaults. */
  private static Map<String, SpecNode> ruleMapping(SpecNode n, String what, List<String> keys) {
    if (!n.isMapping()) {
      throw n.expected("a mapping with keys " + String.join(", ", keys), "write {} to use every default");
    }
    return n.mapping(what, keys);
  }

  /**
   * {@code training.stop}: a mapping with {@code vanished} and/or {@code plateau}, each a mapping of its settings
   * ({@code {}} for every default). A rule that could never fire within {@code max_steps} fails: it would look on
   * while doing nothing.
   */
  private static StopRules readStop(SpecNode node, int maxSteps, int evalEvery, int profileEvery) {
    Map<String, SpecNode> stop = node.mapping("training.stop", STOP_KEYS);
    if (stop.isEmpty()) {
      throw node.expected("a mapping with at least one of " + String.join(", ", STOP_KEYS)
          + ", e.g. stop: {vanished: {}, plateau: {}} (every setting at its default)",
          "remove training.stop to train without early stopping");
    }
    StopRules.Vanished vanished = null;
    SpecNode v = stop.get("vanished");
    if (v != null) {
      Map<String, SpecNode> m = ruleMapping(v, "training.stop.vanished", VANISHED_KEYS);
      vanished = new StopRules.Vanished(
          optional(m, "horizon_fraction", StopRules.Vanished.DEFAULT_HORIZON_FRACTION,
              n -> n.number(StopRules.HORIZON_FRACTION_RULE, x -> x > 0 && x <= 1)),
          optional(m, "profiles", StopRules.Vanished.DEFAULT_PROFILES, n -> n.integer(1, StopRules.MAX_COUNT)),
          optional(m, "baseline_tolerance", StopRules.Vanished.DEFAULT_BASELINE_TOLERANCE,
              n -> n.number(StopRules.TOLERANCE_RULE, x -> x >= 0 && x < 1)));
      // profiles at step 1 and every profile_every steps
      int profiles = 1 + maxSteps / profileEvery - (profileEvery == 1 ? 1 : 0);
      if (vanished.profiles() > profiles) {
        SpecNode at = m.getOrDefault("profiles", v);
        throw at.error("the vanished rule needs " + vanished.profiles() + " profiles in a row, but the trial takes "
            + profiles + " (step 1 and every profile_every = " + profileEvery + " steps of max_steps = " + maxSteps
            + "); it could never fire: lower profiles (1.." + profiles + ") or profile_every");
      }
    }
    StopRules.Plateau plateau = null;
    SpecNode p = stop.get("plateau");
    if (p != null) {
      Map<String, SpecNode> m = ruleMapping(p, "training.stop.plateau", PLATEAU_KEYS);
      plateau = new StopRules.Plateau(
          optional(m, "evals", StopRules.Plateau.DEFAULT_EVALS, n -> n.integer(1, StopRules.MAX_COUNT)),
          optional(m, "baseline_tolerance", StopRules.Plateau.DEFAULT_BASELINE_TOLERANCE,
              n -> n.number(StopRules.TOLERANCE_RULE, x -> x >= 0 && x < 1)),
          optional(m, "min_delta", StopRules.Plateau.DEFAULT_MIN_DELTA,
              n -> n.number(StopRules.MIN_DELTA_RULE, x -> x >= 0 && x < 1)));
      // evaluations every eval_every steps and at the last step; the first one is the reference to improve on
      int evals = maxSteps / evalEvery + (maxSteps % evalEvery == 0 ? 0 : 1);
      if (plateau.evals() + 1 > evals) {
        SpecNode at = m.getOrDefault("evals", p);
        throw at.error("the plateau rule needs evals + 1 = " + (plateau.evals() + 1) + " evaluations (the first "
            + "is the loss to improve on), but the trial makes " + evals + " (every eval_every = " + evalEvery
            + " steps of max_steps = " + maxSteps + "); it could never fire: " + (evals >= 2 ? "lower evals (1.."
            + (evals - 1) + ") or eval_every" : "lower eval_every"));
      }
    }
    return new StopRules(vanished, plateau);
  }

  /**
   * {@code data_parallel: {workers: N, averaging_frequency: k, batch_per_worker: b}} (in {@code training} or in a
   * variant), all three required.
   */
  private static DataParallel readDataParallel(SpecNode node, String what) {
    Map<String, SpecNode> m = node.mapping(what, DATA_PARALLEL_KEYS);
    int workers = required(node, m, "workers", "workers: 2").integer(1, DataParallel.MAX_WORKERS);
    int every = required(node, m, "averaging_frequency", "averaging_frequency: 1").integer(1,
        DataParallel.MAX_AVERAGING);
    int batch = required(node, m, "batch_per_worker", "batch_per_worker: 32").integer(1, DataParallel.MAX_BATCH);
    return new DataParallel(workers, every, batch);
  }

  /**
   * The task named by {@code task.name}, read before the other keys of {@code task} (which keys are allowed depends
   * on the task). A key that is an option of another task fails naming that task.
   */
  private static SequenceTask readTask(SpecNode taskNode) {
    SpecNode nameNode = taskNode.peek("name");
    if (nameNode == null) {
      Map<String, SpecNode> task = taskNode.mapping("task", TASK_KEYS);
      required(taskNode, task, "name", "name: adding");
    }
    SequenceTask kind = SequenceTasks.byName(nameNode.word(SequenceTasks.names()));
    List<String> allowed = taskKeys(kind);
    for (String key : taskNode.keys()) {
      if (allowed.contains(key)) {
        continue;
      }
      List<String> owners = SequenceTasks.all().stream().filter(t -> t.options().stream()
          .anyMatch(o -> o.key().equals(key))).map(SequenceTask::name).toList();
      if (!owners.isEmpty()) {
        throw new SpecException(taskNode.keyPath(key), "key \"" + key + "\" is an option of task "
            + String.join(", ", owners) + ", not of task " + kind.name() + "; the keys of task " + kind.name()
            + ": " + String.join(", ", allowed) + taskNode.peek(key).where());
      }
    }
    return kind;
  }

  /** The keys of the {@code task} mapping for this task: the common ones and its options. */
  static List<String> taskKeys(SequenceTask kind) {
    List<String> keys = new ArrayList<>(TASK_KEYS);
    kind.options().forEach(o -> keys.add(o.key()));
    return keys;
  }

  /**
   * grid and variants: the grid alone, or each variant over the grid. A variant may carry {@code data_parallel}
   * (its trials train data-parallel): not together with {@code training.data_parallel}, and its workers *
   * batch_per_worker must be {@code training.batch_size}.
   */
  private static Grid readGrid(SpecNode doc, Map<String, SpecNode> top, SequenceTask task, TrialTemplate t) {
    SpecNode gridNode = top.get("grid");
    SpecNode variantsNode = top.get("variants");
    if (gridNode == null && variantsNode == null) {
      required(doc, top, "grid", "grid: {cell: [rnn, lstm], seq_len: [20, 50]}");
    }
    SpecNode misplaced = gridNode == null ? null : gridNode.peek("data_parallel");
    if (misplaced != null) {
      throw misplaced.error("data_parallel is not an axis of grid; write it in training (every trial data-parallel) "
          + "or in a variant (that variant's trials), e.g. variants: [{}, {data_parallel: {workers: 2, "
          + "averaging_frequency: 1, batch_per_worker: 16}}]");
    }
    Map<Axis, AxisValues> grid = gridNode == null ? Map.of() : readAxes(gridNode, "grid");
    List<Variant> variants = new ArrayList<>();
    List<GridBlock> blocks = new ArrayList<>();
    if (variantsNode == null) {
      blocks.add(block(gridNode, "grid", grid, Map.of(), false, task));
    } else {
      for (SpecNode v : variantsNode.items("mappings of axes, e.g. {cell: [lstm]}")) {
        Map<String, SpecNode> entries = new LinkedHashMap<>(v.mapping(v.path(), VARIANT_KEYS));
        SpecNode dpNode = entries.remove("data_parallel");
        DataParallel dp = dpNode == null ? null : readVariantDataParallel(dpNode, t);
        Map<Axis, AxisValues> own = readAxes(entries);
        variants.add(new Variant(own, dp));
        blocks.add(block(v, v.path(), grid, own, true, task, dp));
      }
    }
    return new Grid(grid, variants, blocks);
  }

  /** The parent run's params but {@code trials}; see {@link SweepSpec#sweepParams()}. */
  private static Map<String, String> sweepParams(TrialTemplate t, String strategy, SearchSpace space, Grid grid) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("name", t.sweepName());
    params.put("task.name", t.task());
    params.put("task.eval_size", Integer.toString(t.evalSize()));
    params.put("task.eval_seed", Long.toString(t.evalSeed()));
    new java.util.TreeMap<>(t.taskOptions()).forEach((k, v) -> params.put("task." + k, v));
    params.put("training.batch_size", Integer.toString(t.batchSize()));
    params.put("training.max_steps", Integer.toString(t.maxSteps()));
    params.put("training.eval_every", Integer.toString(t.evalEvery()));
    params.put("training.solve_threshold", Canon.num(t.solveThreshold()));
    params.put("training.profile_every", Integer.toString(t.profileEvery()));
    params.put("training.log_points", Integer.toString(t.logPoints()));
    if (t.stop().enabled()) {
      params.put("training.stop", t.stop().canonical());
    }
    if (t.dataParallel() != null) {
      params.put("training.data_parallel", t.dataParallel().canonical());
    }
    params.put("search.strategy", strategy);
    params.put("search.max_trials", Integer.toString(space.maxTrials()));
    if (space.numSamples().isPresent()) {
      params.put("search.num_samples", Integer.toString(space.numSamples().getAsInt()));
      params.put("search.seed", Long.toString(space.seedOrDefault()));
    }
    grid.axes().forEach((axis, v) -> params.put("grid." + axis.key(), shorten(GridBlock.text(axis, v.values()))));
    if (!grid.variants().isEmpty()) {
      params.put("variants", shorten(grid.variants().stream().map(SweepSpecParser::variantText)
          .collect(Collectors.joining(", ", "[", "]"))));
    }
    return params;
  }

  // ---------------------------------------------------------------- sections

  private static SpecNode required(SpecNode parent, Map<String, SpecNode> entries, String key, String example) {
    SpecNode n = entries.get(key);
    if (n == null) {
      throw new SpecException(parent.keyPath(key), "required key is missing; add e.g. " + example + parent.where());
    }
    return n;
  }

  private static <T> T optional(Map<String, SpecNode> entries, String key, T fallback, Function<SpecNode, T> read) {
    SpecNode n = entries.get(key);
    return n == null ? fallback : read.apply(n);
  }

  private static String readName(SpecNode n) {
    String s = n.string(NAME_RULE);
    int length = s.codePointCount(0, s.length());
    if (length == 0 || length > 64) {
      throw n.expected(NAME_RULE, length == 0 ? null : "it has " + length + " characters");
    }
    int bad = s.codePoints().filter(c -> !(c < 128 && (Character.isLetterOrDigit(c) || c == '.' || c == '_'
        || c == '-'))).findFirst().orElse(-1);
    if (bad >= 0) {
      throw n.expected(NAME_RULE, SpecMessages.describeChar(bad) + " is not allowed"
          + (bad == '/' || bad == '\\' ? " (the name must not look like a path)" : ""));
    }
    if (s.startsWith(".")) {
      throw n.expected(NAME_RULE, "it starts with '.'");
    }
    return s;
  }

  private static String readExperiment(SpecNode n) {
    String s = n.string(EXPERIMENT_RULE);
    int length = s.codePointCount(0, s.length());
    if (length == 0 || length > 200) {
      throw n.expected(EXPERIMENT_RULE, length == 0 ? null : "it has " + length + " characters");
    }
    int bad = s.codePoints().filter(c -> !SpecMessages.isPrintable(c)).findFirst().orElse(-1);
    if (bad >= 0) {
      throw n.expected(EXPERIMENT_RULE, SpecMessages.describeChar(bad) + " is not allowed");
    }
    if (s.startsWith(" ") || s.endsWith(" ")) {
      throw n.expected(EXPERIMENT_RULE, "it starts or ends with a space");
    }
    return s;
  }

  private static int readEvalEvery(SpecNode n, int maxSteps) {
    int v = n.integer(1, 10_000_000);
    if (v > maxSteps) {
      throw n.expected("an integer 1..training.max_steps (" + maxSteps + ")");
    }
    return v;
  }

  // ---------------------------------------------------------------- grid

  /** The axes of {@code grid}, each validated on its own. */
  private static Map<Axis, AxisValues> readAxes(SpecNode node, String what) {
    return readAxes(node.mapping(what, Axis.keys()));
  }

  /** The axes of {@code grid} or of one variant (entries keyed by axis key), each validated on its own. */
  private static Map<Axis, AxisValues> readAxes(Map<String, SpecNode> entries) {
    Map<Axis, AxisValues> axes = new EnumMap<>(Axis.class);
    entries.forEach((key, n) -> axes.put(Axis.byKey(key), readAxis(Axis.byKey(key), n)));
    return axes;
  }

  /**
   * A variant's {@code data_parallel}: one setting (not a list) for all its trials; not together with
   * {@code training.data_parallel}; its workers together take {@code training.batch_size} examples a step.
   */
  private static DataParallel readVariantDataParallel(SpecNode node, TrialTemplate t) {
    if (t.dataParallel() != null) {
      throw node.error("training.data_parallel is set too; give data_parallel in training (every trial "
          + "data-parallel) or in variants (the trials of those variants only), not both");
    }
    if (node.isSequence()) {
      throw node.expected("one mapping with keys " + String.join(", ", DATA_PARALLEL_KEYS), "data_parallel is "
          + "not an axis; write one variant per setting");
    }
    DataParallel dp = readDataParallel(node, node.path());
    if (dp.globalBatch() != t.batchSize()) {
      throw node.error("workers * batch_per_worker = " + dp.workers() + " * " + dp.batchPerWorker() + " = "
          + dp.globalBatch() + " is not training.batch_size " + t.batchSize() + "; a data-parallel trial's "
          + "minibatch is the workers' minibatches together: set training.batch_size: " + dp.globalBatch()
          + " or change workers or batch_per_worker");
    }
    return dp;
  }

  private static AxisValues readAxis(Axis axis, SpecNode list) {
    if (list.isMapping() && (!axis.distributions().isEmpty() || isDistributionLike(list))) {
      if (axis.distributions().isEmpty()) {
        String meaning = axis == Axis.SEEDS ? "a sampled search runs each configuration it draws once per listed seed"
            : "with search.strategy random or sobol a list is a choice, each value equally likely";
        throw list.error(axis.key() + " takes a list of values only (" + meaning + "), got " + list.shown() + "; "
            + DistributionReader.WHERE_ALLOWED);
      }
      Distribution d = DistributionReader.read(list, axis.key(), axis.distributions(), "(with search.strategy random "
          + "or sobol) or a list of values (" + axis.allowed() + ")", axis::readBound);
      return new AxisValues(List.of(d), List.of(list), list);
    }
    List<Object> values = new ArrayList<>();
    List<SpecNode> nodes = new ArrayList<>();
    Map<String, SpecNode> seen = new HashMap<>();
    for (SpecNode item : list.items(axis.allowed())) {
      if (item.isMapping() && !axis.distributions().isEmpty() && list.isSequence()) {
        throw item.expected(axis.allowed(), "a distribution is written alone, not in a list: " + axis.key() + ": {"
            + axis.distributions().get(0) + ": [low, high]}");
      }
      Object v = axis.read(item);
      SpecNode earlier = seen.putIfAbsent(axis.text(v), item);
      if (earlier != null) {
        throw item.error("duplicate value " + item.shown() + ", the same as " + earlier.path() + " ("
            + axis.text(v) + "); each value may appear once in an axis");
      }
      values.add(v);
      nodes.add(item);
    }
    return new AxisValues(values, nodes, list);
  }

  /** A one-key mapping whose key is a distribution word or close to one, e.g. {@code {unifrom: [1, 2]}}. */
  private static boolean isDistributionLike(SpecNode n) {
    List<String> keys = n.keys();
    return keys.size() == 1 && (Distribution.WORDS.contains(keys.get(0))
        || !SpecMessages.suggestion(keys.get(0), Distribution.WORDS).isEmpty());
  }

  /**
   * The grid, or a variant with the grid's axes it does not replace, with defaults filled in and the combination
   * rules checked.
   */
  private static GridBlock block(SpecNode where, String path, Map<Axis, AxisValues> grid,
      Map<Axis, AxisValues> own, boolean variant, SequenceTask task) {
    return block(where, path, grid, own, variant, task, null);
  }

  private static GridBlock block(SpecNode where, String path, Map<Axis, AxisValues> grid,
      Map<Axis, AxisValues> own, boolean variant, SequenceTask task, DataParallel dataParallel) {
    Map<Axis, AxisValues> axes = new EnumMap<>(Axis.class);
    axes.putAll(grid);
    axes.putAll(own);
    for (Axis a : Axis.values()) {
      if (!axes.containsKey(a)) {
        if (a.required()) {
          String fix = variant ? "set " + a.key() + " in grid or in this variant, e.g. " : "add e.g. ";
          throw new SpecException(path + "." + a.key(), "required axis is missing; " + fix + a.key() + ": "
              + a.example() + (where == null ? "" : where.where()));
        }
        axes.put(a, AxisValues.defaults(a));
      }
    }
    String blockName = variant ? "variant " + path : "grid";
    checkActivation(axes.get(Axis.ACTIVATION), axes.get(Axis.CELL), blockName, variant);
    checkTbptt(axes.get(Axis.TBPTT), axes.get(Axis.SEQ_LEN), blockName);
    checkSeqLen(axes.get(Axis.SEQ_LEN), task);
    return new GridBlock(path, axes, dataParallel);
  }

  /** An activation list written for a block whose cells are not all vanilla rnn would be meaningless for them. */
  private static void checkActivation(AxisValues activation, AxisValues cells, String blockName, boolean variant) {
    if (activation.list() == null) {
      return;
    }
    for (int i = 0; i < cells.values().size(); i++) {
      String cell = (String) cells.values().get(i);
      if (!Axis.ACTIVATION_CELLS.contains(cell)) {
        String inherited = variant && activation.list().path().startsWith("grid.")
            ? " (grid.activation applies to every variant that does not set its own)" : "";
        throw activation.list().error("activation applies only to cell " + String.join(", ", Axis.ACTIVATION_CELLS)
            + ", but " + cells.valuePath(i) + " in the " + blockName + " is " + cell + inherited
            + "; use variants to give activations to " + String.join(", ", Axis.ACTIVATION_CELLS) + " only, e.g. "
            + "variants: [{cell: [" + Axis.ACTIVATION_CELLS.get(0) + "], activation: [tanh, relu]}, {cell: [" + cell
            + "]}]");
      }
    }
  }

  /**
   * A data-parallel trial trains through DL4J's network, which has neither the engine's gradient clipping nor its
   * truncated BPTT: clip must be none and tbptt none (0) in every data-parallel block.
   *
   * @param dpPath where the block's data_parallel is written, e.g. {@code training.data_parallel}
   */
  private static void checkDataParallel(GridBlock block, String dpPath) {
    for (Object c : block.values(Axis.CLIP)) {
      if (((ClipSpec) c).enabled()) {
        throw new SpecException(block.path() + ".clip", "clip " + ((ClipSpec) c).canonical() + " cannot be used "
            + "with " + dpPath + " (the workers train DL4J networks, without the engine's clipping); use "
            + "clip: [none] or drop " + dpPath);
      }
    }
    for (Object k : block.values(Axis.TBPTT)) {
      if ((Integer) k != 0) {
        throw new SpecException(block.path() + ".tbptt", "tbptt " + k + " cannot be used with "
            + dpPath + " (full backpropagation through time only); use tbptt: [none] or drop " + dpPath);
      }
    }
  }

  /** Every seq_len must be one the task can fill. */
  private static void checkSeqLen(AxisValues seqLens, SequenceTask task) {
    for (int j = 0; j < seqLens.values().size(); j++) {
      int t = (int) low(seqLens.values().get(j));
      if (t < task.minSeqLen()) {
        throw seqLens.nodes().get(j).error("seq_len " + t + " is too short for task " + task.name() + " ("
            + task.seqLenMeaning() + "); it needs seq_len >= " + task.minSeqLen());
      }
    }
  }

  /** Every tbptt window must fit every sequence length it is combined with. */
  private static void checkTbptt(AxisValues tbptt, AxisValues seqLens, String blockName) {
    for (int i = 0; i < tbptt.values().size(); i++) {
      int k = (int) high(tbptt.values().get(i));
      for (int j = 0; j < seqLens.values().size(); j++) {
        int t = (int) low(seqLens.values().get(j));
        if (k > t) {
          Object kv = tbptt.values().get(i);
          Object tv = seqLens.values().get(j);
          throw tbptt.nodes().get(i).error("tbptt window " + (kv instanceof Distribution d ? "up to " + k + " ("
              + d.canonical() + ")" : k) + " is longer than seq_len " + (tv instanceof Distribution d ? "as short as "
              + t + " (" + d.canonical() + ", " : t + " (") + seqLens.valuePath(j) + ") in the " + blockName + "; a window must be 1..seq_len for every seq_len "
              + "it is combined with: lower it, or put it in a variant with longer sequences");
        }
      }
    }
  }

  /** The smallest value an integer axis value or distribution can take. */
  private static double low(Object v) {
    return v instanceof Distribution d ? d.lowBound() : ((Integer) v).doubleValue();
  }

  /** The largest value an integer axis value or distribution can take. */
  private static double high(Object v) {
    return v instanceof Distribution d ? d.highBound() : ((Integer) v).doubleValue();
  }

  // ---------------------------------------------------------------- params

  private static String variantText(Variant v) {
    List<String> parts = new ArrayList<>();
    v.axes().forEach((axis, values) -> parts.add(axis.key() + ": " + GridBlock.text(axis, values.values())));
    if (v.dataParallel() != null) {
      parts.add("data_parallel: {" + v.dataParallel().canonical() + "}");
    }
    return "{" + String.join(", ", parts) + "}";
  }

  private static String shorten(String s) {
    return s.length() <= PARAM_VALUE_LIMIT ? s : s.substring(0, PARAM_VALUE_LIMIT - 3) + "...";
  }
}
