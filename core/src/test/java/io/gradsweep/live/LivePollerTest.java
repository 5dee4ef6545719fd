package io.gradsweep.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.TrackingException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LivePollerTest {
  private static final Map<String, Double> HAS_PROFILE = Map.of("profile/layer0/dh_b00", 1.0);

  @Test
  void eachRoundReadsOnlyThePointsAfterThoseItHas() {
    FakeHistorySink sink = new FakeHistorySink();
    sink.run("a", "RUNNING", Map.of("lr", "0.1"), Map.of(), HAS_PROFILE);
    sink.run("b", "RUNNING", Map.of("lr", "0.2"), Map.of(), HAS_PROFILE);
    sink.profile("a", "layer0/dh", 1, 1.0);
    sink.profile("a", "layer0/dh", 10, 0.5);
    sink.profile("b", "layer0/dh", 1, 2.0);
    sink.point("a", Names.Metric.EVAL_LOSS, 10, 0.3);
    LiveModel model = new LiveModel();
    LivePoller poller = new LivePoller(sink, model, "s", () -> Optional.of(sink.sweep));

    assertEquals(Optional.empty(), poller.pollOnce());
    assertEquals(10, model.lastRowStep("a"));
    assertEquals(1, model.lastRowStep("b"));
    assertEquals(LiveModel.BUCKETS + 1, sink.calls.size(), "one request per bucket key and one for the loss, "
        + "for both runs at once: " + sink.calls);
    assertTrue(sink.calls.get(0).equals("profile/layer0/dh_b00 [a, b] from 0"), sink.calls.get(0));
    long v = model.version();

    sink.calls.clear();
    poller.pollOnce();
    assertEquals(0, sink.calls.size(), "nothing new logged: one search, no history read: " + sink.calls);

    sink.pointsReturned = 0;
    sink.profile("a", "layer0/dh", 20, 0.1);
    poller.pollOnce();
    assertEquals(LiveModel.BUCKETS, sink.calls.size(), "only a's buckets (b and the loss are unchanged): "
        + sink.calls);
    assertEquals("profile/layer0/dh_b00 [a] from 11", sink.calls.get(0));
    assertEquals(LiveModel.BUCKETS, sink.pointsReturned, "only the new row's points");
    JsonNode news = model.since(v);
    assertEquals(1, news.path("trials").size());
    assertEquals(1, news.path("trials").get(0).path("rows").size());
    assertEquals(20, news.path("trials").get(0).path("rows").get(0).get(0).asLong());
  }

  @Test
  void aProfileEqualToThePreviousOneIsStillANewRow() {
    // a vanished gradient: the first bucket is 0 profile after profile, and so are the other early buckets
    FakeHistorySink sink = new FakeHistorySink();
    sink.run("a", "RUNNING", Map.of(), Map.of(), HAS_PROFILE);
    sink.profile("a", "layer0/dh", 1, 0.0);
    sink.point("a", Names.Metric.EVAL_LOSS, 1, 0.2);
    LiveModel model = new LiveModel();
    LivePoller poller = new LivePoller(sink, model, "s", () -> Optional.of(sink.sweep));
    poller.pollOnce();
    assertEquals(1, model.lastRowStep("a"));
    for (long step = 10; step <= 30; step += 10) {
      sink.profile("a", "layer0/dh", step, 0.0);
      sink.point("a", Names.Metric.EVAL_LOSS, step, 0.2);
      poller.pollOnce();
      assertEquals(step, model.lastRowStep("a"), "the row of step " + step + ", equal to the one before");
      assertEquals(step, model.lastLossStep("a"), "the loss of step " + step + ", equal to the one before");
    }
  }

  @Test
  void withoutStepsInTheSnapshotsAChangedValueStillShowsANewRow() {
    FakeHistorySink sink = new FakeHistorySink();
    sink.withSteps = false;
    sink.run("a", "RUNNING", Map.of(), Map.of(), HAS_PROFILE);
    sink.profile("a", "layer0/dh", 1, 1.0);
    LiveModel model = new LiveModel();
    LivePoller poller = new LivePoller(sink, model, "s", () -> Optional.of(sink.sweep));
    poller.pollOnce();
    sink.profile("a", "layer0/dh", 10, 0.5);
    poller.pollOnce();
    assertEquals(10, model.lastRowStep("a"));
  }

  @Test
  void anEndedTrialIsReadOnceMoreThenNoMore() {
    FakeHistorySink sink = new FakeHistorySink();
    sink.run("a", "RUNNING", Map.of(), Map.of(), HAS_PROFILE);
    sink.profile("a", "layer0/dh", 1, 1.0);
    LiveModel model = new LiveModel();
    LivePoller poller = new LivePoller(sink, model, "s", () -> Optional.of(sink.sweep));
    poller.pollOnce();
    sink.profile("a", "layer0/dh", 5, 1.0);
    sink.run("a", "FINISHED", Map.of(), Map.of(Names.Tag.STATUS, "SOLVED"), HAS_PROFILE);
    sink.calls.clear();
    poller.pollOnce();
    assertEquals(5, model.lastRowStep("a"), "the rows logged before the end");
    assertTrue(!sink.calls.isEmpty());
    sink.calls.clear();
    poller.pollOnce();
    assertEquals(0, sink.calls.size(), "a finished trial that was caught up is not read again: " + sink.calls);
  }

  @Test
  void beforeTheParentRunExistsThePageWaitsAndABackendFailureIsShownNotThrown() {
    FakeHistorySink sink = new FakeHistorySink() {
      @Override
      public java.util.List<io.gradsweep.tracking.RunSnapshot> trialRuns(io.gradsweep.tracking.SweepRun s) {
        throw new TrackingException("cannot reach MLflow at http://127.0.0.1:1: connection refused");
      }
    };
    LiveModel model = new LiveModel();
    assertEquals(Optional.empty(), new LivePoller(sink, model, "s", Optional::empty).pollOnce());
    assertEquals("WAITING", model.since(0).path("sweep").path("status").asText());
    Optional<String> failed = new LivePoller(sink, model, "s", () -> Optional.of(sink.sweep)).pollOnce();
    assertTrue(failed.isPresent());
    assertTrue(model.since(0).path("sweep").path("message").asText().contains("connection refused"));
  }

  @Test
  void twoHundredRunningTrialsTakeTwoReadsPerMetricKeyAndTheAnswerHoldsOnlyNewRows() {
    FakeHistorySink sink = new FakeHistorySink();
    for (int i = 0; i < 200; i++) {
      String id = "r" + i;
      sink.run(id, "RUNNING", Map.of("lr", Integer.toString(i % 7), "seed", Integer.toString(i)), Map.of(),
          HAS_PROFILE);
      for (int step = 1; step <= 50; step++) {
        sink.profile(id, "layer0/dh", step * 10L + i % 3, 1.0 / step);
        sink.point(id, Names.Metric.EVAL_LOSS, step * 10L + i % 3, 1.0 / step);
      }
    }
    LiveModel model = new LiveModel();
    LivePoller poller = new LivePoller(sink, model, "s", () -> Optional.of(sink.sweep));
    poller.pollOnce();
    assertEquals(2 * (LiveModel.BUCKETS + 1), sink.calls.size(), "runs in groups of 100: " + sink.calls.size());
    long v = model.version();
    for (int i = 0; i < 200; i++) {
      sink.profile("r" + i, "layer0/dh", 1000, 1e-3);
    }
    sink.calls.clear();
    poller.pollOnce();
    assertEquals(2 * LiveModel.BUCKETS, sink.calls.size());
    JsonNode news = model.since(v);
    assertEquals(200, news.path("trials").size());
    news.path("trials").forEach(t -> assertEquals(1, t.path("rows").size(), t.path("id").asText()));
    assertTrue(news.toString().length() < 200 * 1000, "about 1 kB per trial: " + news.toString().length());
  }
}
