package io.gradsweep.jobs;

import io.gradsweep.conf.GradsweepConf;
import io.gradsweep.spec.SweepSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import io.gradsweep.live.LiveServer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** The options of {@code run}, which {@code submit} shares. */
final class RunOptions {
  @Parameters(index = "0", paramLabel = "SPEC", description = "the sweep spec (YAML; conf/README.md documents it): a "
      + "path, or a Hadoop file-system URI (file:///data/s.yaml, hdfs://namenode:8020/specs/s.yaml); on YARN in "
      + "cluster mode, ship a local spec with spark-submit --files and name it by its file name")
  String spec;

  @Option(names = "--resume", description = "continue the sweep's most recent parent run (same experiment and sweep "
      + "name) after a crash or with an extended grid: trials with a FINISHED run are skipped, the others (cut off, "
      + "failed, or new) run under the same parent run (a new one if the sweep never ran)")
  boolean resume;

  @Option(names = "--parallelism", paramLabel = "N", converter = PositiveInt.class, description = "run at most N "
      + "trials at once (default: Spark's default parallelism, i.e. all cores of this machine for run, all "
      + "executor cores of the cluster for submit)")
  int parallelism;

  @Option(names = "--conf", paramLabel = "KEY=VALUE", converter = SparkSetting.Converter.class, description = "a "
      + "Spark setting, e.g. --conf spark.master=local[4] (run) or --conf spark.executor.memory=2g (submit), or one "
      + "of gradsweep's, e.g. --conf spark.gradsweep.progress.seconds=30 (listed below and in README: Settings); "
      + "repeatable. Without spark.master (from --conf, spark-submit or -Dspark.master) run uses local[*]")
  List<SparkSetting> conf = new ArrayList<>();

  @Option(names = ParquetResults.OPTION, paramLabel = "URI", description = "also write the trials table (the "
      + "columns of trials.csv, typed; missing values null) as Parquet to the directory URI at the end of the "
      + "sweep, with Spark's writer: file:/data/sweep1, hdfs://namenode:8020/sweeps/s1, s3a://bucket/s1 (needs "
      + "hadoop-aws), or a path on Hadoop's default file system. The directory is replaced on every run (a rerun or "
      + "--resume writes the whole table again), so it must not exist yet, be empty, or hold an earlier table; "
      + "checked before any trial runs")
  String results;

  @Mixin
  TrackingOptions tracking = new TrackingOptions();

  @Option(names = "--live", description = "serve a live view of the sweep from the driver (docs/live.md): per "
      + "running trial its ||dL/dh_t|| heatmap growing as profiles arrive, the current profile, the loss against "
      + "the baseline, the clip rate and status; finished trials in a strip sorted by the swept factors. Read-only, "
      + "on http://127.0.0.1:" + LiveServer.DEFAULT_PORT + "/ by default (printed with the parent run's address)")
  boolean live;

  @Mixin
  LiveOptions liveView = new LiveOptions();

  /**
   * Checks {@code --results} without touching a file system (its scheme must name a writable Hadoop file system
   * on the class path; {@code spark.hadoop.*} settings of {@code --conf} and system properties count); a usage
   * error otherwise. Nothing to check without it.
   */
  void checkResults(CommandSpec command) {
    if (results == null) {
      return;
    }
    try {
      ParquetResults.parse(results, hadoopConf());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage());
    }
  }

  /** The sweep spec ({@link SpecFile}: a local path or a Hadoop file-system URI), parsed and validated. */
  SweepSpec loadSpec() {
    SweepSpec loaded = SpecFile.load(spec, hadoopConf());
    long dataParallel = loaded.trials().stream().filter(t -> t.dataParallel() != null).count();
    if (!DataParallelRunner.available() && dataParallel > 0) {
      throw new io.gradsweep.sweep.SweepFailure(io.gradsweep.sweep.ExitStatus.USAGE_ERROR, "invalid sweep spec "
          + spec + ": " + DataParallelRunner.unavailable(dataParallel, loaded.trials().size()));
    }
    return loaded;
  }

  /**
   * Hadoop's configuration as Spark would make it before a session exists: the files on the class path
   * ({@code HADOOP_CONF_DIR}'s core-site.xml under spark-submit), then {@code spark.hadoop.*} settings of system
   * properties and of {@code --conf}.
   */
  Configuration hadoopConf() {
    Configuration hadoop = new Configuration();
    System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith(SPARK_HADOOP))
        .forEach(k -> hadoop.set(k.substring(SPARK_HADOOP.length()), System.getProperty(k)));
    conf.stream().filter(c -> c.key().startsWith(SPARK_HADOOP))
        .forEach(c -> hadoop.set(c.key().substring(SPARK_HADOOP.length()), c.value()));
    return hadoop;
  }

  /**
   * gradsweep's settings from the SparkConf this command's Spark session will start from ({@link JobSettings});
   * a bad one is a usage error naming the key, the value and what is allowed. Deprecation notes go to
   * {@code notes}.
   */
  GradsweepConf settings(CommandSpec command, Consumer<String> notes) {
    try {
      return JobSettings.read(JobSettings.sparkConf(conf), System.getProperties(), notes);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage() + " (README: Settings)");
    }
  }

  private static final String SPARK_HADOOP = "spark.hadoop.";
}
