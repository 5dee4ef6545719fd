package io.gradsweep.spec;

import io.gradsweep.util.Words;
import java.util.Collection;
import java.util.Locale;

/**
 * Small helpers that keep error messages about user input uniform: quoting with escapes and truncation, and
 * "did you mean" suggestions. The generic part lives in {@link Words}, shared with the plugin registries; these
 * delegate to it.
 */
public final class SpecMessages {
  /** Longest quoted value shown in a message, in characters, before it is cut with "...". */
  public static final int SHOW_LIMIT = Words.SHOW_LIMIT;

  private SpecMessages() {}

  /** See {@link Words#quote(String)}. */
  public static String quote(String text) {
    return Words.quote(text);
  }

  /** See {@link Words#escape(String, int)}. */
  public static String escape(String text, int limit) {
    return Words.escape(text, limit);
  }

  /** See {@link Words#isPrintable(int)}. */
  public static boolean isPrintable(int cp) {
    return Words.isPrintable(cp);
  }

  /** A character for messages: {@code '/' (U+002F)}, with non-printable characters escaped. */
  public static String describeChar(int cp) {
    return "'" + escape(new String(Character.toChars(cp)), SHOW_LIMIT) + "' (" + String.format(Locale.ROOT,
        "U+%04X", cp) + ")";
  }

  /** See {@link Words#suggestion(String, Collection)}. */
  public static String suggestion(String got, Collection<String> known) {
    return Words.suggestion(got, known);
  }
}
