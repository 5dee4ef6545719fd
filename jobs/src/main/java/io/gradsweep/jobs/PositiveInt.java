package io.gradsweep.jobs;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** An option value that must be a whole number of at least 1, e.g. {@code --parallelism}. */
final class PositiveInt implements ITypeConverter<Integer> {
  @Override
  public Integer convert(String s) {
    try {
      int n = Integer.parseInt(s);
      if (n >= 1) {
        return n;
      }
    } catch (NumberFormatException e) {
      // the message below
    }
    throw new TypeConversionException("expected a whole number >= 1, got '" + s + "'");
  }
}
