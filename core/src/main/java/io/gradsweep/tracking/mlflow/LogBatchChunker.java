package io.gradsweep.tracking.mlflow;

import io.gradsweep.tracking.MetricPoint;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits what a run has to send into {@code log-batch} requests that each stay within {@link BatchLimits}: counts
 * of metrics, params, tags and entities, and the byte size of the JSON body.
 *
 * <p>Pure function. Order is kept within each kind: sending the returned batches one after the other stores the
 * metrics of every key in the order given. Params come first, then tags, then metrics, each batch filled greedily.
 */
final class LogBatchChunker {
  private LogBatchChunker() {}

  static List<LogBatch> split(List<MetricPoint> metrics, List<LogBatch.Entry> params, List<LogBatch.Entry> tags,
      BatchLimits limits) {
    List<LogBatch> out = new ArrayList<>();
    int budget = limits.maxBytes() - LogBatch.ENVELOPE_RESERVE;
    int p = 0;
    int t = 0;
    int m = 0;
    while (p < params.size() || t < tags.size() || m < metrics.size()) {
      List<LogBatch.Entry> bp = new ArrayList<>();
      List<LogBatch.Entry> bt = new ArrayList<>();
      List<MetricPoint> bm = new ArrayList<>();
      int bytes = 0;
      int entities = 0;
      while (p < params.size() && bp.size() < limits.maxParams() && entities < limits.maxEntities()) {
        int size = LogBatch.jsonSize(params.get(p));
        if (bytes + size > budget) {
          break;
        }
        bp.add(params.get(p++));
        bytes += size;
        entities++;
      }
      while (t < tags.size() && bt.size() < limits.maxTags() && entities < limits.maxEntities()) {
        int size = LogBatch.jsonSize(tags.get(t));
        if (bytes + size > budget) {
          break;
        }
        bt.add(tags.get(t++));
        bytes += size;
        entities++;
      }
      while (m < metrics.size() && bm.size() < limits.maxMetrics() && entities < limits.maxEntities()) {
        int size = LogBatch.jsonSize(metrics.get(m));
        if (bytes + size > budget) {
          break;
        }
        bm.add(metrics.get(m++));
        bytes += size;
        entities++;
      }
      if (entities == 0) {
        // Cannot happen with sanitized keys and truncated values (an entity is < 40 KB), but never loop forever.
        throw new IllegalArgumentException("a single entity exceeds the request size limit of " + limits.maxBytes()
            + " bytes");
      }
      out.add(new LogBatch(bm, bp, bt));
    }
    return out;
  }
}
