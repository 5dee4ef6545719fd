package io.gradsweep.task;

import io.gradsweep.plugin.Plugin;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A synthetic long-range-dependency task with a known trivial baseline, chosen in the spec as {@code task.name}.
 * Registered in {@code META-INF/services/io.gradsweep.task.SequenceTask}; found through {@link SequenceTasks}.
 *
 * <p>Contract (checked for every registered task by {@code SequenceTaskContractTest}):
 * <ul>
 *   <li>{@link #name()} is the YAML word, lower case, and {@link SequenceTasks#byName(String)} finds the task by it.
 *   <li>{@link #sample} is deterministic: the same generator state gives the same batch on any machine, and it
 *       draws only from the generator it is given; batches have the shapes of {@link Batch} with
 *       {@link #inputSize()} and {@link #outputSize()} columns. It throws {@link IllegalArgumentException} for
 *       sequence lengths the task cannot fill (the spec allows seq_len from 2).
 *   <li>{@link #expectedBaselineLoss()} is the expectation of {@link #baselineLoss} over batches, in closed form;
 *       {@link #baselineText()} writes it for messages. The spec requires {@code training.solve_threshold} below it.
 * </ul>
 * Implementations are stateless and thread-safe; the registry hands out shared instances.
 */
public interface SequenceTask extends Plugin {

  /** The word used in the sweep spec, e.g. {@code adding}. */
  @Override
  String name();

  /** Features per time step of {@link Batch#x()}. */
  int inputSize();

  /** Columns of {@link Batch#y()}. */
  int outputSize();

  /** Draws {@code size} sequences of length {@code steps} from {@code rng}. */
  Batch sample(int steps, int size, SplittableRandom rng, DataType dtype);

  /** The loss of the task's trivial baseline on {@code batch} (for the adding problem: always predict 1). */
  double baselineLoss(Batch batch);

  /** The baseline's expected loss (for the adding problem 1/6). */
  double expectedBaselineLoss();

  /** {@link #expectedBaselineLoss()} as written in messages, e.g. {@code 1/6}. */
  String baselineText();
}
