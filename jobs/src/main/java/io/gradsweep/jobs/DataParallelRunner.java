package io.gradsweep.jobs;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.train.TrialResult;
import io.gradsweep.tracking.TrialRun;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Trains one data-parallel trial ({@code training.data_parallel}) from the driver, as Spark jobs of
 * {@code workers} tasks on {@code jsc}, logging to {@code run}; returns its result and finishes the run, as
 * {@code TrialRunner.run} does. Deeplearning4j's Spark module is built for Spark 3 / Scala 2.12 only: the
 * implementation ({@code io.gradsweep.jobs.dataparallel.Dl4jSparkRunner}) is compiled into the Spark 3.5 jar alone,
 * and {@link #load()} is how the rest of the job finds it without naming it.
 */
public interface DataParallelRunner {
  /** The implementation's class, present in the Spark 3.5 build only. */
  String IMPLEMENTATION = "io.gradsweep.jobs.dataparallel.Dl4jSparkRunner";

  TrialResult run(JavaSparkContext jsc, TrialSpec trial, TrialRun run);

  /**
   * The runner of this build.
   *
   * @throws IllegalStateException when this build has none (the Spark 4 jar): the message says which build has it
   */
  static DataParallelRunner load() {
    try {
      return (DataParallelRunner) Class.forName(IMPLEMENTATION).getDeclaredConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(unavailable(), e);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot start the data-parallel runner " + IMPLEMENTATION + ": " + e, e);
    }
  }

  /** Whether this build can train data-parallel trials. */
  static boolean available() {
    try {
      Class.forName(IMPLEMENTATION, false, DataParallelRunner.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** Why a spec with {@code training.data_parallel} cannot run on this build. */
  static String unavailable() {
    return "data_parallel needs Deeplearning4j's Spark module (dl4j-spark_2.12 1.0.0-M2), which exists for "
        + "Spark 3 / Scala 2.12 only; this is the Spark " + SparkLine.built().sparkVersion() + " / Scala "
        + SparkLine.built().scalaBinaryVersion() + " build. Run the spec with the Spark 3.5 jar "
        + "(jobs/target/gradsweep-spark3.jar, the default build), or drop data_parallel";
  }

  /**
   * {@link #unavailable()} for a spec: how many of its trials are data-parallel and where the key can sit
   * ({@code training.data_parallel} for every trial, or a {@code variants} entry's {@code data_parallel} for that
   * variant's trials).
   */
  static String unavailable(long dataParallelTrials, long trials) {
    return dataParallelTrials + " of its " + trials + " trials are data-parallel (training.data_parallel, or "
        + "data_parallel in a variants entry), and " + unavailable();
  }
}
