package io.gradsweep.task;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A minibatch of sequences, time-major: {@code x} is [steps*size, inputSize] with row {@code t*size + i} = step t
 * of example i; {@code y} is [size, outputSize], the target at the last step.
 */
public record Batch(INDArray x, INDArray y, int steps, int size) {}
