package io.gradsweep.tracking;

import io.gradsweep.spec.TrialSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Discards everything: for {@code plan} and dry runs. Sweep and trial runs have null ids (as
 * {@code TrialResult.runId()} for an untracked trial); logging never fails, also after {@code finish}.
 */
public final class NoneTrackingSink implements TrackingSink {
  public static final String NAME = "none";

  private static final TrialRun DISCARD = new TrialRun() {
    @Override
    public String runId() {
      return null;
    }

    @Override
    public void logMetric(String key, double value, long step) {}

    @Override
    public void setTag(String key, String value) {}

    @Override
    public void logArtifact(String path, byte[] content) {}

    @Override
    public boolean keepsArtifacts() {
      return false;
    }

    @Override
    public void finish(boolean success) {}
  };

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public void checkReachable() {}

  @Override
  public SweepRun startSweep(String experiment, String sweepName, Map<String, String> params,
      Map<String, String> tags, byte[] specYaml) {
    return new SweepRun(null, null, null);
  }

  @Override
  public TrialRun startTrial(SweepRun sweep, TrialSpec trial) {
    return DISCARD;
  }

  @Override
  public void logSweepArtifact(SweepRun sweep, String path, byte[] content) {}

  @Override
  public void endSweep(SweepRun sweep, boolean success) {}

  @Override
  public Optional<SweepRun> findSweep(String experiment, String sweepName) {
    return Optional.empty();
  }

  @Override
  public RunSnapshot sweepSnapshot(SweepRun sweep) {
    throw new TrackingException("tracking backend 'none' stores nothing: there is no sweep to read back");
  }

  @Override
  public List<RunSnapshot> trialRuns(SweepRun sweep) {
    return List.of();
  }

  @Override
  public void reopenSweep(SweepRun sweep, Map<String, String> tags) {}

  @Override
  public void close() {}
}
