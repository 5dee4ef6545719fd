package io.gradsweep.spec;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Reads a {@link Distribution} written as a one-key mapping, {@code {log_uniform: [1e-4, 1e-1]}}, for an axis (or a
 * clip threshold) that allows some distribution words; every problem names the path, the value and what is
 * allowed.
 */
final class DistributionReader {
  private DistributionReader() {}

  /** Where distributions are allowed, for messages about axes that take none. */
  static final String WHERE_ALLOWED = "distributions (" + String.join(", ", Distribution.WORDS) + ") apply to lr, "
      + "seq_len, tbptt, hidden, layers and a clip threshold";

  /**
   * The distribution {@code n} describes.
   *
   * @param what the axis or field in messages, e.g. {@code lr} or {@code clip threshold}
   * @param allowed the distribution words this field takes
   * @param orElse what else the field takes, e.g. {@code or a list of values (each equally likely)}
   * @param bound reads and validates one bound (fails with a SpecException naming the bound's path)
   */
  static Distribution read(SpecNode n, String what, List<String> allowed, String orElse,
      ToDoubleFunction<SpecNode> bound) {
    String takes = what + " takes " + String.join(", ", allowed.stream().map(w -> "{" + w + ": [low, high]}")
        .toList()) + " " + orElse;
    List<String> keys = n.keys();
    if (!n.isMapping() || keys.size() != 1 || n.mapping(what, keys).size() != 1) {
      throw n.expected("a distribution: a mapping with one key, e.g. " + example(allowed.get(0)) + "; " + takes);
    }
    String word = keys.get(0);
    if (!allowed.contains(word)) {
      if (Distribution.WORDS.contains(word)) {
        throw n.error("distribution " + word + " is not allowed for " + what + "; " + takes);
      }
      String hint = SpecMessages.suggestion(word, allowed);
      if (hint.isEmpty()) {
        hint = SpecMessages.suggestion(word, Distribution.WORDS);
      }
      throw n.error("unknown distribution " + SpecMessages.quote(word) + " for " + what + "; " + takes + hint);
    }
    SpecNode range = n.peek(word);
    if (!range.isSequence() || range.items("[low, high]").size() != 2) {
      throw range.expected("[low, high], two bounds, e.g. " + example(word));
    }
    List<SpecNode> bounds = range.items("[low, high]");
    double low = bound.applyAsDouble(bounds.get(0));
    double high = bound.applyAsDouble(bounds.get(1));
    if (!(low < high)) {
      throw range.error("the low bound must be below the high bound, got " + range.shown() + "; for a single value "
          + "write a list, e.g. [" + bounds.get(0).text() + "]");
    }
    return switch (word) {
      case Distribution.Uniform.WORD -> new Distribution.Uniform(low, high);
      case Distribution.LogUniform.WORD -> new Distribution.LogUniform(low, high);
      case Distribution.IntUniform.WORD -> new Distribution.IntUniform((int) low, (int) high);
      case Distribution.LogIntUniform.WORD -> new Distribution.LogIntUniform((int) low, (int) high);
      default -> throw new IllegalStateException(word);
    };
  }

  private static String example(String word) {
    return switch (word) {
      case Distribution.Uniform.WORD -> "{uniform: [0.5, 5]}";
      case Distribution.LogUniform.WORD -> "{log_uniform: [0.0001, 0.1]}";
      case Distribution.IntUniform.WORD -> "{int_uniform: [16, 256]}";
      default -> "{log_int_uniform: [16, 256]}";
    };
  }
}
