package io.gradsweep.task;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The temporal order problem (Hochreiter & Schmidhuber 1997, experiments 6a/6b; Pascanu, Mikolov & Bengio 2013):
 * classify the order of 2 or 3 relevant symbols placed far apart among distractors, read at the last step.
 *
 * <p>Inputs are one-hot over 6 symbols: the relevant A and B, and four distractors c, d, e, f. Each of the
 * {@code relevant} positions holds A or B (uniform, independent); every other step a uniform distractor. With
 * sequence length L ({@code seq_len}) the relevant positions are drawn uniformly from [0.1L, 0.2L) and
 * [0.5L, 0.6L) for 2 symbols (Pascanu et al. 2013), and from [0.1L, 0.2L), [0.3L, 0.4L) and [0.6L, 0.7L) for 3
 * (the 10-20, 33-43, 66-76 of H&S at L = 100); each range is floor(f L) .. floor(g L) - 1, at least one step.
 * H&S's start and end markers are left out. The class is the sequence of relevant symbols read as a binary number
 * (A = 0, B = 1): 4 classes for 2 symbols (AA, AB, BA, BB), 8 for 3. Loss: softmax cross-entropy at the last step.
 *
 * <p>Trivial baseline: the classes are equally likely, so the best prediction that ignores the input is uniform:
 * cross-entropy ln 4 (2 symbols) or ln 8 (3), and guessing one class is right 1/4 or 1/8 of the time (error 75% or
 * 87.5%). Solved (Pascanu et al.): accuracy >= 0.99 on held-out sequences, by default.
 */
public final class TemporalOrderTask implements SequenceTask {
  static final TaskOption RELEVANT = new TaskOption("relevant", "relevant symbols (2: 4 classes, 3: 8 classes)", 2,
      2, 3);
  /** Symbols of the input: A, B, then the distractors. */
  static final int SYMBOLS = 6;
  /** Where the relevant symbols go, as fractions of L: [from, to) per symbol. */
  private static final double[][] RANGES_2 = {{0.1, 0.2}, {0.5, 0.6}};
  private static final double[][] RANGES_3 = {{0.1, 0.2}, {0.3, 0.4}, {0.6, 0.7}};

  private final int relevant;

  public TemporalOrderTask() {
    this(RELEVANT.defaultValue());
  }

  public TemporalOrderTask(int relevant) {
    if (relevant < RELEVANT.min() || relevant > RELEVANT.max()) {
      throw new IllegalArgumentException("temporal_order: relevant must be 2 or 3, got " + relevant);
    }
    this.relevant = relevant;
  }

  @Override
  public String name() {
    return "temporal_order";
  }

  /** Number of relevant symbols. */
  public int relevant() {
    return relevant;
  }

  @Override
  public int inputSize() {
    return SYMBOLS;
  }

  @Override
  public int outputSize() {
    return 1 << relevant;
  }

  @Override
  public Loss loss() {
    return Loss.CROSS_ENTROPY;
  }

  /** At L = 10 every range holds one step; shorter sequences would put two symbols on one step. */
  @Override
  public int minSeqLen() {
    return 10;
  }

  /** The steps position k of a sequence of length L may take: [floor(from L), max(floor(to L), floor(from L)+1)). */
  public int[] range(int k, int seqLen) {
    double[] r = (relevant == 2 ? RANGES_2 : RANGES_3)[k];
    int lo = (int) Math.floor(r[0] * seqLen);
    int hi = Math.max(lo + 1, (int) Math.floor(r[1] * seqLen));
    return new int[] {lo, hi};
  }

  @Override
  public Batch sample(int seqLen, int size, SplittableRandom rng, DataType dtype) {
    if (seqLen < minSeqLen()) {
      throw new IllegalArgumentException("the temporal order task needs seq_len >= " + minSeqLen() + ", got "
          + seqLen);
    }
    double[] x = new double[seqLen * size * SYMBOLS];
    double[] y = new double[size * outputSize()];
    int[][] ranges = new int[relevant][];
    for (int k = 0; k < relevant; k++) {
      ranges[k] = range(k, seqLen);
    }
    for (int i = 0; i < size; i++) {
      int[] pos = new int[relevant];
      int cls = 0;
      int[] sym = new int[relevant];
      for (int k = 0; k < relevant; k++) {
        pos[k] = ranges[k][0] + rng.nextInt(ranges[k][1] - ranges[k][0]);
        sym[k] = rng.nextInt(2);
        cls = 2 * cls + sym[k];
      }
      int next = 0;
      for (int t = 0; t < seqLen; t++) {
        int s;
        if (next < relevant && t == pos[next]) {
          s = sym[next++];
        } else {
          s = 2 + rng.nextInt(SYMBOLS - 2);
        }
        x[(t * size + i) * SYMBOLS + s] = 1.0;
      }
      y[i * outputSize() + cls] = 1.0;
    }
    INDArray xa = Batch.matrix(x, (long) seqLen * size, SYMBOLS, dtype);
    INDArray ya = Batch.matrix(y, size, outputSize(), dtype);
    return new Batch(xa, ya, seqLen, size);
  }

  /** The uniform prediction's cross-entropy on {@code batch}: -mean over rows of sum_k y_k ln(1/K). */
  @Override
  public double baselineLoss(Batch batch) {
    double mass = batch.y().castTo(DataType.DOUBLE).sumNumber().doubleValue();
    return mass * Math.log(outputSize()) / batch.size();
  }

  @Override
  public double expectedBaselineLoss(int seqLen) {
    return Math.log(outputSize());
  }

  @Override
  public String baselineText() {
    return "ln " + outputSize();
  }

  @Override
  public String baselineDescription() {
    return "a uniform guess among the " + outputSize() + " orders";
  }

  @Override
  public SolveRule solveRule() {
    return new SolveRule("accuracy", true, 0.99, 1.0 / outputSize(), "1/" + outputSize(), "accuracy");
  }

  /** Always guessing class 0 (AA..A): the share of sequences it gets right. */
  @Override
  public double baselineSolveValue(Batch batch) {
    INDArray y = batch.y().castTo(DataType.DOUBLE);
    return y.getColumn(0).sumNumber().doubleValue() / batch.size();
  }

  @Override
  public Map<String, Double> evaluate(Batch batch, INDArray output) {
    double[] ce = Metrics.crossEntropy(output, batch.y(), null);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("loss", ce[0]);
    m.put("accuracy", ce[1]);
    return m;
  }

  @Override
  public List<TaskOption> options() {
    return List.of(RELEVANT);
  }

  @Override
  public Map<String, Integer> settings() {
    return Map.of(RELEVANT.key(), relevant);
  }

  @Override
  public SequenceTask configure(Map<String, String> options) {
    Map<String, String> rest = new LinkedHashMap<>(options);
    rest.remove(RELEVANT.key());
    SequenceTask.super.configure(rest);
    return new TemporalOrderTask(RELEVANT.read(options, name()));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TemporalOrderTask t && t.relevant == relevant;
  }

  @Override
  public int hashCode() {
    return relevant;
  }

  @Override
  public String toString() {
    return "temporal_order(relevant " + relevant + ")";
  }
}
