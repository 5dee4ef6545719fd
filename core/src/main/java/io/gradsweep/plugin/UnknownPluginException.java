package io.gradsweep.plugin;

import java.util.List;

/**
 * No plugin of a kind has the name asked for. The message lists the known names and suggests the closest, e.g.
 * {@code unknown cell "lstn"; known cells: rnn, lstm, gru; did you mean "lstm"?}.
 */
public final class UnknownPluginException extends IllegalArgumentException {
  private final String name;
  private final List<String> known;

  UnknownPluginException(String message, String name, List<String> known) {
    super(message);
    this.name = name;
    this.known = List.copyOf(known);
  }

  /** The name asked for, as given (may be null). */
  public String name() {
    return name;
  }

  /** The known names, in registry order. */
  public List<String> known() {
    return known;
  }
}
