package io.gradsweep.task;

import io.gradsweep.plugin.Plugin;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A synthetic long-range-dependency task with a known trivial baseline, chosen in the spec as {@code task.name}.
 * Registered in {@code META-INF/services/io.gradsweep.task.SequenceTask}; found through {@link SequenceTasks}.
 *
 * <p>Contract (checked for every registered task by {@code SequenceTaskContractTest}):
 * <ul>
 *   <li>{@link #name()} is the YAML word, lower case, and {@link SequenceTasks#byName(String)} finds the task by it.
 *   <li>{@link #sample} is deterministic: the same generator state gives the same batch on any machine, and it
 *       draws only from the generator it is given; batches have the shapes of {@link Batch} with
 *       {@link #steps(int)} steps, {@link #inputSize()} and {@link #outputSize()} columns, and one target row per
 *       example ({@link #targetsEveryStep()} false) or per step and example (true). Classification targets
 *       ({@link Loss#CROSS_ENTROPY}) are one-hot. It throws {@link IllegalArgumentException} for a seq_len below
 *       {@link #minSeqLen()}.
 *   <li>{@link #expectedBaselineLoss(int)} is the expectation of {@link #baselineLoss} over batches, in closed form;
 *       {@link SolveRule#baseline()} of {@link #solveRule()} is the expectation of {@link #baselineSolveValue}.
 *   <li>{@link #evaluate} returns the loss the network is trained on under key {@code loss} (first), and the
 *       {@link SolveRule#metric()}; a perfect output solves the task, a constant one does not; every key has its
 *       {@code eval/} and {@code final/eval_} metric spelled in {@code tracking.Names}.
 *   <li>{@link #configure} with the defaults of {@link #options()} gives an equal task.
 * </ul>
 * Implementations are immutable and thread-safe; the registry hands out shared instances (with default options).
 */
public interface SequenceTask extends Plugin {

  /** The loss the network's head is trained with. */
  enum Loss {
    /** Mean squared error, averaged over target rows and outputs. */
    MSE,
    /** Softmax cross-entropy against one-hot targets, averaged over target rows (PyTorch's mean reduction). */
    CROSS_ENTROPY
  }

  /** The word used in the sweep spec, e.g. {@code adding}. */
  @Override
  String name();

  /** Features per time step of {@link Batch#x()}. */
  int inputSize();

  /** Columns of {@link Batch#y()} (classes of a classification task). */
  int outputSize();

  /** The head's loss; default MSE. */
  default Loss loss() {
    return Loss.MSE;
  }

  /** Whether the task has a target at every step (true) or only at the last step (false, the default). */
  default boolean targetsEveryStep() {
    return false;
  }

  /** Time steps of a sequence for the spec's {@code seq_len} (the same number unless the task says otherwise). */
  default int steps(int seqLen) {
    return seqLen;
  }

  /** The smallest {@code seq_len} the task can fill (the spec checks it). */
  default int minSeqLen() {
    return 2;
  }

  /** What {@code seq_len} means for this task, for docs and messages (default: the sequence length). */
  default String seqLenMeaning() {
    return "sequence length";
  }

  /** Draws {@code size} sequences for the spec's {@code seqLen} from {@code rng}. */
  Batch sample(int seqLen, int size, SplittableRandom rng, DataType dtype);

  /** The loss of the task's trivial baseline on {@code batch}. */
  double baselineLoss(Batch batch);

  /** The baseline's expected loss at this {@code seq_len}, in closed form. */
  double expectedBaselineLoss(int seqLen);

  /** {@link #expectedBaselineLoss(int)} as a formula for docs and reports, e.g. {@code 1/6}, {@code ln 4}. */
  String baselineText();

  /** The trivial baseline in a few words, e.g. {@code always predict 1}. */
  default String baselineDescription() {
    return "trivial baseline";
  }

  /** When a trial is solved; the default: eval loss below the threshold (0.01 by default). */
  default SolveRule solveRule() {
    return new SolveRule("loss", false, 0.01, expectedBaselineLoss(minSeqLen()), baselineText(), "eval loss");
  }

  /** The trivial baseline's value of the {@linkplain #solveRule() solve metric} on {@code batch}. */
  default double baselineSolveValue(Batch batch) {
    return baselineLoss(batch);
  }

  /**
   * Held-out metrics of the network's {@code output} on {@code batch}, by short name, {@code loss} first (the
   * training loss), then the task's own (accuracies...). {@code output} has the shape of {@link Batch#y()}: values
   * for MSE, logits (before the softmax) for cross-entropy.
   */
  Map<String, Double> evaluate(Batch batch, INDArray output);

  /** The task-specific spec keys, in the order documented. */
  default List<TaskOption> options() {
    return List.of();
  }

  /** The option values of this instance, by key, in {@link #options()} order. */
  default Map<String, Integer> settings() {
    return Map.of();
  }

  /**
   * This task with the given options (keys of {@link #options()}, integer text; a missing key takes its default).
   *
   * @throws IllegalArgumentException naming the key, the value and what is allowed
   */
  default SequenceTask configure(Map<String, String> options) {
    for (String k : options.keySet()) {
      throw new IllegalArgumentException("task " + name() + " has no option " + k
          + (options().isEmpty() ? "; it has none" : "; its options: "
              + String.join(", ", options().stream().map(TaskOption::key).toList())));
    }
    return this;
  }

  /** The option values as the trial's params ({@code task.<key>} -> value), in {@link #options()} order. */
  default Map<String, String> optionParams() {
    Map<String, String> out = new LinkedHashMap<>();
    settings().forEach((k, v) -> out.put(k, Integer.toString(v)));
    return out;
  }
}
