package io.gradsweep.tracking.mlflow;

import io.gradsweep.tracking.MetricPoint;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The content of one {@code runs/log-batch} request, and its exact JSON form. Keys and values are expected to be
 * sanitized already; metric values finite.
 */
record LogBatch(List<MetricPoint> metrics, List<Entry> params, List<Entry> tags) {

  /** A param or tag. */
  record Entry(String key, String value) {}

  /**
   * Bytes the JSON envelope {@code {"run_id":"...","metrics":[],"params":[],"tags":[]}} may take besides the
   * entities (run ids are 32 characters; 1 KiB leaves ample room for longer ids of other backends).
   */
  static final int ENVELOPE_RESERVE = 1024;

  LogBatch {
    metrics = List.copyOf(metrics);
    params = List.copyOf(params);
    tags = List.copyOf(tags);
  }

  static LogBatch ofMetrics(List<MetricPoint> metrics) {
    return new LogBatch(metrics, List.of(), List.of());
  }

  boolean isEmpty() {
    return metrics.isEmpty() && params.isEmpty() && tags.isEmpty();
  }

  int entityCount() {
    return metrics.size() + params.size() + tags.size();
  }

  /** The request body. Its UTF-8 length is at most {@link #ENVELOPE_RESERVE} + the sum of the entity sizes. */
  String toJson(String runId) {
    StringBuilder sb = new StringBuilder(64 + 80 * entityCount());
    sb.append("{\"run_id\":");
    appendString(sb, runId);
    sb.append(",\"metrics\":[");
    for (int i = 0; i < metrics.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      appendMetric(sb, metrics.get(i));
    }
    sb.append("],\"params\":[");
    appendEntries(sb, params);
    sb.append("],\"tags\":[");
    appendEntries(sb, tags);
    sb.append("]}");
    return sb.toString();
  }

  /** UTF-8 bytes of the metric's JSON object plus one separating comma. */
  static int jsonSize(MetricPoint m) {
    StringBuilder sb = new StringBuilder(96);
    appendMetric(sb, m);
    return utf8Length(sb) + 1;
  }

  /** UTF-8 bytes of the param's or tag's JSON object plus one separating comma. */
  static int jsonSize(Entry e) {
    StringBuilder sb = new StringBuilder(32 + e.key().length() + e.value().length());
    appendEntry(sb, e);
    return utf8Length(sb) + 1;
  }

  private static void appendEntries(StringBuilder sb, List<Entry> entries) {
    for (int i = 0; i < entries.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      appendEntry(sb, entries.get(i));
    }
  }

  private static void appendMetric(StringBuilder sb, MetricPoint m) {
    if (!Double.isFinite(m.value())) {
      throw new IllegalArgumentException("non-finite metric value cannot be sent: " + m);
    }
    sb.append("{\"key\":");
    appendString(sb, m.key());
    sb.append(",\"value\":").append(m.value());
    sb.append(",\"timestamp\":").append(m.timestamp());
    sb.append(",\"step\":").append(m.step()).append('}');
  }

  private static void appendEntry(StringBuilder sb, Entry e) {
    sb.append("{\"key\":");
    appendString(sb, e.key());
    sb.append(",\"value\":");
    appendString(sb, e.value());
    sb.append('}');
  }

  static void appendString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20 || (Character.isSurrogate(c) && !validSurrogateAt(s, i))) {
            // Control characters, and lone surrogates (not encodable in UTF-8), are written as escapes.
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  private static boolean validSurrogateAt(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }

  private static int utf8Length(CharSequence s) {
    return s.toString().getBytes(StandardCharsets.UTF_8).length;
  }
}
