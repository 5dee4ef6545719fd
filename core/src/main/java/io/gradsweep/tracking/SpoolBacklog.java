package io.gradsweep.tracking;

import java.io.Serializable;

/**
 * What a run could not send before its sender gave up: the records wait in a spool directory on a host, for
 * {@code gradsweep replay}.
 *
 * @param runId the run
 * @param trackingUri the server they are for
 * @param host the machine whose disk holds the spool
 * @param root the spool root directory (give it to {@code gradsweep replay})
 * @param records records not yet acknowledged by the server
 */
public record SpoolBacklog(String runId, String trackingUri, String host, String root, long records)
    implements Serializable {
  public SpoolBacklog {
    if (records < 0) {
      throw new IllegalArgumentException("records must be >= 0, got " + records);
    }
  }
}
