package io.gradsweep.report;

import java.util.Comparator;

/** How the levels of a factor are ordered and shown. */
final class Levels {
  private Levels() {}

  /** The composite factor cell/activation ({@link TrialRow#network()}). */
  static final String NETWORK = "network";

  /**
   * Numbers ascending; a value with parts ({@code global_norm:1}) part by part, numeric parts as numbers; the "no
   * setting" values {@code none} and {@code -} first, except for {@code tbptt}, where {@code none} (full BPTT, an
   * unbounded window) comes last.
   */
  static Comparator<String> order(String factor) {
    return (a, b) -> {
      int ra = rank(factor, a);
      int rb = rank(factor, b);
      if (ra != rb) {
        return Integer.compare(ra, rb);
      }
      String[] pa = a.split(":");
      String[] pb = b.split(":");
      for (int i = 0; i < Math.min(pa.length, pb.length); i++) {
        int c = part(pa[i], pb[i]);
        if (c != 0) {
          return c;
        }
      }
      return Integer.compare(pa.length, pb.length);
    };
  }

  private static int rank(String factor, String v) {
    if (v.equals("none") || v.equals("-")) {
      return factor.equals("tbptt") ? 2 : 0;
    }
    return 1;
  }

  private static int part(String a, String b) {
    Double x = number(a);
    Double y = number(b);
    if (x != null && y != null) {
      return Double.compare(x, y);
    }
    if (x != null || y != null) {
      return x != null ? -1 : 1;
    }
    return a.compareTo(b);
  }

  static Double number(String s) {
    try {
      double d = Double.parseDouble(s);
      return Double.isFinite(d) ? d : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** A level as the report shows it: {@code tbptt = none} is "full" (BPTT over the whole sequence). */
  static String label(String factor, String level) {
    if (factor.equals("tbptt") && level.equals("none")) {
      return "full";
    }
    return level;
  }

  /** A level with its factor's name where the value alone is unclear: {@code T = 60}, {@code lr = 0.003}. */
  static String named(String factor, String level) {
    return switch (factor) {
      case NETWORK, "optimizer", "init", "task" -> level;
      case "seq_len" -> "T = " + level;
      case "tbptt" -> level.equals("none") ? "full BPTT" : "k = " + level;
      case "clip" -> level.equals("none") ? "no clipping" : "clip " + level;
      default -> factor + " = " + level;
    };
  }

  /** What a factor is, for the report's prose. */
  static String describe(String factor) {
    return switch (factor) {
      case NETWORK -> "network (cell / activation)";
      case "seq_len" -> "sequence length T";
      case "clip" -> "gradient clipping";
      case "tbptt" -> "truncation window k";
      case "lr" -> "learning rate";
      case "hidden" -> "hidden units";
      case "layers" -> "layers";
      case "init" -> "initialisation";
      case "batch_size" -> "batch size";
      case "max_steps" -> "step budget";
      default -> factor;
    };
  }
}
