package io.gradsweep.engine;

/**
 * The network's output head: a linear map of the top layer's hidden state, read at the last step or at every
 * step, trained with mean squared error or softmax cross-entropy. Both losses are means over the target rows
 * (weighted by an optional mask, see {@link RecurrentNet#computeGradient(org.nd4j.linalg.api.ndarray.INDArray,
 * org.nd4j.linalg.api.ndarray.INDArray, double[], int, int, int, boolean)}).
 *
 * @param loss the loss
 * @param readout where outputs (and targets) are
 */
public record Head(Loss loss, Readout readout) {

  /** The head of the adding problem: MSE at the last step. */
  public static final Head LAST_STEP_MSE = new Head(Loss.MSE, Readout.LAST_STEP);

  /** The loss of a head. */
  public enum Loss {
    /** Mean over target rows of the mean over outputs of (z - y)^2. */
    MSE,
    /**
     * Mean over target rows of -sum_k y_k log softmax(z)_k, computed as sum_k y_k (logsumexp(z) - z_k) with the
     * row's maximum subtracted before exponentiating; with one-hot y this is PyTorch's {@code cross_entropy} with
     * {@code reduction="mean"}.
     */
    SOFTMAX_CROSS_ENTROPY
  }

  /** Where the head reads the hidden state. */
  public enum Readout {
    /** Only the last step: outputs and targets are [B, K]. */
    LAST_STEP,
    /** Every step: outputs and targets are time-major [T*B, K] (row t*B + i = step t of example i). */
    EVERY_STEP
  }

  public Head {
    if (loss == null || readout == null) {
      throw new IllegalArgumentException("a head needs a loss and a readout, got " + loss + ", " + readout);
    }
  }

  /** Target rows of a batch: B at the last step, T*B at every step. */
  public int rows(int steps, int batch) {
    return readout == Readout.LAST_STEP ? batch : steps * batch;
  }

  /**
   * The mean loss of outputs {@code z} against targets {@code y} (both row-major [rows, k]), each row weighted by
   * {@code mask[r]} (null = 1 for every row): sum_r w_r l_r / sum_r w_r. Writes dLoss/dz into {@code dz} when it is
   * not null.
   *
   * @throws IllegalArgumentException if the mask has another length, a negative or non-finite weight, or no
   *     positive weight
   */
  public double loss(double[] z, double[] y, double[] mask, int rows, int k, double[] dz) {
    double total = rows;
    if (mask != null) {
      if (mask.length != rows) {
        throw new IllegalArgumentException("mask must have one weight per target row (" + rows + "), got "
            + mask.length);
      }
      total = 0;
      for (double w : mask) {
        if (!(w >= 0) || !Double.isFinite(w)) {
          throw new IllegalArgumentException("mask weights must be finite and >= 0, got " + w);
        }
        total += w;
      }
      if (!(total > 0)) {
        throw new IllegalArgumentException("mask has no positive weight: no loss to compute");
      }
    }
    double sum = 0;
    for (int r = 0; r < rows; r++) {
      double w = mask == null ? 1.0 : mask[r];
      int o = r * k;
      if (w == 0) {
        if (dz != null) {
          java.util.Arrays.fill(dz, o, o + k, 0.0);
        }
        continue;
      }
      double scale = w / total;
      if (loss == Loss.MSE) {
        double l = 0;
        for (int j = 0; j < k; j++) {
          double d = z[o + j] - y[o + j];
          l += d * d;
          if (dz != null) {
            dz[o + j] = scale * 2.0 * d / k;
          }
        }
        sum += w * l / k;
      } else {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < k; j++) {
          max = Math.max(max, z[o + j]);
        }
        double e = 0;
        double mass = 0;
        double yz = 0;
        for (int j = 0; j < k; j++) {
          e += Math.exp(z[o + j] - max);
          mass += y[o + j];
          yz += y[o + j] * z[o + j];
        }
        double lse = max + Math.log(e);
        sum += w * (mass * lse - yz);
        if (dz != null) {
          for (int j = 0; j < k; j++) {
            dz[o + j] = scale * (Math.exp(z[o + j] - lse) * mass - y[o + j]);
          }
        }
      }
    }
    return sum / total;
  }
}
