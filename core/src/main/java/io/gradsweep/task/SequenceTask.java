package io.gradsweep.task;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A synthetic long-range-dependency task with a known trivial baseline. Implementations are stateless and
 * deterministic: the same generator state gives the same batch on any machine.
 */
public interface SequenceTask {

  /** The word used in the sweep spec, e.g. {@code adding}. */
  String name();

  int inputSize();

  int outputSize();

  /** Draws {@code size} sequences of length {@code steps} from {@code rng}. */
  Batch sample(int steps, int size, SplittableRandom rng, DataType dtype);

  /** The loss of the task's trivial baseline on {@code batch} (for the adding problem: always predict 1). */
  double baselineLoss(Batch batch);

  /** The baseline's expected loss (for the adding problem 1/6). */
  double expectedBaselineLoss();
}
