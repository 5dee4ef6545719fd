package io.gradsweep.jobs;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * One Spark setting from {@code --conf KEY=VALUE}.
 *
 * @param key a non-blank Spark key, e.g. {@code spark.master}
 * @param value its value (may be empty)
 */
record SparkSetting(String key, String value) {

  SparkSetting {
    if (key == null || key.isBlank()) {
      throw new IllegalArgumentException("a Spark setting needs a key");
    }
    if (value == null) {
      throw new IllegalArgumentException("Spark setting " + key + " needs a value");
    }
  }

  /** Parses {@code --conf}'s argument; the message of a bad one says what is expected. */
  static final class Converter implements ITypeConverter<SparkSetting> {
    @Override
    public SparkSetting convert(String s) {
      int eq = s.indexOf('=');
      if (eq <= 0) {
        throw new TypeConversionException("expected KEY=VALUE, got '" + s + "'");
      }
      return new SparkSetting(s.substring(0, eq).strip(), s.substring(eq + 1));
    }
  }
}
