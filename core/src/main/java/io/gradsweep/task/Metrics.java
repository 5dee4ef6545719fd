package io.gradsweep.task;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Loss and accuracy helpers the tasks share, in double precision. */
final class Metrics {
  private Metrics() {}

  /**
   * Softmax cross-entropy and accuracy of the rows {@code r} with {@code include[r]} (null = every row) of logits
   * {@code z} [rows, K] against one-hot {@code y}: {@code [mean CE, share of rows whose argmax is the target]}.
   * CE of a row = logsumexp(z) - z[target], with the maximum subtracted first.
   */
  static double[] crossEntropy(INDArray z, INDArray y, boolean[] include) {
    double[] zz = z.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    double[] yy = y.castTo(DataType.DOUBLE).dup('c').data().asDouble();
    int rows = (int) z.rows();
    int k = (int) z.columns();
    double ce = 0;
    int correct = 0;
    int n = 0;
    for (int r = 0; r < rows; r++) {
      if (include != null && !include[r]) {
        continue;
      }
      int o = r * k;
      int target = argmax(yy, o, k);
      int guess = argmax(zz, o, k);
      double max = zz[o + guess];
      double sum = 0;
      for (int j = 0; j < k; j++) {
        sum += Math.exp(zz[o + j] - max);
      }
      ce += max + Math.log(sum) - zz[o + target];
      if (guess == target) {
        correct++;
      }
      n++;
    }
    return new double[] {ce / n, (double) correct / n};
  }

  /** Index of the largest of a[o..o+k) (the first on ties). */
  static int argmax(double[] a, int o, int k) {
    int best = 0;
    for (int j = 1; j < k; j++) {
      if (a[o + j] > a[o + best]) {
        best = j;
      }
    }
    return best;
  }
}
