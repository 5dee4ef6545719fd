package io.gradsweep.spec;

import java.util.Arrays;
import java.util.List;

/** The tasks a spec may name, with what the parser needs to validate settings against them. */
enum KnownTask {
  /**
   * The adding problem (Hochreiter and Schmidhuber 1997): predicting the constant 1 (the mean target) gives an MSE
   * of 1/6, so a solve threshold must be below it.
   */
  ADDING("adding", 1.0 / 6.0, "1/6");

  private final String word;
  private final double baselineLoss;
  private final String baselineText;

  KnownTask(String word, double baselineLoss, String baselineText) {
    this.word = word;
    this.baselineLoss = baselineLoss;
    this.baselineText = baselineText;
  }

  String word() {
    return word;
  }

  /** Eval loss of the best constant prediction; a solve threshold must be below it. */
  double baselineLoss() {
    return baselineLoss;
  }

  String baselineText() {
    return baselineText;
  }

  static List<String> words() {
    return Arrays.stream(values()).map(KnownTask::word).toList();
  }

  static KnownTask byWord(String w) {
    return Arrays.stream(values()).filter(t -> t.word.equals(w)).findFirst().orElseThrow();
  }
}
