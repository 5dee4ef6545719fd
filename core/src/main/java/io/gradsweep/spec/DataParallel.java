package io.gradsweep.spec;

import java.io.Serializable;

/**
 * {@code training.data_parallel}: one trial trained data-parallel across {@code workers} Spark executors with
 * Deeplearning4j's parameter averaging (docs/data-parallel.md). Each worker takes {@code averagingFrequency}
 * minibatches of {@code batchPerWorker} examples from the same parameters; the driver then averages the workers'
 * parameters (and optimizer state). With {@code averagingFrequency} 1 and plain SGD this is one SGD step on a
 * minibatch of {@code workers * batchPerWorker} examples.
 *
 * @param workers executors (Spark tasks) training the trial at once, 1..{@value #MAX_WORKERS}
 * @param averagingFrequency minibatches each worker trains between two averagings, 1..{@value #MAX_AVERAGING}
 * @param batchPerWorker examples in one worker minibatch, 1..{@value #MAX_BATCH}
 */
public record DataParallel(int workers, int averagingFrequency, int batchPerWorker) implements Serializable {
  public static final int MAX_WORKERS = 1024;
  public static final int MAX_AVERAGING = 10_000;
  public static final int MAX_BATCH = 4096;

  public DataParallel {
    check("workers", workers, MAX_WORKERS);
    check("averaging_frequency", averagingFrequency, MAX_AVERAGING);
    check("batch_per_worker", batchPerWorker, MAX_BATCH);
  }

  private static void check(String key, int value, int max) {
    if (value < 1 || value > max) {
      throw new IllegalArgumentException("training.data_parallel." + key + " must be an integer 1.." + max + ", got "
          + value);
    }
  }

  /** Examples of one averaged step over all workers: {@code workers * batchPerWorker}. */
  public int globalBatch() {
    return workers * batchPerWorker;
  }

  /** The param value, e.g. {@code workers=2,averaging_frequency=5,batch_per_worker=32}. */
  public String canonical() {
    return "workers=" + workers + ",averaging_frequency=" + averagingFrequency + ",batch_per_worker="
        + batchPerWorker;
  }
}
