package io.gradsweep.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The copy task's layout (uRNN, Arjovsky et al. 2016, section 4.1) and its baseline numbers. */
class CopyTaskTest {
  private final CopyTask task = new CopyTask();

  /** The one-hot index of row {@code row} of {@code a}. */
  private static int symbol(INDArray a, long row) {
    return a.getRow(row).argMax().getInt(0);
  }

  @Test
  void layoutIsTenSymbolsBlanksDelimiterBlanksAndTargetsAreBlanksThenTheSymbols() {
    int lag = 7;
    int size = 3;
    Batch b = task.sample(lag, size, new SplittableRandom(11), DataType.DOUBLE);
    assertEquals(lag + 20, b.steps());
    int blank = 8;
    int delimiter = 9;
    for (int i = 0; i < size; i++) {
      for (int t = 0; t < b.steps(); t++) {
        long row = (long) t * size + i;
        int in = symbol(b.x(), row);
        int target = symbol(b.y(), row);
        if (t < 10) {
          assertTrue(in < 8, "step " + t + " holds a symbol, got " + in);
          assertEquals(blank, target, "no target while the symbols are shown");
        } else if (t < 10 + lag - 1) {
          assertEquals(blank, in, "T - 1 blanks after the symbols, step " + t);
        } else if (t == 10 + lag - 1) {
          assertEquals(delimiter, in, "the delimiter comes after T - 1 blanks");
        } else {
          assertEquals(blank, in, "blanks while recalling, step " + t);
        }
        if (t >= lag + 10) {
          assertEquals(symbol(b.x(), (long) (t - lag - 10) * size + i), target, "recall step " + t
              + " targets the symbol shown at step " + (t - lag - 10));
        } else {
          assertEquals(blank, target, "blank target at step " + t);
        }
      }
    }
  }

  /** The figures of the reference notes: 0.1733 at T = 100, 0.0400 at T = 500, 0.0204 at T = 1000. */
  @Test
  void memorylessBaselineIsTenLnEightOverTPlusTwenty() {
    assertEquals(0.1733, task.expectedBaselineLoss(100), 5e-5);
    assertEquals(0.0400, task.expectedBaselineLoss(500), 5e-5);
    assertEquals(0.0204, task.expectedBaselineLoss(1000), 5e-5);
    assertEquals(10 * Math.log(8) / 120, task.expectedBaselineLoss(100), 1e-15);
    assertEquals("10 ln 8 / (T + 20)", task.baselineText());
    assertEquals(1.0 / 8, task.solveRule().baseline(), 0.0);
    assertEquals("recall_accuracy", task.solveRule().metric());
    // on a batch the memoryless predictor's loss is exactly that (its targets are what it can predict)
    Batch b = task.sample(100, 4, new SplittableRandom(1), DataType.DOUBLE);
    assertEquals(10 * Math.log(8) / 120, task.baselineLoss(b), 1e-12);
  }

  /**
   * The memoryless predictor's own logits (blank certain before the recall steps, uniform over the symbols at them)
   * score the baseline in {@link CopyTask#evaluate}: loss S ln a / (T + 2S), recall loss ln a.
   */
  @Test
  void evaluateOfTheMemorylessPredictorGivesItsBaseline() {
    int lag = 30;
    Batch b = task.sample(lag, 5, new SplittableRandom(4), DataType.DOUBLE);
    INDArray z = Nd4j.zeros(DataType.DOUBLE, b.y().rows(), 9);
    for (long row = 0; row < (long) (lag + 10) * 5; row++) {
      for (int k = 0; k < 8; k++) {
        z.putScalar(row, k, -1e4); // probability 0 (exp underflows): blank is certain
      }
    }
    for (long row = (long) (lag + 10) * 5; row < b.y().rows(); row++) {
      z.putScalar(row, 8, -1e4); // uniform over the 8 symbols, never blank
    }
    Map<String, Double> m = task.evaluate(b, z);
    assertEquals(task.expectedBaselineLoss(lag), m.get("loss"), 1e-12);
    assertEquals(Math.log(8), m.get("recall_loss"), 1e-12);
  }

  @Test
  void optionsChangeTheAlphabetTheSymbolsAndTheBaseline() {
    SequenceTask t = task.configure(Map.of("alphabet", "4", "symbols", "3"));
    assertEquals(6, t.inputSize());
    assertEquals(5, t.outputSize());
    assertEquals(10 + 6, t.steps(10));
    assertEquals(3 * Math.log(4) / 16, t.expectedBaselineLoss(10), 1e-15);
    assertEquals("3 ln 4 / (T + 6)", t.baselineText());
    assertEquals(Map.of("alphabet", 4, "symbols", 3), t.settings());
  }
}
