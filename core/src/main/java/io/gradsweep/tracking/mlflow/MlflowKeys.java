package io.gradsweep.tracking.mlflow;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How gradsweep turns arbitrary metric, param and tag keys and values into ones an MLflow server accepts. Every
 * sink applies the same rules, so what a test sees in the {@code memory} backend is what MLflow stores.
 *
 * <p>Key mapping ({@link #sanitizeKey}), in this order:
 * <ol>
 *   <li>every character other than ASCII letters, digits, {@code _ - . /} and space becomes {@code _} (the server
 *       also takes {@code :} and non-ASCII letters, but not on every platform or database, so they are mapped);
 *   <li>the key is read as a '/'-separated path and must not resolve to another name: empty segments (leading,
 *       trailing or doubled '/') are dropped, a segment {@code .} becomes {@code _} and {@code ..} becomes
 *       {@code __}, and a leading {@code .} becomes {@code _} (the server refuses keys starting with "..");
 *   <li>an empty key becomes {@code _};
 *   <li>a key longer than {@value #MAX_KEY_LENGTH} characters keeps its first 241 characters followed by
 *       {@code -} and 8 hex digits of the SHA-256 of the original key.
 * </ol>
 * A key that is already valid and short enough is returned unchanged. Two different keys can map to the same
 * text (e.g. {@code a:b} and {@code a_b}); {@link KeyMapper} resolves that within a run.
 *
 * <p>Values: param values longer than {@value #MAX_PARAM_VALUE_LENGTH} characters and tag values longer than
 * {@value #MAX_TAG_VALUE_LENGTH} are cut and end with a marker {@code ...[truncated, N chars]} naming the original
 * length (MLflow 3.17 accepts 8000 for tags; 5000 keeps older servers working).
 */
public final class MlflowKeys {
  /** Longest metric, param or tag key the server accepts. */
  public static final int MAX_KEY_LENGTH = 250;
  /** Longest param value the server accepts. */
  public static final int MAX_PARAM_VALUE_LENGTH = 6000;
  /** Longest tag value gradsweep sends. */
  public static final int MAX_TAG_VALUE_LENGTH = 5000;

  private static final int HASH_HEX = 8;

  private MlflowKeys() {}

  /** Maps {@code key} to a valid MLflow key (see the class comment); never null. */
  public static String sanitizeKey(String key) {
    if (key == null || key.isEmpty()) {
      return "_";
    }
    if (isValidKey(key)) {
      return key;
    }
    StringBuilder chars = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      chars.append(allowed(c) ? c : '_');
    }
    StringBuilder out = new StringBuilder(chars.length());
    for (String segment : chars.toString().split("/", -1)) {
      if (segment.isEmpty()) {
        continue;
      }
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(segment.equals(".") ? "_" : segment.equals("..") ? "__" : segment);
    }
    if (out.length() == 0) {
      return "_";
    }
    if (out.charAt(0) == '.') {
      out.setCharAt(0, '_');
    }
    String s = out.toString();
    if (s.length() > MAX_KEY_LENGTH) {
      s = s.substring(0, MAX_KEY_LENGTH - HASH_HEX - 1) + "-" + hash8(key);
    }
    return s;
  }

  /** True when the server accepts {@code key} as it is and it uses only the portable character set. */
  public static boolean isValidKey(String key) {
    if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      if (!allowed(key.charAt(i))) {
        return false;
      }
    }
    if (key.charAt(0) == '.' || key.charAt(0) == '/' || key.endsWith("/")) {
      return false;
    }
    for (String segment : key.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        return false;
      }
    }
    return true;
  }

  /** {@code key} with {@code -<hash8(original)>} appended, cut so that the result stays within the key limit. */
  static String withHashSuffix(String sanitized, String original) {
    String suffix = "-" + hash8(original);
    String base = sanitized.length() + suffix.length() > MAX_KEY_LENGTH
        ? sanitized.substring(0, MAX_KEY_LENGTH - suffix.length())
        : sanitized;
    return base + suffix;
  }

  /** A param value the server accepts: cut to {@value #MAX_PARAM_VALUE_LENGTH} characters with a marker. */
  public static String truncateParamValue(String value) {
    return truncate(value, MAX_PARAM_VALUE_LENGTH);
  }

  /** A tag value within {@value #MAX_TAG_VALUE_LENGTH} characters, cut with a marker if needed. */
  public static String truncateTagValue(String value) {
    return truncate(value, MAX_TAG_VALUE_LENGTH);
  }

  static String truncate(String value, int limit) {
    if (value == null) {
      return "";
    }
    if (value.length() <= limit) {
      return value;
    }
    String marker = "...[truncated, " + value.length() + " chars]";
    int keep = limit - marker.length();
    // Do not split a surrogate pair.
    if (keep > 0 && Character.isHighSurrogate(value.charAt(keep - 1))) {
      keep--;
    }
    return value.substring(0, keep) + marker;
  }

  private static boolean allowed(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || c == '_' || c == '-' || c == '.' || c == '/' || c == ' ';
  }

  private static String hash8(String s) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, HASH_HEX / 2);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * {@code path} when it is a valid artifact path: relative, '/'-separated, without empty, "." or ".." segments.
   *
   * @throws IllegalArgumentException naming the path otherwise
   */
  public static String checkArtifactPath(String path) {
    if (path == null || path.isEmpty() || path.startsWith("/") || path.endsWith("/") || path.contains("\\")) {
      throw new IllegalArgumentException("invalid artifact path '" + path
          + "': expected a relative '/'-separated path such as plots/loss.png");
    }
    for (String seg : path.split("/", -1)) {
      if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
        throw new IllegalArgumentException("invalid artifact path '" + path
            + "': empty, '.' and '..' segments are not allowed");
      }
    }
    return path;
  }
}
