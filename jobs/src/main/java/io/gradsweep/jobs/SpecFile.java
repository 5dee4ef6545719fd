package io.gradsweep.jobs;

import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.SpecException;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.sweep.ExitStatus;
import io.gradsweep.sweep.SweepFailure;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * Reading a sweep spec on the driver: nothing is logged for an invalid spec (exit status 2). The spec is a local
 * path, or a Hadoop file-system URI ({@code file:///...}, {@code hdfs://namenode/...}, {@code s3a://...} with
 * hadoop-aws), read with Hadoop's FileSystem: a driver in a YARN container has no copy of the user's files but
 * what {@code --files} localized into its working directory.
 */
final class SpecFile {
  /** {@code scheme:/...}: a scheme of two or more characters (so never a drive letter), then a slash. */
  private static final Pattern URI = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]+:/.*");
  /** Larger is no sweep spec: refuse it before reading it into memory. */
  static final long MAX_BYTES = 1 << 20;

  private SpecFile() {}

  /** Whether {@code location} is read through Hadoop's FileSystem (a URI) rather than as a local path. */
  static boolean isUri(String location) {
    return URI.matcher(location).matches();
  }

  /** The spec at {@code location} (a local path or a Hadoop file-system URI, see {@link #isUri}). */
  static SweepSpec load(String location, Configuration hadoop) {
    if (!isUri(location)) {
      return load(Path.of(location));
    }
    String text;
    try {
      org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(location);
      FileSystem fs = path.getFileSystem(hadoop); // cached by Hadoop: not closed here
      long size = fs.getFileStatus(path).getLen();
      if (size > MAX_BYTES) {
        throw new SweepFailure(ExitStatus.USAGE_ERROR, "sweep spec " + location + " has " + size + " bytes; a "
            + "spec has at most " + MAX_BYTES);
      }
      try (InputStream in = fs.open(path)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException | IllegalArgumentException e) {
      throw new SweepFailure(ExitStatus.USAGE_ERROR, "cannot read sweep spec " + location + " with Hadoop's "
          + "FileSystem: " + e.getMessage() + " (a spec is a local path or a URI of a file system on the class "
          + "path: file:///..., hdfs://..., s3a://... with hadoop-aws)");
    }
    try {
      return nonEmpty(Sweeps.parse(text, location), location);
    } catch (SpecException e) {
      throw new SweepFailure(ExitStatus.USAGE_ERROR, "invalid sweep spec " + location + ": " + e.getMessage());
    }
  }

  /** The spec in {@code file}, parsed and validated; a spec that expands to no trials is an error too. */
  static SweepSpec load(Path file) {
    SweepSpec spec;
    try {
      spec = Sweeps.parseFile(file);
    } catch (SpecException e) {
      throw new SweepFailure(ExitStatus.USAGE_ERROR, "invalid sweep spec " + file + ": " + e.getMessage());
    }
    return nonEmpty(spec, file.toString());
  }

  private static SweepSpec nonEmpty(SweepSpec spec, String where) {
    if (spec.trials().isEmpty()) {
      throw new SweepFailure(ExitStatus.USAGE_ERROR, "sweep spec " + where + " expands to no trials");
    }
    return spec;
  }
}
