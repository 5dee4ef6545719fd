package io.gradsweep.conf;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One gradsweep setting: its name, what it accepts, its default and what it does. Users set it as Spark conf key
 * {@link #sparkKey()} ({@code --conf spark.gradsweep.NAME=VALUE}); the system property {@link #legacyProperty()}
 * ({@code -Dgradsweep.NAME}) is still read, with a deprecation note. {@link ConfKeys} lists them all.
 *
 * @param name the key without prefix, e.g. {@code spool.max.mb}: lower-case words joined by dots
 * @param defaultValue the value when the key is not set; null: unset ({@code defaultText} says what happens)
 * @param defaultText the default as the README table shows it
 * @param allowed what a value may be, as error messages and the README say it ("a whole number >= 1")
 * @param description what the key does, one sentence or two (README table)
 * @param readBy where the value is used
 * @param parser turns a value's text into the value; throws {@link IllegalArgumentException} when not allowed
 */
public record ConfKey<T>(String name, T defaultValue, String defaultText, String allowed, String description,
    ReadBy readBy, Parser<T> parser) {
  /** Prefix of the Spark conf keys. */
  public static final String SPARK_PREFIX = "spark.gradsweep.";
  /** Prefix of the system properties of earlier versions. */
  public static final String LEGACY_PREFIX = "gradsweep.";
  private static final Pattern NAME = Pattern.compile("[a-z]+(\\.[a-z]+)*");

  /** Where a key's value is used. */
  public enum ReadBy {
    /** the driver only */
    DRIVER("driver"),
    /** every JVM that trains trials (executors; in local mode the driver): it travels inside each task */
    TRIALS("each trial (sent in its task)");

    private final String text;

    ReadBy(String text) {
      this.text = text;
    }

    @Override
    public String toString() {
      return text;
    }
  }

  /** Parses a value's text (stripped, never blank). */
  @FunctionalInterface
  public interface Parser<T> {
    /** @throws IllegalArgumentException when the text is not an allowed value (the message may be empty) */
    T parse(String text);
  }

  public ConfKey {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("a setting's name is lower-case words joined by dots, got '" + name + "'");
    }
    Objects.requireNonNull(defaultText, "defaultText");
    Objects.requireNonNull(allowed, "allowed");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(readBy, "readBy");
    Objects.requireNonNull(parser, "parser");
  }

  /** {@code spark.gradsweep.NAME}: the key users set. */
  public String sparkKey() {
    return SPARK_PREFIX + name;
  }

  /** {@code gradsweep.NAME}: the system property of earlier versions (deprecated). */
  public String legacyProperty() {
    return LEGACY_PREFIX + name;
  }

  /**
   * The value of {@code text} (surrounding blanks ignored).
   *
   * @param source how the user gave it, for the message (e.g. {@code spark.gradsweep.spool.max.mb})
   * @throws IllegalArgumentException naming {@code source}, the value and what is allowed
   */
  public T parse(String text, String source) {
    String t = text == null ? "" : text.strip();
    if (!t.isEmpty()) {
      try {
        T v = parser.parse(t);
        if (v != null) {
          return v;
        }
      } catch (IllegalArgumentException e) {
        // reported below
      }
    }
    throw new IllegalArgumentException(source + ": '" + (text == null ? "" : text) + "' is not allowed; expected "
        + allowed);
  }

  /** A whole number >= {@code min}. */
  static Parser<Long> atLeast(long min) {
    return t -> {
      long n = Long.parseLong(t);
      if (n < min) {
        throw new IllegalArgumentException();
      }
      return n;
    };
  }

  /** {@code true} or {@code false}, any case. */
  static Parser<Boolean> bool() {
    return t -> switch (t.toLowerCase(java.util.Locale.ROOT)) {
      case "true" -> Boolean.TRUE;
      case "false" -> Boolean.FALSE;
      default -> throw new IllegalArgumentException();
    };
  }

  /** A path (any non-blank text without control characters). */
  static Parser<String> path() {
    return t -> {
      if (t.codePoints().anyMatch(Character::isISOControl)) {
        throw new IllegalArgumentException();
      }
      return t;
    };
  }

  /** One of {@code words} (exact, lower case). */
  static Parser<String> oneOf(String... words) {
    return t -> {
      for (String w : words) {
        if (w.equals(t)) {
          return w;
        }
      }
      throw new IllegalArgumentException();
    };
  }
}
