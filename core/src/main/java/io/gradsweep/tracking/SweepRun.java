package io.gradsweep.tracking;

import java.io.Serializable;

/**
 * The parent run of a sweep, as the executors need it.
 *
 * @param experimentId backend experiment id
 * @param runId parent run id
 * @param uiUrl address of the parent run in the backend's UI (may be null)
 */
public record SweepRun(String experimentId, String runId, String uiUrl) implements Serializable {}
