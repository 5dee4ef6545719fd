package io.gradsweep.jobs;

import io.gradsweep.spec.SpecException;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.search.Sweeps;
import io.gradsweep.sweep.ExitStatus;
import io.gradsweep.sweep.SweepFailure;
import java.nio.file.Path;

/** Reading a sweep spec file on the driver: nothing is logged for an invalid spec (exit status 2). */
final class SpecFile {
  private SpecFile() {}

  /** The spec in {@code file}, parsed and validated; a spec that expands to no trials is an error too. */
  static SweepSpec load(Path file) {
    SweepSpec spec;
    try {
      spec = Sweeps.parseFile(file);
    } catch (SpecException e) {
      throw new SweepFailure(ExitStatus.USAGE_ERROR, "invalid sweep spec " + file + ": " + e.getMessage());
    }
    if (spec.trials().isEmpty()) {
      throw new SweepFailure(ExitStatus.USAGE_ERROR, "sweep spec " + file + " expands to no trials");
    }
    return spec;
  }
}
