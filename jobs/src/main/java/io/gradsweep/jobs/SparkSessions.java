package io.gradsweep.jobs;

import io.gradsweep.sweep.ExitStatus;
import io.gradsweep.sweep.ProgressReporter;
import io.gradsweep.sweep.SweepFailure;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The one place the job sets Spark up. The master and every other setting come from spark-submit, from
 * {@code -Dspark.*} system properties or from {@code --conf KEY=VALUE}; only when none gives a master does the
 * sweep run on {@code local[*]}. The caller stops the session (in a finally block).
 */
final class SparkSessions {
  /** JVM option that enables the engine's SIMD kernels. */
  static final String VECTOR_MODULE_OPTION = "--add-modules=jdk.incubator.vector";
  static final String REDACTION_REGEX = "spark.redaction.regex";
  /** Spark 3.5's default {@code spark.redaction.regex}. */
  static final String DEFAULT_REDACTION_REGEX = "(?i)secret|password|token|access[.]key";
  static final String TRACKING_CREDENTIALS_REGEX = "(?i)mlflow_tracking_(username|password|token)";
  /**
   * JavaCPP's bound on the process's resident memory (default 4 x the heap's maximum). While it is above 0, every
   * native allocation (ND4J makes one for each array it creates, views included) reads /proc/self/statm inside a
   * lock that every thread of the JVM shares, so trials running side by side in one JVM queue for it. 0 turns the
   * check off (JavaCPP's bound on its own allocations, {@code org.bytedeco.javacpp.maxBytes}, stays).
   */
  static final String JAVACPP_MAX_PHYSICAL_BYTES = "org.bytedeco.javacpp.maxPhysicalBytes";
  /** The system properties of every JVM that trains trials, unless already set: -Dkey=value. */
  static final Map<String, String> TRIAL_JVM_PROPERTIES = Map.of(JAVACPP_MAX_PHYSICAL_BYTES, "0");

  private SparkSessions() {}

  /**
   * A Spark session for sweep {@code sweepName}: settings already given win over the defaults set here, and
   * {@code confs} (from {@code --conf}) win over both. Exit status 4 when Spark cannot start.
   */
  static SparkSession start(String sweepName, List<SparkSetting> confs, Map<String, String> env, PrintStream err) {
    SparkLine.mismatch(SparkLine.built(), SparkLine.running()).ifPresent(why -> {
      throw new SweepFailure(ExitStatus.EXECUTOR_ERROR, why);
    });
    SparkConf conf = configure(sweepName, confs);
    if (conf.get("spark.master").startsWith("local") && env.get("OMP_NUM_THREADS") == null) {
      err.println(ProgressReporter.PREFIX + "warning: OMP_NUM_THREADS is not set; in local mode every trial's "
          + "ND4J ops use all cores and concurrent trials slow each other down (bin/gradsweep sets it to 1)");
    }
    try {
      return SparkSession.builder().config(conf).getOrCreate();
    } catch (RuntimeException e) {
      throw new SweepFailure(ExitStatus.EXECUTOR_ERROR, "could not start Spark on " + conf.get("spark.master")
          + ": " + TrialDispatcher.firstLine(e));
    }
  }

