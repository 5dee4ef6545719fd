package io.gradsweep.tracking.mlflow;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.gradsweep.tracking.MetricPoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * The content of one {@code runs/log-batch} request, and its exact JSON form. Keys and values are expected to be
 * sanitized already; metric values finite.
 *
 * <p>The JSON is written by Jackson's streaming generator, compact (no whitespace), so that the body is the
 * envelope plus each entity's JSON object and one comma between entities: {@link #jsonSize} measures an entity with
 * the same generator, which makes the request sizing against the server's 1 MB limit ({@link LogBatchChunker})
 * exact. Jackson escapes control characters, characters outside the Basic Multilingual Plane (as surrogate-pair
 * escapes) and lone surrogates, so the body is always valid UTF-8.
 */
record LogBatch(List<MetricPoint> metrics, List<Entry> params, List<Entry> tags) {
  private static final JsonFactory JSON = new JsonFactory();

  /** A param or tag. */
  record Entry(String key, String value) {
    Entry {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }
  }

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

  /**
   * The request body. Its UTF-8 length is at most {@link #ENVELOPE_RESERVE} + the sum of the entity sizes.
   *
   * @throws IllegalArgumentException for a non-finite metric value
   */
  String toJson(String runId) {
    return new String(write(g -> {
      g.writeStartObject();
      g.writeStringField("run_id", runId);
      g.writeArrayFieldStart("metrics");
      for (MetricPoint m : metrics) {
        writeMetric(g, m);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("params");
      for (Entry e : params) {
        writeEntry(g, e);
      }
      g.writeEndArray();
      g.writeArrayFieldStart("tags");
      for (Entry e : tags) {
        writeEntry(g, e);
      }
      g.writeEndArray();
      g.writeEndObject();
    }), StandardCharsets.UTF_8);
  }

  /** UTF-8 bytes of the metric's JSON object plus one separating comma. */
  static int jsonSize(MetricPoint m) {
    return write(g -> writeMetric(g, m)).length + 1;
  }

  /** UTF-8 bytes of the param's or tag's JSON object plus one separating comma. */
  static int jsonSize(Entry e) {
    return write(g -> writeEntry(g, e)).length + 1;
  }

  private interface Writing {
    void write(JsonGenerator g) throws IOException;
  }

  private static byte[] write(Writing w) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      w.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // in memory: does not happen
    }
    return out.toByteArray();
  }

  private static void writeMetric(JsonGenerator g, MetricPoint m) throws IOException {
    if (!Double.isFinite(m.value())) {
      throw new IllegalArgumentException("non-finite metric value cannot be sent: " + m);
    }
    g.writeStartObject();
    g.writeStringField("key", m.key());
    g.writeNumberField("value", m.value());
    g.writeNumberField("timestamp", m.timestamp());
    g.writeNumberField("step", m.step());
    g.writeEndObject();
  }

  private static void writeEntry(JsonGenerator g, Entry e) throws IOException {
    g.writeStartObject();
    g.writeStringField("key", e.key());
    g.writeStringField("value", e.value());
    g.writeEndObject();
  }
}
