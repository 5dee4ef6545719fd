package io.gradsweep.tracking.mlflow;

/**
 * Limits of one {@code runs/log-batch} request.
 *
 * @param maxMetrics metrics per request
 * @param maxParams params per request
 * @param maxTags tags per request
 * @param maxEntities metrics + params + tags per request
 * @param maxBytes size of the JSON body in bytes
 */
record BatchLimits(int maxMetrics, int maxParams, int maxTags, int maxEntities, int maxBytes) {
  /** The limits of the MLflow tracking server (mlflow/utils/validation.py). */
  static final BatchLimits MLFLOW = new BatchLimits(1000, 100, 100, 1000, 1_000_000);

  BatchLimits {
    if (maxMetrics < 1 || maxParams < 1 || maxTags < 1 || maxEntities < 1) {
      throw new IllegalArgumentException("batch limits must be >= 1: " + maxMetrics + "/" + maxParams + "/"
          + maxTags + "/" + maxEntities);
    }
    if (maxBytes < LogBatch.ENVELOPE_RESERVE + 64 * 1024) {
      throw new IllegalArgumentException("maxBytes too small: " + maxBytes);
    }
  }
}
