package io.gradsweep.jobs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The options of {@code run}, which {@code submit} shares. */
final class RunOptions {
  @Parameters(index = "0", paramLabel = "SPEC", description = "the sweep spec (YAML; conf/README.md documents it)")
  Path spec;

  @Option(names = "--resume", description = "continue the sweep's most recent parent run (same experiment and sweep "
      + "name) after a crash or with an extended grid: trials with a FINISHED run are skipped, the others (cut off, "
      + "failed, or new) run under the same parent run (a new one if the sweep never ran)")
  boolean resume;

  @Option(names = "--parallelism", paramLabel = "N", converter = PositiveInt.class, description = "run at most N "
      + "trials at once (default: Spark's default parallelism, i.e. all cores of this machine for run, all "
      + "executor cores of the cluster for submit)")
  int parallelism;

  @Option(names = "--conf", paramLabel = "KEY=VALUE", converter = SparkSetting.Converter.class, description = "a "
      + "Spark setting, e.g. --conf spark.master=local[4] (run) or --conf spark.executor.memory=2g (submit); "
      + "repeatable. Without spark.master (from --conf, spark-submit or -Dspark.master) run uses local[*]")
  List<SparkSetting> conf = new ArrayList<>();

  @Mixin
  TrackingOptions tracking = new TrackingOptions();
}
