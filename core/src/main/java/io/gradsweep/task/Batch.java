package io.gradsweep.task;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A minibatch of sequences, time-major: {@code x} is [steps*size, inputSize] with row {@code t*size + i} = step t
 * of example i. {@code y} holds the targets: [size, outputSize] for a task read at the last step; [steps*size,
 * outputSize], time-major like {@code x}, for a task with {@linkplain SequenceTask#targetsEveryStep() targets at
 * every step}. A classification task's targets are one-hot rows.
 */
public record Batch(INDArray x, INDArray y, int steps, int size) {}
