package io.gradsweep.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LiveModelTest {

  private static RunSnapshot run(String id, String status, Map<String, String> params, Map<String, Double> metrics) {
    return new RunSnapshot(id, "1", "trial-" + id, status, 0, params, Map.of(Names.Tag.STATUS, "SOLVED"), metrics);
  }

  private static Map<Integer, List<MetricPoint>> buckets(String series, long... steps) {
    Map<Integer, List<MetricPoint>> out = new LinkedHashMap<>();
    for (int b = 0; b < LiveModel.BUCKETS; b++) {
      for (long s : steps) {
        out.computeIfAbsent(b, k -> new java.util.ArrayList<>())
            .add(new MetricPoint(LiveModel.bucketKey(series, b), (b + 1) * 1e-3 * s, 0, s));
      }
    }
    return out;
  }

  @Test
  void theHeatmapSeriesIsTheTopLayersHiddenState() {
    assertEquals(Optional.of("layer1/dh"), LiveModel.topSeries(List.of("profile/layer0/dh_b00",
        "profile/layer1/dh_b15", "profile/layer1/dh_decay_rate", "profile/input/dx_b00", "profile/layer0/dc_b03")));
    assertEquals(Optional.empty(), LiveModel.topSeries(List.of("grad/global_norm", "profile/input/dx_b00")));
    assertEquals("profile/layer0/dh_b07", LiveModel.bucketKey("layer0/dh", 7));
  }

  @Test
  void rowsComeFromTheBucketMetricsOneRowPerTrainingStep() {
    LiveModel m = new LiveModel();
    m.runs(List.of(run("a", "RUNNING", Map.of(), Map.of("profile/layer0/dh_b00", 1.0))));
    assertEquals(3, m.addProfile("a", buckets("layer0/dh", 1, 10, 20), false));
    JsonNode rows = m.since(0).path("trials").get(0).path("rows");
    assertEquals(3, rows.size());
    assertEquals(10, rows.get(1).get(0).asLong());
    assertEquals(17, rows.get(1).size(), "the step, then 16 cells");
    assertEquals(10 * 1e-3 * 10, rows.get(1).get(10).asDouble(), 1e-12); // bucket 9 at step 10
    assertEquals(20, m.lastRowStep("a"));
  }

  @Test
  void aRowWaitsForItsLastBucketWhileTheRunIsRunningUnlessALaterStepExists() {
    LiveModel m = new LiveModel();
    m.runs(List.of(run("a", "RUNNING", Map.of(), Map.of("profile/layer0/dh_b00", 1.0))));
    Map<Integer, List<MetricPoint>> partial = buckets("layer0/dh", 5);
    partial.remove(15);
    assertEquals(0, m.addProfile("a", partial, false), "b15 of step 5 may still come");
    Map<Integer, List<MetricPoint>> nonFinite = buckets("layer0/dh", 5, 6);
    nonFinite.put(15, List.of(new MetricPoint("k", 1, 0, 6))); // b15 of step 5 was not finite: never stored
    assertEquals(2, m.addProfile("a", nonFinite, false));
    JsonNode row5 = m.since(0).path("trials").get(0).path("rows").get(0);
    assertTrue(row5.get(16).isNull(), "the missing cell is empty: " + row5);
    Map<Integer, List<MetricPoint>> last = buckets("layer0/dh", 7);
    last.remove(3);
    assertEquals(1, m.addProfile("a", last, true), "an ended run logs nothing more: its last row as it is");
  }

  @Test
  void sinceReturnsOnlyWhatChangedAfterTheVersionThePageHas() {
    LiveModel m = new LiveModel();
    m.sweep("s", "http://mlflow/#/runs/p", "RUNNING");
    m.runs(List.of(run("a", "RUNNING", Map.of("lr", "0.1"), Map.of("profile/layer0/dh_b00", 1.0)),
        run("b", "RUNNING", Map.of("lr", "0.2"), Map.of("profile/layer0/dh_b00", 1.0))));
    m.addProfile("a", buckets("layer0/dh", 1, 2), false);
    m.addLoss("a", List.of(new MetricPoint(Names.Metric.EVAL_LOSS, 0.5, 0, 2)));
    JsonNode all = m.since(0);
    assertEquals(2, all.path("trials").size());
    assertEquals(List.of("a", "b"), ids(all.path("order")));
    assertEquals("lr", all.path("factors").get(0).asText());
    long v = all.path("version").asLong();

    JsonNode none = m.since(v);
    assertEquals(0, none.path("trials").size());
    assertTrue(none.path("sweep").isMissingNode() && none.path("order").isMissingNode(), none.toString());

    m.runs(List.of(run("a", "RUNNING", Map.of("lr", "0.1"), Map.of("profile/layer0/dh_b00", 1.0)),
        run("b", "RUNNING", Map.of("lr", "0.2"), Map.of("profile/layer0/dh_b00", 1.0))));
    assertEquals(0, m.since(v).path("trials").size(), "nothing new: nothing sent");
    m.addProfile("a", buckets("layer0/dh", 1, 2, 3), false);
    m.addLoss("a", List.of(new MetricPoint(Names.Metric.EVAL_LOSS, 0.5, 0, 2),
        new MetricPoint(Names.Metric.EVAL_LOSS, 0.4, 0, 4)));
    JsonNode next = m.since(v);
    assertEquals(1, next.path("trials").size());
    JsonNode a = next.path("trials").get(0);
    assertEquals("a", a.path("id").asText());
    assertEquals(1, a.path("rows").size(), "only the new row: " + a.path("rows"));
    assertEquals(3, a.path("rows").get(0).get(0).asLong());
    assertEquals(1, a.path("loss").size());
    assertEquals(4, a.path("loss").get(0).get(0).asLong());
    assertFalse(next.path("reset").asBoolean());
    assertTrue(m.since(v + 1000).path("reset").asBoolean(), "a page ahead of this model (an earlier driver) is reset");
  }

  @Test
  void aRunEndedAsTheDuplicateOfItsTrialsFinishedRunIsLeftOut() {
    LiveModel m = new LiveModel();
    RunSnapshot done = new RunSnapshot("a", "1", "t-a", "FINISHED", 0, Map.of("cell", "lstm", "lr", "0.1"),
        Map.of(Names.Tag.STATUS, "SOLVED"), Map.of());
    RunSnapshot duplicate = new RunSnapshot("a2", "1", "t-a", "KILLED", 1, Map.of("cell", "lstm", "lr", "0.1"),
        Map.of(Names.Tag.STATUS, "SOLVED", Names.Tag.DUPLICATE_OF, "a"), Map.of());
    m.runs(List.of(done, duplicate));
    assertEquals(List.of("a"), ids(m.since(0).path("order")), "one row for the trial");
  }

  @Test
  void theHeaderCarriesStatusOutcomeClipRateBaselineAndFactorsAndSupersededAttemptsAreLeftOut() {
    LiveModel m = new LiveModel();
    RunSnapshot done = new RunSnapshot("a", "1", "t-a", "FINISHED", 0, Map.of("cell", "lstm", "lr", "0.1"),
        Map.of(Names.Tag.STATUS, "DIVERGED"), Map.of(Names.Metric.FINAL_CLIP_RATE, 0.25,
            Names.Metric.GRAD_CLIPPED, 1.0, Names.Metric.EVAL_BASELINE_LOSS, 0.167));
    RunSnapshot cut = new RunSnapshot("x", "1", "t-a", "FAILED", 0, Map.of("cell", "rnn", "lr", "0.1"),
        Map.of(Names.Tag.SUPERSEDED, "true"), Map.of());
    RunSnapshot running = new RunSnapshot("b", "1", "t-b", "RUNNING", 1, Map.of("cell", "lstm", "lr", "0.2"),
        Map.of(), Map.of(Names.Metric.GRAD_CLIPPED, 0.5));
    m.runs(List.of(done, cut, running));
    JsonNode s = m.since(0);
    assertEquals(List.of("a", "b"), ids(s.path("order")));
    assertEquals(List.of("lr"), ids(s.path("factors")), "the superseded attempt's cell does not make cell vary");
    JsonNode a = s.path("trials").get(0);
    assertEquals("FINISHED", a.path("status").asText());
    assertEquals("DIVERGED", a.path("outcome").asText());
    assertEquals(0.25, a.path("clipRate").asDouble(), "the final clip rate of an ended trial");
    assertEquals(0.167, a.path("baseline").asDouble());
    assertEquals("0.1", a.path("factors").path("lr").asText());
    assertEquals(0.5, s.path("trials").get(1).path("clipRate").asDouble(), "the window's share while running");
    assertTrue(m.ended("a") && !m.ended("b"));
  }

  private static List<String> ids(JsonNode array) {
    List<String> out = new java.util.ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
