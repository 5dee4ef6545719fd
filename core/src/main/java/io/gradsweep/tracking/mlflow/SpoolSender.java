package io.gradsweep.tracking.mlflow;

import io.gradsweep.tracking.DuplicateRuns;
import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.RunSnapshot;
import io.gradsweep.tracking.TrackingException;
import io.gradsweep.tracking.spool.SegmentLog;
import io.gradsweep.tracking.spool.SpoolRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the groups a {@link SegmentLog} yields, one request per artifact or end record and {@code log-batch}
 * requests (split to the server's limits) for the metrics, params and tags in between, then acknowledges them.
 *
 * <p>Why resending is harmless: MLflow's metric table has the primary key (key, timestamp, step, value, is_nan)
 * per run, and its SQL store answers a duplicate insert by storing only the points that are missing (MLflow 3.17.2,
 * {@code SqlAlchemyStore._log_metrics}); every point carries the timestamp taken when it was logged, so a group
 * that is sent again after an answer was lost adds nothing. Tags, the run's status and artifacts are overwritten
 * with the same values; a param logged again with the same value is accepted.
 *
 * <p>A trial run's FINISHED end is checked against the other runs of its trial under the same parent run first (and
 * once more after it is stored, for an end that raced it): a trial keeps one FINISHED run ({@link DuplicateRuns}), so
 * an end sent late (a lost executor's spool, a replay) never adds a second one.
 */
final class SpoolSender {
  private static final Logger LOG = LoggerFactory.getLogger(SpoolSender.class);
  /** Records read per group. */
  static final int GROUP = 10_000;

  private final SegmentLog spool;
  private final MlflowRestClient client;
  private String artifactUri;
  private List<SegmentLog.Entry> group = List.of();
  private String endStatus;
  /** The status the last end record was sent as (a trial run's FINISHED may become KILLED: {@link #endTrialRun}). */
  private String sentEndStatus;

  SpoolSender(SegmentLog spool, MlflowRestClient client) {
    this.spool = spool;
    this.client = client;
    this.artifactUri = spool.meta().artifactUri();
  }

  /**
   * Sends the next group (the one that failed last time, if any) and acknowledges it.
   *
   * @return the number of records sent, 0 when nothing is waiting
   * @throws TrackingException if the request failed ({@link MlflowHttp.ApiException}: refused for good)
   */
  int sendNext() {
    if (group.isEmpty()) {
      group = spool.readGroup(GROUP);
      if (group.isEmpty()) {
        return 0;
      }
    }
    send(group);
    SegmentLog.Entry last = group.get(group.size() - 1);
    int n = group.size();
    spool.ack(last.end(), n, group.stream().mapToLong(SegmentLog.Entry::bytes).sum());
    if (last.rec() instanceof SpoolRecord.End) {
      endStatus = sentEndStatus;
    }
    group = List.of();
    return n;
  }

  /** The status of the end record sent, or null if none was sent yet. */
  String endStatus() {
    return endStatus;
  }

  /** True for a failure the server will give again however often the request is repeated (HTTP 4xx etc.). */
  static boolean permanent(TrackingException e) {
    return e instanceof MlflowHttp.ApiException;
  }

  /**
   * Ends run {@code runId} FINISHED unless it is a trial run whose trial already has a FINISHED run under the same
   * parent run (an earlier attempt's, or a retry's when this end was spooled and is sent late): then it ends
   * {@value DuplicateRuns#KILLED} with tag {@link Names.Tag#DUPLICATE_OF} ({@link DuplicateRuns}). After ending
   * FINISHED it looks again, for a run whose end raced this one, and ends the loser of the two KILLED. Returns the
   * status this run was ended with (for KILLED, not yet sent: the caller sends it).
   */
  private String endTrialRun(String runId, long endTime) {
    RunSnapshot self = client.getRunSnapshot(runId);
    String parent = self.tags().get(Names.Tag.PARENT_RUN_ID);
    String trial = self.tags().get(Names.Tag.TRIAL_ID);
    if (parent == null || trial == null) {
      client.updateRun(runId, "FINISHED", endTime); // not a trial run (a parent run's spooled end)
      return "FINISHED";
    }
    String filter = MlflowRestClient.tagEquals(Names.Tag.PARENT_RUN_ID, parent) + " and "
        + MlflowRestClient.tagEquals(Names.Tag.TRIAL_ID, trial);
    String expId = self.experimentId();
    String marked = self.tags().get(Names.Tag.DUPLICATE_OF);
    Optional<String> winner = marked != null ? Optional.of(marked)
        : DuplicateRuns.finishedElsewhere(runId, client.searchRuns(expId, filter, "attributes.start_time ASC"));
    if (winner.isPresent()) {
      LOG.warn("run {}: trial {} already has the FINISHED run {}; ending this one {} as its duplicate", runId, trial,
          winner.get(), DuplicateRuns.KILLED);
      tagDuplicate(runId, winner.get());
      return DuplicateRuns.KILLED;
    }
    client.updateRun(runId, "FINISHED", endTime);
    String status = "FINISHED";
    for (DuplicateRuns.Duplicate d : DuplicateRuns.losers(client.searchRuns(expId, filter,
        "attributes.start_time ASC"))) {
      LOG.warn("run {}: trial {} has two FINISHED runs (their ends raced); ending {} {} as a duplicate of {}", runId,
          trial, d.runId(), DuplicateRuns.KILLED, d.winnerRunId());
      tagDuplicate(d.runId(), d.winnerRunId());
      client.updateRun(d.runId(), DuplicateRuns.KILLED, endTime);
      if (d.runId().equals(runId)) {
        status = DuplicateRuns.KILLED;
      }
    }
    return status;
  }

  private void tagDuplicate(String runId, String winnerRunId) {
    client.logBatch(runId, new LogBatch(List.of(), List.of(), List.of(new LogBatch.Entry(Names.Tag.DUPLICATE_OF,
        winnerRunId))));
  }

  private void send(List<SegmentLog.Entry> entries) {
    String runId = spool.meta().runId();
    SpoolRecord first = entries.get(0).rec();
    if (first instanceof SpoolRecord.Artifact a) {
      if (artifactUri == null || artifactUri.isEmpty()) {
        artifactUri = client.getRun(runId).artifactUri();
      }
      client.putArtifact(artifactUri, a.path(), a.content());
      return;
    }
    if (first instanceof SpoolRecord.End e) {
      sentEndStatus = "FINISHED".equals(e.status()) ? endTrialRun(runId, e.endTime()) : e.status();
      if (!"FINISHED".equals(sentEndStatus)) {
        client.updateRun(runId, sentEndStatus, e.endTime());
      }
      return;
    }
    List<MetricPoint> metrics = new ArrayList<>(entries.size());
    // a key twice in one log-batch is refused (params) or ambiguous (tags): the last value of each key is sent
    Map<String, String> params = new LinkedHashMap<>();
    Map<String, String> tags = new LinkedHashMap<>();
    for (SegmentLog.Entry en : entries) {
      if (en.rec() instanceof SpoolRecord.Metric m) {
        metrics.add(new MetricPoint(m.key(), m.value(), m.timestamp(), m.step()));
      } else if (en.rec() instanceof SpoolRecord.Param p) {
        params.remove(p.key());
        params.put(p.key(), p.value());
      } else if (en.rec() instanceof SpoolRecord.Tag t) {
        tags.remove(t.key());
        tags.put(t.key(), t.value());
      } else {
        throw new IllegalStateException("not a batch record: " + en.rec());
      }
    }
    List<LogBatch.Entry> p = new ArrayList<>();
    params.forEach((k, v) -> p.add(new LogBatch.Entry(k, v)));
    List<LogBatch.Entry> t = new ArrayList<>();
    tags.forEach((k, v) -> t.add(new LogBatch.Entry(k, v)));
    for (LogBatch batch : LogBatchChunker.split(metrics, p, t, BatchLimits.MLFLOW)) {
      client.logBatch(runId, batch);
    }
  }
}
