package io.gradsweep.task;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The copy memory task in the form of Arjovsky et al. 2016 (uRNN, section 4.1), with targets at every step.
 *
 * <p>With alphabet a (default 8), S symbols to copy (default 10) and lag T ({@code seq_len}), a sequence has T + 2S
 * steps: S symbols drawn uniformly from the a categories, then T - 1 blanks, a delimiter, then S blanks. The target
 * is the blank for the first T + S steps and then the S symbols in order. Inputs are one-hot over a + 2 symbols
 * (categories 0..a-1, blank a, delimiter a+1); targets one-hot over a + 1 classes (categories, blank). The TCN
 * paper's generator differs (its last S + 1 inputs are all the delimiter); this is the uRNN one.
 *
 * <p>Loss: softmax cross-entropy averaged over all T + 2S steps ({@code loss}); also reported over the S recall
 * steps ({@code recall_loss}) with the share of recalled symbols that are right ({@code recall_accuracy}).
 *
 * <p>Memoryless baseline (uRNN): predict the blank for the first T + S steps and a uniform guess among the a
 * categories at the recall steps: cross-entropy S ln a / (T + 2S) over all steps (10 ln 8 / (T + 20): 0.1733 at
 * T = 100), ln a over the recall steps, recall accuracy 1/a. Solved: recall accuracy >= 0.99 by default.
 */
public final class CopyTask implements SequenceTask {
  static final TaskOption ALPHABET = new TaskOption("alphabet", "categories of the symbols to copy", 8, 2, 64);
  static final TaskOption SYMBOLS = new TaskOption("symbols", "symbols to copy", 10, 1, 100);

  private final int alphabet;
  private final int symbols;

  /** The uRNN form: alphabet 8, 10 symbols. */
  public CopyTask() {
    this(ALPHABET.defaultValue(), SYMBOLS.defaultValue());
  }

  public CopyTask(int alphabet, int symbols) {
    if (alphabet < ALPHABET.min() || alphabet > ALPHABET.max() || symbols < SYMBOLS.min()
        || symbols > SYMBOLS.max()) {
      throw new IllegalArgumentException("copy: alphabet must be " + ALPHABET.min() + ".." + ALPHABET.max()
          + " and symbols " + SYMBOLS.min() + ".." + SYMBOLS.max() + ", got " + alphabet + ", " + symbols);
    }
    this.alphabet = alphabet;
    this.symbols = symbols;
  }

  @Override
  public String name() {
    return "copy";
  }

  @Override
  public int inputSize() {
    return alphabet + 2;
  }

  @Override
  public int outputSize() {
    return alphabet + 1;
  }

  @Override
  public Loss loss() {
    return Loss.CROSS_ENTROPY;
  }

  @Override
  public boolean targetsEveryStep() {
    return true;
  }

  @Override
  public int steps(int seqLen) {
    return seqLen + 2 * symbols;
  }

  @Override
  public int minSeqLen() {
    return 1;
  }

  @Override
  public String seqLenMeaning() {
    return "lag T (a sequence has T + " + 2 * symbols + " steps)";
  }

  /** The first recall step of a sequence for lag {@code seqLen}: T + S. */
  public int firstRecallStep(int seqLen) {
    return seqLen + symbols;
  }

  @Override
  public Batch sample(int seqLen, int size, SplittableRandom rng, DataType dtype) {
    if (seqLen < minSeqLen()) {
      throw new IllegalArgumentException("the copy task needs a lag seq_len >= 1, got " + seqLen);
    }
    int steps = steps(seqLen);
    int in = inputSize();
    int out = outputSize();
    int blank = alphabet;
    int delimiter = alphabet + 1;
    double[] x = new double[steps * size * in];
    double[] y = new double[steps * size * out];
    int recall = firstRecallStep(seqLen);
    for (int i = 0; i < size; i++) {
      int[] word = new int[symbols];
      for (int s = 0; s < symbols; s++) {
        word[s] = rng.nextInt(alphabet);
      }
      for (int t = 0; t < steps; t++) {
        int row = t * size + i;
        int input = t < symbols ? word[t] : t == seqLen + symbols - 1 ? delimiter : blank;
        int target = t >= recall ? word[t - recall] : blank;
        x[row * in + input] = 1.0;
        y[row * out + target] = 1.0;
      }
    }
    INDArray xa = Batch.matrix(x, (long) steps * size, in, dtype);
    INDArray ya = Batch.matrix(y, (long) steps * size, out, dtype);
    return new Batch(xa, ya, steps, size);
  }

