package io.gradsweep.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class AddingTaskTest {
  private final AddingTask task = new AddingTask();

  @Test
  void twoMarkersOneInEachHalfAndTargetIsTheirSum() {
    int steps = 21;
    int size = 50;
    Batch b = task.sample(steps, size, new SplittableRandom(3), DataType.DOUBLE);
    assertArrayEquals(new long[] {(long) steps * size, 2}, b.x().shape());
    for (int i = 0; i < size; i++) {
      int markers = 0;
      double sum = 0;
      for (int t = 0; t < steps; t++) {
        long row = (long) t * size + i;
        double v = b.x().getDouble(row, 0);
        assertTrue(v >= 0 && v < 1, "value in [0,1)");
        if (b.x().getDouble(row, 1) == 1.0) {
          markers++;
          sum += v;
          assertTrue(markers == 1 ? t < steps / 2 : t >= steps / 2, "marker " + markers + " at " + t);
        } else {
          assertEquals(0.0, b.x().getDouble(row, 1));
        }
      }
      assertEquals(2, markers);
      assertEquals(sum, b.y().getDouble(i, 0), 1e-12);
    }
  }

  @Test
  void sameSeedSameBatch() {
    Batch a = task.sample(10, 4, new SplittableRandom(5), DataType.FLOAT);
    Batch b = task.sample(10, 4, new SplittableRandom(5), DataType.FLOAT);
    assertEquals(a.x(), b.x());
    assertEquals(a.y(), b.y());
  }

  @Test
  void predictOneBaselineIsOneSixthWithinSamplingError() {
    int n = 20000;
    Batch b = task.sample(8, n, new SplittableRandom(17), DataType.DOUBLE);
    double mse = task.baselineLoss(b);
    // (S-1)^2 with S = U1+U2: mean 1/6, variance E[(S-1)^4] - 1/36 = 1/15 - 1/36 = 7/180
    double stderr = Math.sqrt(7.0 / 180.0 / n);
    assertEquals(1.0 / 6.0, mse, 4 * stderr, "baseline MSE " + mse);
    assertEquals(1.0 / 6.0, task.expectedBaselineLoss(8), 0.0);
  }
}
