package io.gradsweep.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.plugin.Registry;
import io.gradsweep.plugin.UnknownPluginException;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What every registered {@link SequenceTask} must do (see its javadoc), run for every task the registry finds:
 * properties, not particular numbers.
 */
class SequenceTaskContractTest {

  static Stream<Named<SequenceTask>> tasks() {
    return SequenceTasks.all().stream().map(t -> Named.of(t.name(), t));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tasks")
  void nameIsALowerCaseWordKnownToTheRegistry(SequenceTask task) {
    assertTrue(Registry.NAME.matcher(task.name()).matches(), task.name());
    assertSame(task, SequenceTasks.byName(task.name()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tasks")
  void shapesFollowTheSizes(SequenceTask task) {
    assertTrue(task.inputSize() >= 1 && task.outputSize() >= 1);
    for (int steps : new int[] {2, 3, 17}) {
      for (int size : new int[] {1, 5}) {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
          Batch b = task.sample(steps, size, new SplittableRandom(1), dt);
          String what = task.name() + " T=" + steps + " B=" + size + " " + dt;
          assertArrayEquals(new long[] {(long) steps * size, task.inputSize()}, b.x().shape(), what);
          assertArrayEquals(new long[] {size, task.outputSize()}, b.y().shape(), what);
          assertEquals(steps, b.steps(), what);
          assertEquals(size, b.size(), what);
          assertEquals(dt, b.x().dataType(), what);
          assertEquals(dt, b.y().dataType(), what);
          assertTrue(Double.isFinite(b.x().sumNumber().doubleValue()) && Double.isFinite(
              b.y().sumNumber().doubleValue()), what);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tasks")
  void sameSeedSameBatchAndSameDrawsOtherSeedsOtherBatches(SequenceTask task) {
    SplittableRandom r1 = new SplittableRandom(42);
    SplittableRandom r2 = new SplittableRandom(42);
    Batch a = task.sample(12, 8, r1, DataType.DOUBLE);
    Batch b = task.sample(12, 8, r2, DataType.DOUBLE);
    assertEquals(a.x(), b.x());
    assertEquals(a.y(), b.y());
    assertEquals(r1.nextLong(), r2.nextLong(), "the same number of draws from the generator");
    Batch c = task.sample(12, 8, new SplittableRandom(43), DataType.DOUBLE);
    assertNotEquals(a.x(), c.x(), "another seed gives another batch");
    // the next batch from the same generator differs from the first
    Batch d = task.sample(12, 8, r1, DataType.DOUBLE);
    assertNotEquals(a.x(), d.x());
  }

  /**
   * The closed-form baseline against simulation: K batches of n, the mean of their baseline losses within 5
   * standard errors (estimated from the K batch losses themselves) of {@link SequenceTask#expectedBaselineLoss()}.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("tasks")
  void expectedBaselineMatchesSimulation(SequenceTask task) {
    int k = 200;
    int n = 100;
    SplittableRandom rng = new SplittableRandom(2026);
    double sum = 0;
    double sumSq = 0;
    for (int i = 0; i < k; i++) {
      double loss = task.baselineLoss(task.sample(20, n, rng, DataType.DOUBLE));
      sum += loss;
      sumSq += loss * loss;
    }
    double mean = sum / k;
    double sd = Math.sqrt(Math.max(0, (sumSq - k * mean * mean) / (k - 1)));
    double standardError = sd / Math.sqrt(k);
    double expected = task.expectedBaselineLoss();
    assertTrue(expected > 0 && Double.isFinite(expected), "expected baseline " + expected);
    assertEquals(expected, mean, Math.max(5 * standardError, 1e-12 * expected),
        task.name() + ": simulated " + mean + " +- " + standardError);
  }

  /** The text is the value: a fraction {@code a/b} or a decimal, equal to the expected loss to its precision. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("tasks")
  void baselineTextWritesTheExpectedLoss(SequenceTask task) {
    String text = task.baselineText();
    double value;
    double precision;
    if (text.matches("[0-9]+/[0-9]+")) {
      String[] ab = text.split("/");
      value = Double.parseDouble(ab[0]) / Double.parseDouble(ab[1]);
      precision = 1e-12;
    } else {
      assertTrue(text.matches("[0-9]*\\.?[0-9]+"), "a fraction a/b or a decimal, got " + text);
      value = Double.parseDouble(text);
      int decimals = text.contains(".") ? text.length() - text.indexOf('.') - 1 : 0;
      precision = 0.5 * Math.pow(10, -decimals);
    }
    assertEquals(task.expectedBaselineLoss(), value, precision * Math.max(1, value), text);
  }

  @Test
  void anUnknownTaskIsNamedWithTheKnownOnes() {
    UnknownPluginException e = assertThrows(UnknownPluginException.class, () -> SequenceTasks.byName("addding"));
    assertEquals("unknown task \"addding\"; known tasks: " + String.join(", ", SequenceTasks.names())
        + "; did you mean \"adding\"?", e.getMessage());
  }
}
