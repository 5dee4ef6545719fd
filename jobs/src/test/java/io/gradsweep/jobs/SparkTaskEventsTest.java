package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradsweep.sweep.TrialListener;
import io.gradsweep.train.TrialResult;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.Success$;
import org.apache.spark.TaskResultLost$;
import org.apache.spark.TaskState;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;
import org.apache.spark.scheduler.TaskLocality;
import org.junit.jupiter.api.Test;

/** Spark's task events reach the trial listener as attempts of the trial in the task's partition. */
class SparkTaskEventsTest {
  private long taskIds;

  private TaskInfo task(int partition, int attempt) {
    return new TaskInfo(taskIds++, 0, attempt, partition, 0, "1", "127.0.0.1", TaskLocality.PROCESS_LOCAL(), false);
  }

  @Test
  void taskStartsAndFailedAttemptsAreForwardedByPartition() {
    List<String> seen = new ArrayList<>();
    SparkTrialExecutor.TaskEvents events = new SparkTrialExecutor.TaskEvents(new TrialListener() {
      @Override
      public void attemptStarted(int index) {
        seen.add("start " + index);
      }

      @Override
      public void attemptFailed(int index) {
        seen.add("failed " + index);
      }

      @Override
      public void trialFinished(int index, TrialResult result) {
        seen.add("finished " + index);
      }
    });
    TaskInfo ok = task(3, 0);
    TaskInfo lost = task(1, 0);
    events.onTaskStart(new SparkListenerTaskStart(0, 0, ok));
    events.onTaskStart(new SparkListenerTaskStart(0, 0, lost));
    ok.markFinished(TaskState.FINISHED(), 1);
    events.onTaskEnd(new SparkListenerTaskEnd(0, 0, "ResultTask", Success$.MODULE$, ok, null, null));
    lost.markFinished(TaskState.FAILED(), 1);
    events.onTaskEnd(new SparkListenerTaskEnd(0, 0, "ResultTask", TaskResultLost$.MODULE$, lost, null, null));
    assertEquals(List.of("start 3", "start 1", "failed 1"), seen, "the result, not the task end, finishes a trial");
  }
}
