package io.gradsweep.tracking.mlflow;

import io.gradsweep.tracking.TrackingBackend;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.tracking.spool.SpoolBudget;
import io.gradsweep.tracking.spool.SpoolClock;
import java.nio.file.Path;

/**
 * Backend {@value MlflowTrackingSink#NAME}: an {@link MlflowTrackingSink} for {@code target.uri()}, authenticated
 * with {@code target.credentials()} only, with {@link MlflowTrackingSink.Settings#from} the target's settings
 * ({@code target.conf()}: spool directory, bound, give-up time). Every sink it opens in this JVM shares one
 * {@link SpoolBudget} (the bound of {@code spark.gradsweep.spool.max.mb}, the last opened sink's value winning),
 * so that the trial runs of an executor are bounded together.
 */
public final class MlflowTrackingBackend implements TrackingBackend {
  /** The spool budget of this JVM's MLflow sinks. */
  private static final SpoolBudget JVM_BUDGET = new SpoolBudget(Long.MAX_VALUE);

  @Override
  public String name() {
    return MlflowTrackingSink.NAME;
  }

  @Override
  public TrackingSink open(TrackingTarget target, Path spoolParent) {
    MlflowTrackingSink.Settings settings = MlflowTrackingSink.Settings.from(target.conf(), spoolParent);
    JVM_BUDGET.setMax(settings.spool().maxBytes());
    return new MlflowTrackingSink(target.uri(), settings, target.credentials(), JVM_BUDGET, SpoolClock.system());
  }
}
