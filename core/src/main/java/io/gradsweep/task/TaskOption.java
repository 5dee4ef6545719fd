package io.gradsweep.task;

/**
 * A task-specific key of the spec's {@code task} mapping: an integer in {@code min..max}, with a default. The spec
 * parser accepts a task's own keys only for that task, and the trial carries the value of every option (the default
 * when not written) as param {@code task.<key>}.
 *
 * @param key the YAML key, e.g. {@code relevant}
 * @param meaning what it sets, for messages and docs
 * @param defaultValue its value when the spec does not give it
 * @param min smallest allowed value
 * @param max largest allowed value
 */
public record TaskOption(String key, String meaning, int defaultValue, int min, int max) {
  public TaskOption {
    if (key == null || !key.matches("[a-z][a-z0-9_]*")) {
      throw new IllegalArgumentException("task option key must be a lower-case word, got " + key);
    }
    if (min > max || defaultValue < min || defaultValue > max) {
      throw new IllegalArgumentException("task option " + key + ": default " + defaultValue + " outside " + min
          + ".." + max);
    }
  }

  /** The value of this option in {@code options} (its default when absent), checked against the range. */
  public int read(java.util.Map<String, String> options, String task) {
    String text = options.get(key);
    if (text == null) {
      return defaultValue;
    }
    int v;
    try {
      v = Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("task " + task + ": option " + key + " must be an integer " + min + ".."
          + max + ", got \"" + text + "\"");
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException("task " + task + ": option " + key + " must be " + min + ".." + max
          + ", got " + v);
    }
    return v;
  }
}
