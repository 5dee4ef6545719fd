package io.gradsweep.util;

import java.util.Collection;
import java.util.Locale;

/**
 * Words in messages about user input: quoting with escapes and truncation, and "did you mean" suggestions of the
 * closest known word. Used by the spec parser and by the plugin registries, so both speak alike.
 */
public final class Words {
  /** Longest quoted value shown in a message, in characters, before it is cut with "...". */
  public static final int SHOW_LIMIT = 60;

  private Words() {}

  /**
   * The text in double quotes, with quotes, backslashes and non-printable characters escaped ({@code \n},
   * {@code \t}, {@code \u0000}...) and cut to about {@link #SHOW_LIMIT} characters.
   */
  public static String quote(String text) {
    return '"' + escape(text, SHOW_LIMIT) + '"';
  }

  /**
   * The text with quotes, backslashes and non-printable characters escaped, cut to {@code limit} characters with
   * a trailing "..." when longer.
   */
  public static String escape(String text, int limit) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (sb.length() >= limit) {
        sb.setLength(Math.max(0, limit - 3));
        sb.append("...");
        return sb.toString();
      }
      switch (cp) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (isPrintable(cp)) {
            sb.appendCodePoint(cp);
          } else {
            sb.append(String.format(Locale.ROOT, cp > 0xFFFF ? "\\U%08X" : "\\u%04X", cp));
          }
        }
      }
    }
    return sb.toString();
  }

  /**
   * Whether a code point is a visible character or a plain space: not a control, format (e.g. bidi override,
   * zero-width), separator other than space, surrogate, private-use or unassigned character.
   */
  public static boolean isPrintable(int cp) {
    return isPrintableChar(cp);
  }

  /**
   * {@code text} as one file name that is safe in any directory: each character other than A-Z a-z 0-9 . _ - (a
   * '/' of an MLflow experiment path such as {@code /Users/name@example.com/sweeps}, a '\', a space...) becomes
   * '_', and a leading '.' gets a '_' before it, so that the name never leaves its directory or hides; never
   * empty. Text made only of those characters (every sweep name a spec accepts) stays as it is.
   */
  public static String fileName(String text) {
    StringBuilder b = new StringBuilder();
    (text == null ? "" : text).codePoints().forEach(c -> b.append(c < 128 && (Character.isLetterOrDigit(c)
        || c == '.' || c == '_' || c == '-') ? (char) c : '_'));
    if (b.length() == 0 || b.charAt(0) == '.') {
      b.insert(0, '_');
    }
    return b.toString();
  }

  private static boolean isPrintableChar(int cp) {
    if (cp == ' ') {
      return true;
    }
    return switch (Character.getType(cp)) {
      case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
          Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
      default -> true;
    };
  }

  /**
   * {@code "; did you mean \"x\"?"} when one of {@code known} is close to {@code got} (case-insensitive edit
   * distance of at most a third of its length, at least 1, at most 3), else the empty string.
   */
  public static String suggestion(String got, Collection<String> known) {
    if (got == null || got.isEmpty()) {
      return "";
    }
    String g = got.toLowerCase(Locale.ROOT);
    int budget = Math.max(1, Math.min(3, g.length() / 3));
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(g, k.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        best = k;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= budget && !best.equals(got) ? "; did you mean " + quote(best) + "?" : "";
  }

  /**
   * Edit distance counting an insertion, deletion, substitution or swap of two adjacent characters as one edit
   * (optimal string alignment), on UTF-16 units; {@link Integer#MAX_VALUE} when either input is longer than 64
   * (inputs here are short words).
   */
  public static int distance(String a, String b) {
    if (a.length() > 64 || b.length() > 64) {
      return Integer.MAX_VALUE;
    }
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
