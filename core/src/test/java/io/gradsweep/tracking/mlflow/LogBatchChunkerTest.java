package io.gradsweep.tracking.mlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.MetricPoint;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LogBatchChunkerTest {
  private static final String RUN_ID = "0123456789abcdef0123456789abcdef";

  private static List<MetricPoint> metrics(int n, String key) {
    List<MetricPoint> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new MetricPoint(key, i * 0.1, 1_700_000_000_000L + i, i));
    }
    return out;
  }

  private static List<LogBatch.Entry> entries(int n, String prefix, int valueLength) {
    List<LogBatch.Entry> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new LogBatch.Entry(prefix + i, "v".repeat(valueLength)));
    }
    return out;
  }

  /** Every batch within the limits, and the batches together hold exactly the input, in order. */
  private static void assertValidSplit(List<MetricPoint> m, List<LogBatch.Entry> p, List<LogBatch.Entry> t,
      BatchLimits limits, List<LogBatch> batches) {
    List<MetricPoint> allM = new ArrayList<>();
    List<LogBatch.Entry> allP = new ArrayList<>();
    List<LogBatch.Entry> allT = new ArrayList<>();
    for (LogBatch b : batches) {
      assertTrue(b.metrics().size() <= limits.maxMetrics(), "metrics " + b.metrics().size());
      assertTrue(b.params().size() <= limits.maxParams(), "params " + b.params().size());
      assertTrue(b.tags().size() <= limits.maxTags(), "tags " + b.tags().size());
      assertTrue(b.entityCount() <= limits.maxEntities(), "entities " + b.entityCount());
      assertTrue(b.entityCount() > 0, "no empty batch");
      int bytes = b.toJson(RUN_ID).getBytes(StandardCharsets.UTF_8).length;
      assertTrue(bytes <= limits.maxBytes(), "bytes " + bytes);
      allM.addAll(b.metrics());
      allP.addAll(b.params());
      allT.addAll(b.tags());
    }
    assertEquals(m, allM);
    assertEquals(p, allP);
    assertEquals(t, allT);
  }

  @Test
  void splitsByMetricCount() {
    List<MetricPoint> m = metrics(2500, "train/loss");
    List<LogBatch> batches = LogBatchChunker.split(m, List.of(), List.of(), BatchLimits.MLFLOW);
    assertEquals(3, batches.size());
    assertEquals(List.of(1000, 1000, 500), batches.stream().map(b -> b.metrics().size()).toList());
    assertValidSplit(m, List.of(), List.of(), BatchLimits.MLFLOW, batches);
  }

  @Test
  void splitsParamsAndTagsByTheirOwnCountsAndEntitiesInTotal() {
    List<LogBatch.Entry> p = entries(250, "p", 3);
    List<LogBatch.Entry> t = entries(130, "t", 3);
    List<MetricPoint> m = metrics(1900, "x");
    List<LogBatch> batches = LogBatchChunker.split(m, p, t, BatchLimits.MLFLOW);
    assertValidSplit(m, p, t, BatchLimits.MLFLOW, batches);
    LogBatch first = batches.get(0);
    assertEquals(100, first.params().size());
    assertEquals(100, first.tags().size());
    assertEquals(800, first.metrics().size(), "1000 entities in total");
  }

  @Test
  void splitsByBytes() {
    // 100 params of ~6000 chars = ~600 KB per request at most; 4-byte characters make it ~2.4 MB.
    List<LogBatch.Entry> p = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      p.add(new LogBatch.Entry("p" + i, "\ud83d\ude00".repeat(2999)));
    }
    List<LogBatch> batches = LogBatchChunker.split(List.of(), p, List.of(), BatchLimits.MLFLOW);
    assertValidSplit(List.of(), p, List.of(), BatchLimits.MLFLOW, batches);
    assertTrue(batches.size() > 3, "split by bytes, not only by count: " + batches.size());
    int firstBytes = batches.get(0).toJson(RUN_ID).getBytes(StandardCharsets.UTF_8).length;
    assertTrue(firstBytes > 900_000, "batches are filled: " + firstBytes);
  }

  @Test
  void randomMixesStayWithinSmallLimits() {
    Random r = new Random(1);
    BatchLimits small = new BatchLimits(7, 3, 2, 9, 80 * 1024);
    for (int round = 0; round < 200; round++) {
      List<MetricPoint> m = metrics(r.nextInt(40), "k" + round);
      List<LogBatch.Entry> p = entries(r.nextInt(10), "p", r.nextInt(6000));
      List<LogBatch.Entry> t = entries(r.nextInt(10), "t", r.nextInt(5000));
      assertValidSplit(m, p, t, small, LogBatchChunker.split(m, p, t, small));
    }
  }

  @Test
  void emptyInputGivesNoBatches() {
    assertEquals(List.of(), LogBatchChunker.split(List.of(), List.of(), List.of(), BatchLimits.MLFLOW));
  }

  @Test
  void jsonIsValidAndExact() throws Exception {
    LogBatch b = new LogBatch(List.of(new MetricPoint("a/b c", 1e-12, 5, 3), new MetricPoint("m", -0.0, 6, 4)),
        List.of(new LogBatch.Entry("q", "quote\" back\\ nl\n ctl\u0001 \u00e9\ud83d\ude00")),
        List.of(new LogBatch.Entry("t", "")));
    JsonNode n = new ObjectMapper().readTree(b.toJson(RUN_ID));
    assertEquals(RUN_ID, n.get("run_id").asText());
    assertEquals(1e-12, n.get("metrics").get(0).get("value").asDouble(), 0.0);
    assertEquals(3, n.get("metrics").get(0).get("step").asLong());
    assertEquals(5, n.get("metrics").get(0).get("timestamp").asLong());
    assertEquals("quote\" back\\ nl\n ctl\u0001 \u00e9\ud83d\ude00", n.get("params").get(0).get("value").asText());
    assertEquals("", n.get("tags").get(0).get("value").asText());
    int declared = LogBatch.jsonSize(b.metrics().get(0)) + LogBatch.jsonSize(b.metrics().get(1))
        + LogBatch.jsonSize(b.params().get(0)) + LogBatch.jsonSize(b.tags().get(0));
    int actual = b.toJson(RUN_ID).getBytes(StandardCharsets.UTF_8).length;
    assertTrue(actual <= declared + LogBatch.ENVELOPE_RESERVE);
  }

  @Test
  void entitySizesAddUpToTheBodyExactly() throws Exception {
    LogBatch b = new LogBatch(List.of(new MetricPoint("a", 0.1, 5, 3), new MetricPoint("\u00e9", 1e300, 6, 4)),
        List.of(new LogBatch.Entry("p", "\ud83d\ude00 lone \ud800 end")), List.of());
    int empty = new LogBatch(List.of(), List.of(), List.of()).toJson(RUN_ID).getBytes(StandardCharsets.UTF_8).length;
    int entities = LogBatch.jsonSize(b.metrics().get(0)) + LogBatch.jsonSize(b.metrics().get(1))
        + LogBatch.jsonSize(b.params().get(0));
    int nonEmptyArrays = 2; // one comma fewer than entities in each
    assertEquals(empty + entities - nonEmptyArrays, b.toJson(RUN_ID).getBytes(StandardCharsets.UTF_8).length);
    assertTrue(empty <= LogBatch.ENVELOPE_RESERVE);
    JsonNode n = new ObjectMapper().readTree(b.toJson(RUN_ID));
    assertEquals("\ud83d\ude00 lone \ud800 end", n.get("params").get(0).get("value").asText(),
        "a lone surrogate is escaped, not lost");
  }

  @Test
  void nonFiniteValuesAreRefused() {
    LogBatch b = LogBatch.ofMetrics(List.of(new MetricPoint("x", Double.NaN, 1, 1)));
    assertThrows(IllegalArgumentException.class, () -> b.toJson(RUN_ID));
  }
}
