package io.gradsweep.task;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A minibatch of sequences, time-major: {@code x} is [steps*size, inputSize] with row {@code t*size + i} = step t
 * of example i. {@code y} holds the targets: [size, outputSize] for a task read at the last step; [steps*size,
 * outputSize], time-major like {@code x}, for a task with {@linkplain SequenceTask#targetsEveryStep() targets at
 * every step}. A classification task's targets are one-hot rows.
 */
public record Batch(INDArray x, INDArray y, int steps, int size) {

  /**
   * A [rows, cols] row-major array of {@code dtype} (FLOAT or DOUBLE) holding {@code values}: a FLOAT array is
   * rounded in Java and handed to ND4J once (a DOUBLE array and a cast would cost a second native array and an op,
   * at every training step). The rounding is the cast's: to the nearest float.
   */
  public static INDArray matrix(double[] values, long rows, long cols, DataType dtype) {
    if (values.length != rows * cols) {
      throw new IllegalArgumentException("expected " + rows + " x " + cols + " values, got " + values.length);
    }
    if (dtype == DataType.FLOAT) {
      float[] f = new float[values.length];
      for (int i = 0; i < f.length; i++) {
        f[i] = (float) values[i];
      }
      return Nd4j.create(f, new long[] {rows, cols}, 'c');
    }
    return Nd4j.create(values, new long[] {rows, cols}, DataType.DOUBLE).castTo(dtype);
  }
}
