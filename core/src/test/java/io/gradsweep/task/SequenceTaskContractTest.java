package io.gradsweep.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.plugin.Registry;
import io.gradsweep.plugin.UnknownPluginException;
import io.gradsweep.tracking.Names;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What every registered {@link SequenceTask} must do (see its javadoc), run for every task the registry finds:
 * properties, not particular numbers.
 */
class SequenceTaskContractTest {

  /** Every registered task with its default options, and each task with options once more with other values. */
  static Stream<Named<SequenceTask>> tasks() {
    Stream<Named<SequenceTask>> defaults = SequenceTasks.all().stream().map(t -> Named.of(t.name(), t));
    Stream<Named<SequenceTask>> others = SequenceTasks.all().stream().filter(t -> !t.options().isEmpty()).map(t -> {
      Map<String, String> o = new LinkedHashMap<>();
      t.options().forEach(opt -> o.put(opt.key(), Integer.toString(opt.defaultValue() == opt.max() ? opt.min()
          : opt.max() <= 8 ? opt.max() : opt.min() + 1)));
      SequenceTask c = t.configure(o);
      return Named.of(c.name() + " " + o, c);
    });
    return Stream.concat(defaults, others);
  }

  /** The number of target rows of a batch of the task. */
  static long targetRows(SequenceTask task, int seqLen, int size) {
    return task.targetsEveryStep() ? (long) task.steps(seqLen) * size : size;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tasks")
  void nameIsALowerCaseWordKnownToTheRegistry(SequenceTask task) {
    assertTrue(Registry.NAME.matcher(task.name()).matches(), task.name());
    assertEquals(task.getClass(), SequenceTasks.byName(task.name()).getClass());
    assertSame(SequenceTasks.byName(task.name()), SequenceTasks.configured(task.name(), Map.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tasks")
  void configuringWithItsOwnSettingsGivesAnEqualTaskAndUnknownOptionsFail(SequenceTask task) {
    Map<String, String> own = task.optionParams();
    assertEquals(task.options().stream().map(TaskOption::key).toList(), List.copyOf(own.keySet()));
    assertEquals(task, task.configure(own));
    assertEquals(task.settings(), task.configure(own).settings());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> task.configure(Map.of("no_such_option", "1")));
    assertTrue(e.getMessage().contains("no_such_option") && e.getMessage().contains(task.name()), e.getMessage());
    for (TaskOption o : task.options()) {
      IllegalArgumentException out = assertThrows(IllegalArgumentException.class,
          () -> task.configure(Map.of(o.key(), Integer.toString(o.max() + 1))));
      assertTrue(out.getMessage().contains(o.key()) && out.getMessage().contains(Integer.toString(o.max() + 1)),
          out.getMessage());
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tasks")
  void shapesFollowTheSizes(SequenceTask task) {
    assertTrue(task.inputSize() >= 1 && task.outputSize() >= 1);
    int min = task.minSeqLen();
    assertTrue(min >= 1, "min seq_len " + min);
    for (int seqLen : new int[] {min, min + 1, min + 17}) {
      int steps = task.steps(seqLen);
      assertTrue(steps >= seqLen, "steps " + steps + " for seq_len " + seqLen);
      for (int size : new int[] {1, 5}) {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
          Batch b = task.sample(seqLen, size, new SplittableRandom(1), dt);
          String what = task.name() + " T=" + seqLen + " B=" + size + " " + dt;
          assertArrayEquals(new long[] {(long) steps * size, task.inputSize()}, b.x().shape(), what);
          assertArrayEquals(new long[] {targetRows(task, seqLen, size), task.outputSize()}, b.y().shape(), what);
          if (task.loss() == SequenceTask.Loss.CROSS_ENTROPY) {
            INDArray y = b.y().castTo(DataType.DOUBLE);
            assertEquals(y.rows(), y.eq(1.0).castTo(DataType.DOUBLE).sumNumber().doubleValue(), 0.0,
                what + ": one 1 per target row");
            assertEquals(y.rows(), y.sumNumber().doubleValue(), 0.0, what + ": one-hot target rows");
          }
          assertEquals(steps, b.steps(), what);
          assertEquals(size, b.size(), what);
          assertEquals(dt, b.x().dataType(), what);
          assertEquals(dt, b.y().dataType(), what);
          assertTrue(Double.isFinite(b.x().sumNumber().doubleValue()) && Double.isFinite(
              b.y().sumNumber().doubleValue()), what);
        }
      }
    }
    if (min > 1) {
      assertThrows(IllegalArgumentException.class, () -> task.sample(min - 1, 2, new SplittableRandom(1),
          DataType.DOUBLE));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tasks")
  void sameSeedSameBatchAndSameDrawsOtherSeedsOtherBatches(SequenceTask task) {
    SplittableRandom r1 = new SplittableRandom(42);
    SplittableRandom r2 = new SplittableRandom(42);
    int len = Math.max(12, task.minSeqLen());
    Batch a = task.sample(len, 8, r1, DataType.DOUBLE);
    Batch b = task.sample(len, 8, r2, DataType.DOUBLE);
    assertEquals(a.x(), b.x());
    assertEquals(a.y(), b.y());
    assertEquals(r1.nextLong(), r2.nextLong(), "the same number of draws from the generator");
    Batch c = task.sample(len, 8, new SplittableRandom(43), DataType.DOUBLE);
    assertNotEquals(a.x(), c.x(), "another seed gives another batch");
    // the next batch from the same generator differs from the first
    Batch d = task.sample(len, 8, r1, DataType.DOUBLE);
    assertNotEquals(a.x(), d.x());
  }

  /**
   * The closed-form baselines against simulation: K batches of n, the mean of their baseline losses (and of the
   * baseline's solve-metric values) within 5 standard errors (estimated from the K batch values themselves) of
   * {@link SequenceTask#expectedBaselineLoss(int)} (and {@link SolveRule#baseline()}).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("tasks")
  void expectedBaselinesMatchSimulation(SequenceTask task) {
    int k = 200;
    int n = 100;
    int seqLen = Math.max(20, task.minSeqLen());
    SplittableRandom rng = new SplittableRandom(2026);
    double[] loss = new double[k];
    double[] solve = new double[k];
    for (int i = 0; i < k; i++) {
      Batch b = task.sample(seqLen, n, rng, DataType.DOUBLE);
      loss[i] = task.baselineLoss(b);
      solve[i] = task.baselineSolveValue(b);
    }
    assertWithinStandardErrors(task.name() + " baseline loss", task.expectedBaselineLoss(seqLen), loss);
    assertWithinStandardErrors(task.name() + " baseline " + task.solveRule().metric(), task.solveRule().baseline(),
        solve);
  }

  private static void assertWithinStandardErrors(String what, double expected, double[] values) {
    int k = values.length;
    double mean = java.util.Arrays.stream(values).average().orElseThrow();
    double ss = java.util.Arrays.stream(values).map(v -> (v - mean) * (v - mean)).sum();
    double standardError = Math.sqrt(ss / (k - 1)) / Math.sqrt(k);
    assertTrue(expected > 0 && Double.isFinite(expected), what + ": expected " + expected);
    assertEquals(expected, mean, Math.max(5 * standardError, 1e-12 * expected),
        what + ": simulated " + mean + " +- " + standardError);
  }

  /** The solve rule's text is its baseline: a fraction {@code a/b} or a decimal, equal to it to its precision. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("tasks")
  void solveRuleTextWritesItsBaselineAndItsDefaultThresholdIsValid(SequenceTask task) {
    SolveRule rule = task.solveRule();
    String text = rule.baselineText();
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
    assertEquals(rule.baseline(), value, precision * Math.max(1, value), text);
    assertTrue(rule.validThreshold(rule.defaultThreshold()), rule.toString());
    assertFalse(rule.validThreshold(rule.baseline()), "the baseline itself is not a valid threshold");
    assertFalse(rule.solved(rule.baseline(), rule.defaultThreshold()), "the baseline does not solve the task");
  }

  /**
   * {@link SequenceTask#evaluate}: {@code loss} first, the solve metric among the keys, and a perfect output (the
   * targets, or logits 30 * target for cross-entropy) solves the task with a loss near 0.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("tasks")
  void evaluateGivesTheLossAndTheSolveMetric(SequenceTask task) {
    Batch b = task.sample(Math.max(15, task.minSeqLen()), 6, new SplittableRandom(3), DataType.DOUBLE);
    INDArray perfect = task.loss() == SequenceTask.Loss.MSE ? b.y().dup() : b.y().mul(30.0);
    Map<String, Double> m = task.evaluate(b, perfect);
    assertEquals("loss", m.keySet().iterator().next(), m.toString());
    SolveRule rule = task.solveRule();
    assertTrue(m.containsKey(rule.metric()), m.toString());
    assertTrue(m.get("loss") < 1e-9, m.toString());
    assertTrue(rule.solved(m.get(rule.metric()), rule.defaultThreshold()), m.toString());
    for (String key : m.keySet()) {
      assertTrue(Names.asMap().get("metrics").containsValue(Names.evalMetric(key)),
          "eval metric " + Names.evalMetric(key) + " is spelled in tracking.Names");
      assertTrue(key.equals("loss") || Names.asMap().get("metrics").containsValue(Names.finalEvalMetric(key)),
          "final metric " + Names.finalEvalMetric(key) + " is spelled in tracking.Names");
    }
    // a constant output does not solve it
    Map<String, Double> flat = task.evaluate(b, perfect.mul(0.0));
    assertFalse(rule.solved(flat.get(rule.metric()), rule.defaultThreshold()), flat.toString());
  }

  @Test
  void anUnknownTaskIsNamedWithTheKnownOnes() {
    UnknownPluginException e = assertThrows(UnknownPluginException.class, () -> SequenceTasks.byName("addding"));
    assertEquals("unknown task \"addding\"; known tasks: " + String.join(", ", SequenceTasks.names())
        + "; did you mean \"adding\"?", e.getMessage());
  }
}
