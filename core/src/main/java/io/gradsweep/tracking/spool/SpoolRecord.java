package io.gradsweep.tracking.spool;

import java.util.Arrays;
import java.util.Objects;

/** One thing a run still has to send, as a spool stores it ({@link RecordCodec} gives its bytes). */
public sealed interface SpoolRecord
    permits SpoolRecord.Metric, SpoolRecord.Param, SpoolRecord.Tag, SpoolRecord.Artifact, SpoolRecord.End {

  /** Whether the record is sent on its own (an artifact upload, the run's end), not in a batch with others. */
  default boolean alone() {
    return this instanceof Artifact || this instanceof End;
  }

  /** A metric point; {@code timestamp} in ms since the epoch. */
  record Metric(String key, double value, long timestamp, long step) implements SpoolRecord {
    public Metric {
      Objects.requireNonNull(key, "key");
    }
  }

  record Param(String key, String value) implements SpoolRecord {
    public Param {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }
  }

  record Tag(String key, String value) implements SpoolRecord {
    public Tag {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }
  }

  /** A file for the run's artifacts at {@code path}; equal when path and bytes are. */
  record Artifact(String path, byte[] content) implements SpoolRecord {
    public Artifact {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(content, "content");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Artifact a && a.path.equals(path) && Arrays.equals(a.content, content);
    }

    @Override
    public int hashCode() {
      return path.hashCode() * 31 + Arrays.hashCode(content);
    }

    @Override
    public String toString() {
      return "Artifact[path=" + path + ", " + content.length + " bytes]";
    }
  }

  /** The run's end: status FINISHED, FAILED or KILLED at {@code endTime} (ms). */
  record End(String status, long endTime) implements SpoolRecord {
    public End {
      Objects.requireNonNull(status, "status");
    }
  }
}
