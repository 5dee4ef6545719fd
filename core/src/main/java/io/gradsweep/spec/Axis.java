package io.gradsweep.spec;

import io.gradsweep.util.Canon;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.DoublePredicate;
import java.util.function.Function;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * One swept dimension of a grid: its YAML key, the values allowed, the default and the canonical text of a value.
 *
 * <p>The declaration order is the canonical axis order: grid expansion varies the last axis ({@link #SEEDS})
 * fastest, whatever the order of the keys in the file. Values have these Java types: {@code String} for
 * {@link #CELL}, {@link #ACTIVATION}, {@link #OPTIMIZER}, {@link #INIT}; {@code Integer} for {@link #SEQ_LEN},
 * {@link #TBPTT} (0 = none), {@link #HIDDEN}, {@link #LAYERS}; {@code Double} for {@link #LR}; {@code Long} for
 * {@link #SEEDS}; {@link ClipSpec} for {@link #CLIP}. For a sampled search ({@code random}, {@code sobol}) an
 * axis may instead hold one {@link Distribution} (the axes of {@link #distributions()}), and the clip axis
 * {@link ClipRange}s (a mode with a sampled threshold) among its values.
 */
public enum Axis {
  /** Recurrent cell type: a registered {@link io.gradsweep.engine.CellFactory}. Required. */
  CELL("cell", Rule.words(io.gradsweep.engine.Cells.names()), null),
  /**
   * Activation of the cells that use one ({@link #ACTIVATION_CELLS}: a vanilla rnn); gated cells have none.
   * Default [tanh] (applied to those cells only).
   */
  ACTIVATION("activation", Rule.words(List.of("tanh", "relu", "sigmoid", "identity")), List.of("tanh")),
  /** Sequence length T. Required. */
  SEQ_LEN("seq_len", Rule.ints(2, Rule.MAX_SEQ_LEN), null),
  /** Gradient clipping. Default [none]. */
  CLIP("clip", new Rule("none or {mode: " + String.join("|", clipModes()) + ", threshold: number > 0}",
      Axis::readClip), List.of(ClipSpec.NONE)),
  /** Truncated-BPTT window k, 0 for none (full backpropagation through time). Default [none]. */
  TBPTT("tbptt", new Rule("none or an integer 1..seq_len", Axis::readTbptt), List.of(0)),
  /** Optimizer: a registered {@link io.gradsweep.optim.Optimizer}. Default [adam]. */
  OPTIMIZER("optimizer", Rule.words(io.gradsweep.optim.Optimizers.names()), List.of("adam")),
  /** Learning rate. Default [0.001]. */
  LR("lr", Rule.number("a finite number 0 < lr <= 10", x -> x > 0 && x <= 10), List.of(0.001)),
  /** Hidden units per recurrent layer. Default [32]. */
  HIDDEN("hidden", Rule.ints(1, 4096), List.of(32)),
  /** Stacked recurrent layers. Default [1]. */
  LAYERS("layers", Rule.ints(1, 8), List.of(1)),
  /**
   * Weight initialisation scheme: default, identity, orthogonal, or {scheme: ..., spectral_radius: r} to rescale
   * each recurrent gate block to spectral radius r. Values are the canonical text of
   * {@link io.gradsweep.engine.InitScheme}, e.g. {@code orthogonal:rho=0.9}. Default [default].
   */
  INIT("init", new Rule("one of " + initWords() + ", or {scheme: " + initWords().replace(", ", "|")
      + ", spectral_radius: number > 0}", Axis::readInit), List.of("default")),
  /** Seeds of weights and training data. Default [0]. */
  SEEDS("seeds", new Rule("an integer >= 0", n -> n.integer(0L, Long.MAX_VALUE)), List.of(0L));

  /** The cells an activation applies to: those whose factory {@code usesActivation()}, in registry order. */
  public static final List<String> ACTIVATION_CELLS = io.gradsweep.engine.Cells.activationCells();

  private static final List<String> CLIP_KEYS = List.of("mode", "threshold");
  private static final List<String> INIT_KEYS = List.of("scheme", "spectral_radius");

  /** The distributions a clip threshold may be sampled from. */
  static final List<String> REAL_DISTRIBUTIONS = List.of(Distribution.Uniform.WORD, Distribution.LogUniform.WORD);
  /** The distributions an integer axis may be sampled from. */
  static final List<String> INT_DISTRIBUTIONS = List.of(Distribution.IntUniform.WORD, Distribution.LogIntUniform.WORD);

  /** What a value may be, in words, and how to read one. */
  private record Rule(String allowed, Function<SpecNode, Object> reader) {
    static final int MAX_SEQ_LEN = 100_000;

    static Rule words(List<String> words) {
      List<String> w = List.copyOf(words);
      return new Rule("one of " + String.join(", ", w), n -> n.word(w));
    }

    static Rule ints(int min, int max) {
      return new Rule("an integer " + SpecNode.range(min, max), n -> n.integer(min, max));
    }

    static Rule number(String allowed, DoublePredicate ok) {
      return new Rule(allowed, n -> n.number(allowed, ok));
    }
  }

  private final String key;
  private final Rule rule;
  private final List<Object> defaults;

  Axis(String key, Rule rule, List<?> defaults) {
    this.key = key;
    this.rule = rule;
    this.defaults = defaults == null ? null : List.copyOf(defaults);
  }

  /** The YAML key, e.g. {@code seq_len}. */
  public String key() {
    return key;
  }

  /** What a value may be, in words, e.g. {@code an integer 1..4096}. */
  public String allowed() {
    return rule.allowed();
  }

  /** Whether every grid (or variant) must give this axis. */
  public boolean required() {
    return defaults == null;
  }

  /**
   * The distribution words this axis may be sampled from ({@code uniform}, {@code log_uniform} for lr;
   * {@code int_uniform}, {@code log_int_uniform} for seq_len, tbptt, hidden and layers); empty for the axes that
   * take lists only (a list is a choice, each value equally likely). The clip axis takes lists, whose
   * {@code threshold} may be a distribution ({@link ClipRange}).
   */
  public List<String> distributions() {
    return switch (this) {
      case LR -> REAL_DISTRIBUTIONS;
      case SEQ_LEN, TBPTT, HIDDEN, LAYERS -> INT_DISTRIBUTIONS;
      default -> List.of();
    };
  }

  /** An example list for messages and docs, e.g. {@code [rnn, lstm]}. */
  public String example() {
    return switch (this) {
      case CELL -> "[rnn, lstm]";
      case SEQ_LEN -> "[20, 50]";
      default -> GridBlock.text(this, defaults);
    };
  }

  /** The values used when a grid does not give this axis; empty for required axes. */
  public List<Object> defaults() {
    return defaults == null ? List.of() : defaults;
  }

  /** Canonical text of a value of this axis, as in {@link TrialSpec#params()}: {@code 0.001}, {@code global_norm:1}. */
  public String text(Object value) {
    if (value instanceof Distribution d) {
      return d.canonical();
    }
    if (value instanceof ClipRange r) {
      return r.canonical();
    }
    return switch (this) {
      case CLIP -> ((ClipSpec) value).canonical();
      case TBPTT -> ((Integer) value) == 0 ? "none" : value.toString();
      case LR -> Canon.num((Double) value);
      default -> String.valueOf(value);
    };
  }

  /** The axis with this YAML key, or null. */
  public static Axis byKey(String key) {
    for (Axis a : values()) {
      if (a.key.equals(key)) {
        return a;
      }
    }
    return null;
  }

  /** The YAML keys of all axes, in canonical order. */
  public static List<String> keys() {
    return Arrays.stream(values()).map(Axis::key).toList();
  }

  private static String initWords() {
    return io.gradsweep.engine.InitScheme.allowed();
  }

  /** The clip modes that take a threshold. */
  private static List<String> clipModes() {
    return Arrays.stream(ClipMode.values()).filter(m -> m != ClipMode.NONE).map(ClipMode::word).toList();
  }

  /** Reads one value of this axis. */
  Object read(SpecNode n) {
    return rule.reader().apply(n);
  }

  /** Reads one bound of a distribution on this axis (one of {@link #distributions()}), validated like a value. */
  double readBound(SpecNode n) {
    return switch (this) {
      case TBPTT -> n.integer(1, Rule.MAX_SEQ_LEN, "an integer 1.." + Rule.MAX_SEQ_LEN + " (the truncation window k)");
      case LR -> (Double) read(n);
      case SEQ_LEN, HIDDEN, LAYERS -> (Integer) read(n);
      default -> throw new IllegalStateException(key + " takes no distribution");
    };
  }

  private static Object readTbptt(SpecNode n) {
    if (n.isNone()) {
      return 0;
    }
    String allowed = TBPTT.allowed() + " (the truncation window k)";
    if (n.is(Tag.INT)) {
      return (int) n.integer(1, Rule.MAX_SEQ_LEN, allowed);
    }
    throw n.expected(allowed, n.is(Tag.STR) ? SpecMessages.suggestion(n.text(), List.of("none")) : null);
  }

  /** A scheme word, or {@code {scheme: word, spectral_radius: r}}; returns the canonical text. */
  private static Object readInit(SpecNode n) {
    List<String> words = java.util.Arrays.stream(io.gradsweep.engine.InitScheme.Kind.values())
        .map(io.gradsweep.engine.InitScheme.Kind::word).toList();
    if (!n.isMapping()) {
      return n.word(words);
    }
    Map<String, SpecNode> m = n.mapping("an init setting", INIT_KEYS);
    SpecNode scheme = m.get("scheme");
    SpecNode rho = m.get("spectral_radius");
    if (scheme == null) {
      throw n.error("init setting without a scheme; write e.g. {scheme: orthogonal, spectral_radius: 0.9} (schemes: "
          + initWords() + ")");
    }
    String word = scheme.word(words);
    if (rho == null) {
      return word;
    }
    double r = rho.number("a finite number 0 < r <= 100", x -> x > 0 && x <= 100);
    return new io.gradsweep.engine.InitScheme(io.gradsweep.engine.InitScheme.Kind.valueOf(word.toUpperCase(
        java.util.Locale.ROOT)), r).canonical();
  }

  /** {@code none}, or {@code {mode: global_norm|layer_norm|value, threshold: x}}, or {@code {mode: none}}. */
  private static Object readClip(SpecNode n) {
    if (n.isNone()) {
      return ClipSpec.NONE;
    }
    if (!n.isMapping()) {
      String hint = null;
      if (n.is(Tag.STR) && clipModes().contains(n.text())) {
        hint = "a clip mode needs a threshold: write {mode: " + n.text() + ", threshold: 1.0}";
      } else if (n.is(Tag.STR)) {
        hint = SpecMessages.suggestion(n.text(), List.of("none"));
      }
      throw n.expected(CLIP.allowed(), hint);
    }
    Map<String, SpecNode> m = n.mapping("a clip setting", CLIP_KEYS);
    SpecNode mode = m.get("mode");
    SpecNode threshold = m.get("threshold");
    if (mode == null) {
      throw n.error(threshold == null
          ? "empty clip setting; write none, or {mode: global_norm, threshold: 1.0} (modes: "
              + String.join(", ", clipModes()) + ")"
          : "threshold given without a mode; write e.g. {mode: global_norm, threshold: " + threshold.text()
              + "} (modes: " + String.join(", ", clipModes()) + ")");
    }
    ClipMode cm = ClipMode.fromWord(mode.word(Arrays.stream(ClipMode.values()).map(ClipMode::word).toList()));
    if (cm == ClipMode.NONE) {
      if (threshold != null) {
        throw threshold.error("a threshold does not apply to clip mode none; remove it, or choose a mode of "
            + String.join(", ", clipModes()));
      }
      return ClipSpec.NONE;
    }
    if (threshold == null) {
      throw n.error("clip mode " + cm.word() + " needs a threshold, e.g. {mode: " + cm.word()
          + ", threshold: 1.0}");
    }
    if (threshold.isMapping()) {
      return new ClipRange(cm, DistributionReader.read(threshold, "a clip threshold", REAL_DISTRIBUTIONS,
          "(with search.strategy random or sobol) or a finite number > 0",
          b -> b.number("a finite number > 0", x -> x > 0)));
    }
    return new ClipSpec(cm, threshold.number("a finite number > 0", x -> x > 0));
  }
}
