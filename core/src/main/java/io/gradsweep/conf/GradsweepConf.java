package io.gradsweep.conf;

import io.gradsweep.util.Words;
import java.io.Serializable;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The gradsweep settings of one sweep ({@link ConfKeys}), validated: the values given, by name. Serializable and
 * small, so that it travels inside each Spark task to the executors (they read nothing of their own: neither
 * system properties nor their SparkConf). Keys not given have their default.
 *
 * @param values setting name (without prefix) to the value's text, as given; every name known, every value allowed
 */
public record GradsweepConf(Map<String, String> values) implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * @throws IllegalArgumentException for an unknown name (with the known ones) or a value that is not allowed
   *     (naming the key, the value and what is allowed)
   */
  public GradsweepConf {
    Map<String, String> copy = new TreeMap<>();
    for (Map.Entry<String, String> e : values.entrySet()) {
      ConfKey<?> key = known(e.getKey(), ConfKey.SPARK_PREFIX + e.getKey());
      key.parse(e.getValue(), key.sparkKey());
      copy.put(e.getKey(), e.getValue().strip());
    }
    values = java.util.Collections.unmodifiableMap(copy);
  }

  /** Every setting at its default. */
  public static GradsweepConf defaults() {
    return new GradsweepConf(Map.of());
  }

  /** These settings with {@code key} set to {@code value} (validated). */
  public GradsweepConf with(ConfKey<?> key, String value) {
    Map<String, String> m = new TreeMap<>(values);
    m.put(key.name(), value);
    return new GradsweepConf(m);
  }

  /** The value of {@code key}: the one given, else its default (null for a key without default, e.g. a path). */
  public <T> T get(ConfKey<T> key) {
    String v = values.get(key.name());
    return v == null ? key.defaultValue() : key.parse(v, key.sparkKey());
  }

  /** The value of {@code key} when given or defaulted; empty for an unset key without default. */
  public <T> Optional<T> find(ConfKey<T> key) {
    return Optional.ofNullable(get(key));
  }

  /**
   * {@link #resolve(Map, Map, Consumer)} with one source of legacy values, e.g. {@code "-D"} and this JVM's system
   * properties.
   */
  public static GradsweepConf resolve(Map<String, String> sparkConf, Map<String, String> legacy, String legacySource,
      Consumer<String> notes) {
    return resolve(sparkConf, Map.of(legacySource, legacy), notes);
  }

  /**
   * The settings from what the user gave: {@code sparkConf} holds Spark conf entries (only keys under
   * {@value ConfKey#SPARK_PREFIX} are read; an unknown one is an error, with a suggestion), and for settings not
   * given there, {@code legacy} holds the system properties of earlier versions ({@code gradsweep.NAME}, other
   * keys ignored) by how they were given (e.g. {@code "-D"}; the first source that has a key wins), each of which
   * is used with a one-line deprecation note to {@code notes}.
   *
   * @throws IllegalArgumentException naming the key, the value and what is allowed, for the first bad one
   */
  public static GradsweepConf resolve(Map<String, String> sparkConf, Map<String, Map<String, String>> legacy,
      Consumer<String> notes) {
    Map<String, String> given = new TreeMap<>();
    for (Map.Entry<String, String> e : new TreeMap<>(sparkConf).entrySet()) {
      if (e.getKey().startsWith(ConfKey.SPARK_PREFIX)) {
        ConfKey<?> key = known(e.getKey().substring(ConfKey.SPARK_PREFIX.length()), e.getKey());
        key.parse(e.getValue(), key.sparkKey());
        given.put(key.name(), e.getValue());
      }
    }
    for (Map.Entry<String, Map<String, String>> source : legacy.entrySet()) {
      for (Map.Entry<String, String> e : new TreeMap<>(source.getValue()).entrySet()) {
        if (!e.getKey().startsWith(ConfKey.LEGACY_PREFIX)) {
          continue;
        }
        Optional<ConfKey<?>> key = ConfKeys.find(e.getKey().substring(ConfKey.LEGACY_PREFIX.length()));
        if (key.isEmpty() || given.containsKey(key.get().name())) {
          continue;
        }
        ConfKey<?> k = key.get();
        k.parse(e.getValue(), source.getKey() + k.legacyProperty() + " (now " + k.sparkKey() + ")");
        notes.accept(deprecation(k, e.getValue(), source.getKey()));
        given.put(k.name(), e.getValue());
      }
    }
    return new GradsweepConf(given);
  }

  /** The one-line note for a setting given the old way. */
  static String deprecation(ConfKey<?> key, String value, String legacySource) {
    return "note: " + legacySource + key.legacyProperty() + " is deprecated; use --conf " + key.sparkKey() + "="
        + value.strip() + " (spark-submit and gradsweep, any cluster manager)";
  }

  private static ConfKey<?> known(String name, String asGiven) {
    return ConfKeys.find(name).orElseThrow(() -> new IllegalArgumentException("unknown setting " + asGiven
        + Words.suggestion(ConfKey.SPARK_PREFIX + name, ConfKeys.ALL.stream().map(ConfKey::sparkKey).toList())
        + "; known: " + String.join(", ", ConfKeys.ALL.stream().map(ConfKey::sparkKey).toList())));
  }
}
