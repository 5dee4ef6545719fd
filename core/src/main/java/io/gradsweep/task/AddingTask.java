package io.gradsweep.task;

import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The adding problem in the form of Arjovsky et al. 2016 (uRNN): each step is {@code [value, marker]} with value ~
 * U(0,1); exactly two markers are 1, one at a uniformly chosen step of the first half [0, T/2) and one in the
 * second half [T/2, T); the target is the sum of the two marked values, read at the last step (MSE).
 *
 * <p>Trivial baseline: always predicting 1 gives MSE = Var(U1 + U2) = 1/6 (Le et al. 2015 and the TCN paper print
 * 0.1767; that figure is wrong).
 */
public final class AddingTask implements SequenceTask {

  @Override
  public String name() {
    return "adding";
  }

  @Override
  public int inputSize() {
    return 2;
  }

  @Override
  public int outputSize() {
    return 1;
  }

  @Override
  public Batch sample(int steps, int size, SplittableRandom rng, DataType dtype) {
    if (steps < 2) {
      throw new IllegalArgumentException("the adding problem needs seq_len >= 2, got " + steps);
    }
    double[] x = new double[steps * size * 2];
    double[] y = new double[size];
    int half = steps / 2;
    for (int i = 0; i < size; i++) {
      int m1 = rng.nextInt(half);
      int m2 = half + rng.nextInt(steps - half);
      double sum = 0;
      for (int t = 0; t < steps; t++) {
        double v = rng.nextDouble();
        int row = t * size + i;
        x[2 * row] = v;
        if (t == m1 || t == m2) {
          x[2 * row + 1] = 1.0;
          sum += v;
        }
      }
      y[i] = sum;
    }
    INDArray xa = Batch.matrix(x, (long) steps * size, 2, dtype);
    INDArray ya = Batch.matrix(y, size, 1, dtype);
    return new Batch(xa, ya, steps, size);
  }

  @Override
  public double baselineLoss(Batch batch) {
    INDArray d = batch.y().castTo(DataType.DOUBLE).sub(1.0);
    return d.mul(d).meanNumber().doubleValue();
  }

  @Override
  public double expectedBaselineLoss(int seqLen) {
    return 1.0 / 6.0;
  }

  @Override
  public String baselineDescription() {
    return "always predict 1";
  }

  @Override
  public SolveRule solveRule() {
    return new SolveRule("loss", false, 0.01, 1.0 / 6.0, "1/6", "MSE");
  }

  @Override
  public Map<String, Double> evaluate(Batch batch, INDArray output) {
    // in the output's precision, as the trainer always computed the adding problem's eval MSE
    INDArray diff = output.sub(batch.y());
    return Map.of("loss", diff.mul(diff).meanNumber().doubleValue());
  }

  @Override
  public String baselineText() {
    return "1/6";
  }

  /** The step of the first marker of example {@code i} in {@code batch}. */
  public static int firstMarker(Batch batch, int i) {
    for (int t = 0; t < batch.steps(); t++) {
      if (batch.x().getDouble((long) t * batch.size() + i, 1) > 0.5) {
        return t;
      }
    }
    return -1;
  }
}
