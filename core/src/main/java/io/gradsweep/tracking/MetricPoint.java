package io.gradsweep.tracking;

/**
 * One value of a step metric as stored by a backend.
 *
 * @param key metric key (after {@code MlflowKeys.sanitizeKey})
 * @param value the value (finite)
 * @param timestamp wall-clock time in milliseconds since the epoch
 * @param step training step
 */
public record MetricPoint(String key, double value, long timestamp, long step) {}