  /** The session's settings (see {@link #start}). */
  static SparkConf configure(String sweepName, List<SparkSetting> confs) {
    SparkConf conf = new SparkConf();
    confs.forEach(c -> conf.set(c.key(), c.value()));
    conf.setIfMissing("spark.master", "local[*]");
    String appName = conf.get("spark.app.name", SweepJob.class.getName());
    if (appName.equals(SweepJob.class.getName()) || appName.endsWith(".jar")) {
      // unset, or spark-submit's default: the main class, or the jar's file name when the manifest names the class
      conf.set("spark.app.name", "gradsweep " + sweepName);
    }
    conf.setIfMissing("spark.ui.showConsoleProgress", "false");
    // the results table (--results) has 40 columns: without this Spark warns that it shortened the plan's text
    conf.setIfMissing("spark.sql.debug.maxToStringFields", "200");
    // the engine's SIMD kernels on the executors (without the module they fall back to plain loops)
    String executorOpts = conf.get("spark.executor.extraJavaOptions", "");
    if (!executorOpts.contains("jdk.incubator.vector")) {
      executorOpts = (executorOpts + " " + VECTOR_MODULE_OPTION).strip();
    }
    // and the settings of a JVM that trains (JavaCPP's memory check off: TRIAL_JVM_PROPERTIES)
    conf.set("spark.executor.extraJavaOptions", withTrialJvmProperties(executorOpts));
    // Tracking credentials travel inside the tasks (TrackingCredentials), not in the Spark conf. Should someone
    // still pass them as spark.executorEnv.MLFLOW_TRACKING_*, the UI, event log and logs redact them, user included.
    conf.set(REDACTION_REGEX, redactionRegex(conf.get(REDACTION_REGEX, DEFAULT_REDACTION_REGEX)));
    // One ND4J/OpenMP thread per call on the executors, whatever spark.task.cpus is: ND4J sets OpenBLAS's thread
    // count from OMP_NUM_THREADS when it loads, and that count is one setting for the whole process. A trial given
    // several CPUs (spark.task.cpus = n) uses them through the engine's own n threads (TrialTask passes the task's
    // CPUs to the trainer), each running its own products; OpenBLAS threads on top of them would oversubscribe the
    // cores, and so would n OpenBLAS threads for each of the executor's concurrent trials. The engine also makes
    // OpenBLAS single-threaded itself once it runs threads.
    conf.setIfMissing("spark.executorEnv.OMP_NUM_THREADS", "1");
    return conf;
  }

  /**
   * Sets the {@link #TRIAL_JVM_PROPERTIES} that {@code system} (this JVM's, which trains the trials of a local sweep)
   * does not set yet, in any spelling JavaCPP reads. Must run before anything loads ND4J.
   */
  static void defaultTrialJvmProperties(java.util.Properties system) {
    TRIAL_JVM_PROPERTIES.forEach((k, v) -> {
      if (system.getProperty(k) == null && system.getProperty(k.toLowerCase(java.util.Locale.ROOT)) == null) {
        system.setProperty(k, v);
      }
    });
  }

  /** {@code opts} with {@code -Dkey=value} appended for each {@link #TRIAL_JVM_PROPERTIES} key it does not name. */
  static String withTrialJvmProperties(String opts) {
    StringBuilder b = new StringBuilder(opts);
    TRIAL_JVM_PROPERTIES.forEach((k, v) -> {
      if (!opts.toLowerCase(java.util.Locale.ROOT).contains("-d" + k.toLowerCase(java.util.Locale.ROOT) + "=")) {
        b.append(b.length() == 0 ? "" : " ").append("-D").append(k).append('=').append(v);
      }
    });
    return b.toString();
  }

  /** {@code regex} extended so that keys and values naming MLflow tracking credentials are redacted too. */
  static String redactionRegex(String regex) {
    return regex.contains(TRACKING_CREDENTIALS_REGEX) ? regex : regex + "|" + TRACKING_CREDENTIALS_REGEX;
  }

  /**
   * On a cluster, waits until an executor has registered: Spark's default parallelism counts only registered
   * cores, and a cluster that cannot start the application's executors would otherwise leave the sweep waiting
   * without a word. Exit status 4 when none comes within {@code waitSeconds} (setting
   * {@code spark.gradsweep.executor.wait.seconds}).
   */
  static void awaitExecutors(JavaSparkContext jsc, long waitSeconds) throws InterruptedException {
    if (jsc.isLocal()) {
      return;
    }
    long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
    // getExecutorInfos() includes the driver
    while (jsc.sc().statusTracker().getExecutorInfos().length < 2) {
      if (jsc.sc().isStopped() || System.nanoTime() > deadline) {
        throw new SweepFailure(ExitStatus.EXECUTOR_ERROR, "no executor registered with " + jsc.master()
            + " within " + waitSeconds + " s: check that the workers are up and have the cores and memory the "
            + "application asks for (spark.executor.memory, spark.executor.cores)");
      }
      Thread.sleep(200);
    }
    // let executors started together (one per worker) register together: until none has come for 2 s (at most 15)
    int seen = jsc.sc().statusTracker().getExecutorInfos().length;
    long quietSince = System.nanoTime();
    long giveUp = quietSince + 15_000_000_000L;
    while (System.nanoTime() - quietSince < 2_000_000_000L && System.nanoTime() < giveUp) {
      Thread.sleep(200);
      int n = jsc.sc().statusTracker().getExecutorInfos().length;
      if (n != seen) {
        seen = n;
        quietSince = System.nanoTime();
      }
    }
  }
}
