package io.gradsweep.tracking.mlflow;

import java.util.HashMap;
import java.util.Map;

/**
 * Maps the keys of one namespace (metrics, params or tags) of one run to MLflow keys, so that two different keys
 * never land on the same MLflow key: the first key to claim a sanitized name keeps it, a later different key that
 * sanitizes to the same name gets {@code -<8 hex digits of its SHA-256>} appended. Thread-safe; the same key always
 * maps to the same result within the mapper.
 */
public final class KeyMapper {
  private final Map<String, String> byOriginal = new HashMap<>();
  private final Map<String, String> owners = new HashMap<>();

  public synchronized String map(String original) {
    String known = byOriginal.get(original);
    if (known != null) {
      return known;
    }
    String mapped = MlflowKeys.sanitizeKey(original);
    String owner = owners.get(mapped);
    if (owner != null && !owner.equals(original)) {
      mapped = MlflowKeys.withHashSuffix(mapped, original);
    }
    owners.putIfAbsent(mapped, original);
    byOriginal.put(original, mapped);
    return mapped;
  }
}