  /**
   * The memoryless predictor's cross-entropy on {@code batch}, averaged over all steps: probability 1 on the blank
   * before the recall steps, 1/a on each category at them (infinite if a target is not what it can predict).
   */
  @Override
  public double baselineLoss(Batch batch) {
    double[] y = batch.y().castTo(DataType.DOUBLE).dup('c').data().asDouble();
    int out = outputSize();
    int recall = batch.steps() - symbols;
    double ce = 0;
    for (int row = 0; row < batch.steps() * batch.size(); row++) {
      int t = row / batch.size();
      int target = Metrics.argmax(y, row * out, out);
      double p = t < recall ? (target == alphabet ? 1.0 : 0.0) : (target < alphabet ? 1.0 / alphabet : 0.0);
      ce -= Math.log(p);
    }
    return ce / ((double) batch.steps() * batch.size());
  }

  @Override
  public double expectedBaselineLoss(int seqLen) {
    return symbols * Math.log(alphabet) / steps(seqLen);
  }

  @Override
  public String baselineText() {
    return symbols + " ln " + alphabet + " / (T + " + 2 * symbols + ")";
  }

  @Override
  public String baselineDescription() {
    return "memoryless: blanks, then a uniform guess among the " + alphabet + " symbols";
  }

  @Override
  public SolveRule solveRule() {
    return new SolveRule("recall_accuracy", true, 0.99, 1.0 / alphabet, "1/" + alphabet, "recall accuracy");
  }

  /** The memoryless predictor guessing category 0 at every recall step: its share of right symbols. */
  @Override
  public double baselineSolveValue(Batch batch) {
    double[] y = batch.y().castTo(DataType.DOUBLE).dup('c').data().asDouble();
    int out = outputSize();
    int first = (batch.steps() - symbols) * batch.size();
    int right = 0;
    for (int row = first; row < batch.steps() * batch.size(); row++) {
      if (y[row * out] == 1.0) {
        right++;
      }
    }
    return (double) right / (batch.steps() * batch.size() - first);
  }

  @Override
  public Map<String, Double> evaluate(Batch batch, INDArray output) {
    int rows = batch.steps() * batch.size();
    boolean[] recallRows = new boolean[rows];
    for (int row = (batch.steps() - symbols) * batch.size(); row < rows; row++) {
      recallRows[row] = true;
    }
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("loss", Metrics.crossEntropy(output, batch.y(), null)[0]);
    double[] recall = Metrics.crossEntropy(output, batch.y(), recallRows);
    m.put("recall_loss", recall[0]);
    m.put("recall_accuracy", recall[1]);
    return m;
  }

  @Override
  public List<TaskOption> options() {
    return List.of(ALPHABET, SYMBOLS);
  }

  @Override
  public Map<String, Integer> settings() {
    Map<String, Integer> m = new LinkedHashMap<>();
    m.put(ALPHABET.key(), alphabet);
    m.put(SYMBOLS.key(), symbols);
    return m;
  }

  @Override
  public SequenceTask configure(Map<String, String> options) {
    SequenceTask.super.configure(withoutKnown(options));
    return new CopyTask(ALPHABET.read(options, name()), SYMBOLS.read(options, name()));
  }

  private Map<String, String> withoutKnown(Map<String, String> options) {
    Map<String, String> rest = new LinkedHashMap<>(options);
    options().forEach(o -> rest.remove(o.key()));
    return rest;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CopyTask c && c.alphabet == alphabet && c.symbols == symbols;
  }

  @Override
  public int hashCode() {
    return 31 * alphabet + symbols;
  }

  @Override
  public String toString() {
    return "copy(alphabet " + alphabet + ", symbols " + symbols + ")";
  }
}
