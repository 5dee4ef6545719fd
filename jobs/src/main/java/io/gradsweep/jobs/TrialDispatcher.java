package io.gradsweep.jobs;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.sweep.TrialListener;
import io.gradsweep.sweep.TrialOutcome;
import io.gradsweep.sweep.TrialPool;
import io.gradsweep.train.TrialResult;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.rdd.RDD;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * Runs a sweep's trials as Spark tasks, one trial per partition.
 *
 * <p>The trials become one RDD with exactly one trial in each partition ({@code numSlices = trials.size()}), so
 * that no task holds two trials while a core idles. Each partition is then run as its own one-task Spark job,
 * at most {@code parallelism} at once, from a small pool of driver threads: a trial whose task fails for good
 * (after Spark's retries) costs that trial only, and the others still run and report. (Spark still retries a
 * failed task, up to {@code spark.task.maxFailures} attempts, on any executor.)
 */
final class TrialDispatcher {

  private TrialDispatcher() {}

  /** The trials (or their segments) as an RDD with one in each partition. */
  static <T> JavaRDD<T> distribute(JavaSparkContext jsc, List<T> trials) {
    return jsc.parallelize(trials, trials.size());
  }

  /**
   * Runs every trial; returns one outcome per trial, in the trials' order: the trial's result, or a FAILED stand-in
   * with the executor error set when Spark could not run the trial's task.
   */
  static List<TrialOutcome> runAll(JavaSparkContext jsc, List<TrialSpec> trials,
      FlatMapFunction<Iterator<TrialSpec>, TrialResult> task, int parallelism, TrialListener listener)
      throws InterruptedException {
    return runAll(jsc, trials, task, parallelism, listener, t -> t, "trial ");
  }

  /**
   * As {@link #runAll(JavaSparkContext, List, FlatMapFunction, int, TrialListener)} for any serializable item that
   * names its trial ({@code trialOf}), e.g. a {@link io.gradsweep.sweep.TrialSegment}.
   *
   * @param labelPrefix start of each job's description in the Spark UI, e.g. {@code trial }
   */
  static <T> List<TrialOutcome> runAll(JavaSparkContext jsc, List<T> items,
      FlatMapFunction<Iterator<T>, TrialResult> task, int parallelism, TrialListener listener,
      java.util.function.Function<T, TrialSpec> trialOf, String labelPrefix) throws InterruptedException {
    JavaRDD<T> distributed = distribute(jsc, items);
    return TrialPool.runAll(items.size(), parallelism, "gradsweep-dispatch", "dispatching a trial",
        index -> runOne(jsc, distributed, task, items, index, listener, trialOf, labelPrefix));
  }

  private static <T> TrialOutcome runOne(JavaSparkContext jsc, JavaRDD<T> distributed,
      FlatMapFunction<Iterator<T>, TrialResult> task, List<T> trials, int index, TrialListener listener,
      java.util.function.Function<T, TrialSpec> trialOf, String labelPrefix) {
    TrialSpec trial = trialOf.apply(trials.get(index));
    String label = labelPrefix + (index + 1) + "/" + trials.size() + ": " + trial.displayName();
    jsc.setJobDescription(label); // names the job in the Spark UI; a thread-local property of this pool thread
    long t0 = System.nanoTime();
    TrialOutcome outcome;
    try {
      // A fresh RDD for each job: when a stage fails for good, Spark aborts every active job whose stages reach
      // the failed stage's RDD, so jobs sharing one result RDD would all fail with the first failing trial.
      RDD<TrialResult> own = distributed.rdd().mapPartitions(new RunPartition<>(task), true, RESULT);
      List<List<TrialResult>> parts = new ArrayList<>(List.of(List.of()));
      jsc.sc().runJob(own, new ToList(), partitions(index), new KeepPart(parts), LIST);
      outcome = new TrialOutcome(parts.get(0).get(0), null);
    } catch (Exception e) { // SparkException is checked, but Scala does not declare it
      String why = firstLine(e);
      outcome = new TrialOutcome(TrialResult.failed(trial.id(), trial.displayName(), null, "Spark: " + why,
          (System.nanoTime() - t0) / 1e9), why);
    }
    listener.trialFinished(index, outcome.result());
    return outcome;
  }

  // The functions of a job are plain classes, not lambdas: Spark's closure cleaner reads the class that defines a
  // lambda with ASM (JavaRDDLike, SparkContext: large classes) at every job, twice per trial, which cost most of the
  // driver's time per trial; for a plain function object it returns at once.

  private static final ClassTag<TrialResult> RESULT = ClassTag$.MODULE$.apply(TrialResult.class);
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static final ClassTag<List<TrialResult>> LIST = (ClassTag) ClassTag$.MODULE$.apply(List.class);

  // scala.collection.JavaConverters is the one Java-callable converter API that both Scala 2.12 (Spark 3.5) and
  // Scala 2.13 (Spark 4) have; 2.13 deprecates it for scala.jdk.javaapi.CollectionConverters, which 2.12 lacks.

  /** The partition ids of a one-partition job, as the Scala Seq that SparkContext.runJob takes. */
  @SuppressWarnings("deprecation")
  static scala.collection.immutable.Seq<Object> partitions(int index) {
    return JavaConverters.asScalaBuffer(List.<Object>of(index)).toList();
  }

  /** The task: runs the partition's trials. */
  static final class RunPartition<T> extends AbstractFunction1<scala.collection.Iterator<T>,
      scala.collection.Iterator<TrialResult>> implements Serializable {
    private final FlatMapFunction<Iterator<T>, TrialResult> task;

    RunPartition(FlatMapFunction<Iterator<T>, TrialResult> task) {
      this.task = task;
    }

    @Override
    @SuppressWarnings("deprecation") // JavaConverters: see partitions()
    public scala.collection.Iterator<TrialResult> apply(scala.collection.Iterator<T> trials) {
      try {
        return JavaConverters.asScalaIterator(task.call(JavaConverters.asJavaIterator(trials)));
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** The job's function: the partition's results as a list (sent back to the driver). */
  static final class ToList extends AbstractFunction2<TaskContext, scala.collection.Iterator<TrialResult>,
      List<TrialResult>> implements Serializable {
    @Override
    public List<TrialResult> apply(TaskContext context, scala.collection.Iterator<TrialResult> results) {
      List<TrialResult> list = new ArrayList<>(1);
      results.foreach(r -> list.add(r));
      return list;
    }
  }

  /** On the driver: keeps the job's one result. */
  static final class KeepPart extends AbstractFunction2<Object, List<TrialResult>, BoxedUnit> {
    private final List<List<TrialResult>> into;

    KeepPart(List<List<TrialResult>> into) {
      this.into = into;
    }

    @Override
    public BoxedUnit apply(Object index, List<TrialResult> part) {
      into.set(0, part);
      return BoxedUnit.UNIT;
    }
  }

  /** The first line of an exception's message (Spark appends the remote stack trace to it). */
  static String firstLine(Throwable e) {
    String m = e.getMessage();
    if (m == null || m.isBlank()) {
      return e.getClass().getName();
    }
    return m.lines().findFirst().orElse(m).strip();
  }
}
