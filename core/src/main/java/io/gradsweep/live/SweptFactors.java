package io.gradsweep.live;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The params a sweep varies (those whose value differs between its trials), and the order of trials by them: the
 * live view's strip of finished trials is sorted by it, so neighbours differ in the last factor only.
 *
 * @param keys the varying params, in sorted key order
 */
public record SweptFactors(List<String> keys) {

  public SweptFactors {
    keys = List.copyOf(Objects.requireNonNull(keys, "keys"));
  }

  /** The params whose value differs between {@code trials} (a param missing from some trial counts as differing). */
  public static SweptFactors of(List<Map<String, String>> trials) {
    Set<String> all = new TreeSet<>();
    trials.forEach(p -> all.addAll(p.keySet()));
    List<String> varying = new ArrayList<>();
    for (String key : all) {
      Set<String> values = new HashSet<>();
      boolean missing = false;
      for (Map<String, String> p : trials) {
        String v = p.get(key);
        if (v == null) {
          missing = true;
        } else {
          values.add(v);
        }
      }
      if (values.size() > 1 || (missing && !values.isEmpty())) {
        varying.add(key);
      }
    }
    return new SweptFactors(varying);
  }

  /** The values of these factors in {@code params} (missing ones left out), in key order. */
  public Map<String, String> valuesOf(Map<String, String> params) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    keys.forEach(k -> {
      if (params.containsKey(k)) {
        out.put(k, params.get(k));
      }
    });
    return out;
  }

  /**
   * Orders param maps by the factors in key order: numbers numerically (1e-3 before 0.01), other values as text,
   * numbers before text, a missing value first.
   */
  public Comparator<Map<String, String>> order() {
    Comparator<Map<String, String>> c = (a, b) -> 0;
    for (String key : keys) {
      c = c.thenComparing(p -> p.get(key), Comparator.nullsFirst(SweptFactors::compareValues));
    }
    return c;
  }

  /** Numbers numerically, before any text; texts alphabetically. */
  static int compareValues(String a, String b) {
    Double x = number(a);
    Double y = number(b);
    if (x != null && y != null) {
      int c = Double.compare(x, y);
      return c != 0 ? c : a.compareTo(b);
    }
    if (x != null) {
      return -1;
    }
    if (y != null) {
      return 1;
    }
    return a.compareTo(b);
  }

  private static Double number(String s) {
    try {
      double d = Double.parseDouble(s.trim());
      return Double.isNaN(d) ? null : d;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
