package io.gradsweep.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** The temporal order task (H&S 1997, Pascanu et al. 2013): positions, classes and baselines. */
class TemporalOrderTaskTest {

  @ParameterizedTest(name = "relevant={0}")
  @ValueSource(ints = {2, 3})
  void relevantSymbolsSitInTheirRangesAndTheClassIsTheirOrder(int relevant) {
    TemporalOrderTask task = new TemporalOrderTask(relevant);
    int len = 100;
    int size = 64;
    Batch b = task.sample(len, size, new SplittableRandom(9), DataType.DOUBLE);
    int[][] ranges = relevant == 2 ? new int[][] {{10, 20}, {50, 60}} : new int[][] {{10, 20}, {30, 40}, {60, 70}};
    for (int k = 0; k < relevant; k++) {
      assertArrayEquals(ranges[k], task.range(k, len));
    }
    int[] classCounts = new int[1 << relevant];
    for (int i = 0; i < size; i++) {
      List<Integer> at = new ArrayList<>();
      int cls = 0;
      for (int t = 0; t < len; t++) {
        int s = b.x().getRow((long) t * size + i).argMax().getInt(0);
        if (s < 2) {
          at.add(t);
          cls = 2 * cls + s;
        }
      }
      assertEquals(relevant, at.size(), "example " + i + ": relevant symbols at " + at);
      for (int k = 0; k < relevant; k++) {
        assertTrue(at.get(k) >= ranges[k][0] && at.get(k) < ranges[k][1], "symbol " + k + " at " + at.get(k));
      }
      int target = b.y().getRow(i).argMax().getInt(0);
      assertEquals(cls, target, "example " + i);
      classCounts[target]++;
    }
    for (int c : classCounts) {
      assertTrue(c > 0, "every class occurs in 64 draws");
    }
  }

  @Test
  void baselinesAreLnFourAndLnEightAnd75And87Point5PercentError() {
    SequenceTask two = new TemporalOrderTask(2);
    SequenceTask three = new TemporalOrderTask(3);
    assertEquals(Math.log(4), two.expectedBaselineLoss(50), 0.0);
    assertEquals(Math.log(8), three.expectedBaselineLoss(50), 0.0);
    assertEquals(0.75, 1 - two.solveRule().baseline(), 0.0);
    assertEquals(0.875, 1 - three.solveRule().baseline(), 0.0);
    assertEquals("ln 4", two.baselineText());
    assertEquals(4, two.outputSize());
    assertEquals(8, three.outputSize());
    assertEquals(three, SequenceTasks.configured("temporal_order", Map.of("relevant", "3")));
  }

  @Test
  void theShortestSequenceStillSeparatesTheSymbols() {
    TemporalOrderTask task = new TemporalOrderTask(3);
    int min = task.minSeqLen();
    int previousEnd = 0;
    for (int k = 0; k < 3; k++) {
      int[] r = task.range(k, min);
      assertTrue(r[0] >= previousEnd && r[1] > r[0], "range " + k + " " + r[0] + ".." + r[1]);
      previousEnd = r[1];
    }
  }
}
