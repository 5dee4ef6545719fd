package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.sweep.InProcessTrialExecutor;
import io.gradsweep.sweep.SweepDriver;
import io.gradsweep.sweep.TrialAttempt;
import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import io.gradsweep.tracking.MetricPoint;
import io.gradsweep.tracking.Names;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.tracking.TrialRun;
import io.gradsweep.train.Segment;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialRunner;
import io.gradsweep.train.TrialStatus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * ASHA on local[2] against a real MLflow server: segments are Spark tasks that continue each trial from its
 * checkpoint artifact in its own run; and {@code run --resume} continues cut-off trials from their checkpoints.
 */
class AshaLocalIT {
  static final Path ASHA = Path.of("src/test/resources/asha-sweep.yaml");

  private static int sweep(String[] args, ByteArrayOutputStream out, ByteArrayOutputStream err) {
    System.setProperty("spark.master", "local[2]");
    try {
      return SweepJob.run(args, Map.of("OMP_NUM_THREADS", "1"), new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
    } finally {
      System.clearProperty("spark.master");
    }
  }

  @Test
  void ashaSweepStopsTrialsAtRungsAndPromotedTrialsContinueWithoutAGap() throws Exception {
    try (MlflowTestServer server = MlflowTestServer.start()) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      long t0 = System.nanoTime();
      int status = sweep(new String[] {"run", ASHA.toString(), "--tracking-uri", server.uri()}, out, err);
      String stdout = out.toString(StandardCharsets.UTF_8);
      String stderr = err.toString(StandardCharsets.UTF_8);
      System.out.printf("ASHA sweep: %.1f s%n%s%s", (System.nanoTime() - t0) / 1e9, stdout, stderr);
      assertEquals(0, status, stderr);

      MlflowRestReader reader = new MlflowRestReader(server.uri());
      String parentId = SweepReadback.parentRunId(stdout);
      RunRecord parent = reader.run(parentId);
      assertEquals("FINISHED", parent.status());
      assertEquals("10,30,90", parent.tags().get(Names.Tag.ASHA_RUNGS));
      assertEquals("asha", parent.params().get("search.scheduler"));
      List<RunRecord> children = reader.children(parentId);
      SweepSpec spec = Sweeps.parseFile(ASHA);
      assertEquals(spec.trials().size(), children.size(), "one run per trial across its segments");
      long total = 0;
      int stopped = 0;
      for (RunRecord c : children) {
        assertEquals("FINISHED", c.status(), c.toString());
        String st = c.tags().get(Names.Tag.STATUS);
        long last = (long) reader.metricHistory(c.runId(), Names.Metric.FINAL_STEPS).get(0).value();
        total += last;
        List<Long> steps = reader.metricHistory(c.runId(), Names.Metric.TRAIN_LOSS).stream()
            .map(MetricPoint::step).sorted().toList();
        assertEquals(LongStream.rangeClosed(1, last).boxed().toList(), steps,
            c.runName() + " (" + st + "): train/loss once at every step, no gap, no restart");
        int rung = Integer.parseInt(c.tags().get(Names.Tag.ASHA_RUNG));
        assertEquals(List.of(10L, 30L, 90L).subList(0, rung + 1), reader.metricHistory(c.runId(),
            Names.Metric.ASHA_RUNG).stream().map(MetricPoint::step).sorted().toList());
        if (TrialStatus.STOPPED_BY_SCHEDULER.name().equals(st)) {
          stopped++;
          assertTrue(last == 10 || last == 30, c.runName() + " stopped at " + last);
        } else {
          assertEquals(90, last, c.runName() + " " + st);
        }
        assertTrue(reader.allArtifactPaths(c.runId()).contains(Names.Artifact.CHECKPOINT)
            || last == 90, "paused trials keep their checkpoint");
      }
      assertTrue(stopped >= 6, stopped + " stopped");
      long full = (long) spec.trials().size() * 90;
      assertTrue(total < full, total + " steps trained of " + full);
      System.out.printf("ASHA sweep: %d trials, %d stopped, %d steps of %d%n", children.size(), stopped, total, full);
      assertTrue(stdout.contains("STOPPED_BY_SCHEDULER"), "the summary table shows the status:\n" + stdout);
      assertTrue(stderr.contains("ASHA: rungs 10,30,90, " + stopped + " of 9 trials stopped by the scheduler; "
          + total + " steps trained"), stderr);
    }
  }

  /** Trains the trial as the engine does, but its task "dies" after step 25: nothing ends its run. */
  static final class CutOff implements TrialAttempt.Trainer {
    @Override
    public TrialResult train(TrialSpec trial, TrialRun run) {
      throw new UnsupportedOperationException();
    }

    @Override
    public TrialResult train(TrialSpec trial, TrialRun run, Segment segment) {
      TrialRun dying = new TrialRun() {
        @Override
        public String runId() {
          return run.runId();
        }

        @Override
        public void logMetric(String key, double value, long step) {
          if (step > 25) {
            throw new IllegalStateException("executor lost");
          }
          run.logMetric(key, value, step);
        }

        @Override
        public void setTag(String key, String value) {
          run.setTag(key, value);
        }

        @Override
        public void logArtifact(String path, byte[] content) {
          run.logArtifact(path, content);
        }

        @Override
        public void finish(boolean success) {}
      };
      return new TrialRunner(DataType.FLOAT).run(trial, dying, segment);
    }
  }

  @Test
  void resumeContinuesCutOffTrialsFromTheirCheckpointsInTheirRuns() throws Exception {
    String yaml = java.nio.file.Files.readString(ASHA).replace("name: asha-adding", "name: ckpt-adding")
        .replaceAll("(?s)search:.*?grid:", "grid:").replace("lr: [0.001, 0.01, 0.1]", "lr: [0.01]")
        .replace("seeds: [1, 2, 3]", "seeds: [1, 2]");
    Path file = java.nio.file.Files.createTempFile("ckpt-sweep", ".yaml");
    java.nio.file.Files.writeString(file, yaml);
    SweepSpec spec = Sweeps.parseFile(file);
    assertEquals(null, spec.scheduling().asha());
    try (MlflowTestServer server = MlflowTestServer.start()) {
      TrackingTarget target = new TrackingTarget("mlflow", server.uri());
      PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
      try (TrackingSink sink = SweepDriver.connect(target)) { // the first driver: its trials are cut off at 25
        SweepDriver driver = new SweepDriver(sink, target, quiet, quiet);
        driver.run(driver.prepare(spec, false), new InProcessTrialExecutor(2, new CutOff()), 2);
      }
      MlflowRestReader reader = new MlflowRestReader(server.uri());
      String expId = reader.experimentId(spec.experiment()).orElseThrow();
      RunRecord parent = reader.runsOfExperiment(expId).stream().filter(r -> r.parentRunId().isEmpty())
          .findFirst().orElseThrow();
      Map<String, String> cutRuns = reader.children(parent.runId()).stream()
          .collect(Collectors.toMap(r -> r.tags().get(Names.Tag.TRIAL_ID), RunRecord::runId));
      assertEquals(2, cutRuns.size());
      reader.children(parent.runId()).forEach(r -> assertEquals("20", r.tags().get(Names.Tag.CHECKPOINT_STEP)));

      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int status = sweep(new String[] {"run", file.toString(), "--tracking-uri", server.uri(), "--resume"}, out, err);
      String stderr = err.toString(StandardCharsets.UTF_8);
      System.out.println(stderr);
      assertEquals(0, status, stderr);
      assertTrue(stderr.contains("2 of 2 trials continue from their last checkpoint"), stderr);
      List<RunRecord> children = reader.children(parent.runId());
      assertEquals(2, children.size(), "no new run");
      for (RunRecord c : children) {
        assertEquals(cutRuns.get(c.tags().get(Names.Tag.TRIAL_ID)), c.runId());
        assertEquals("FINISHED", c.status());
        assertEquals("NOT_SOLVED", c.tags().get(Names.Tag.STATUS));
        assertEquals("false", c.tags().get(Names.Tag.SUPERSEDED));
        List<Long> steps = reader.metricHistory(c.runId(), Names.Metric.TRAIN_LOSS).stream().map(MetricPoint::step)
            .sorted().toList();
        assertEquals(LongStream.concat(LongStream.rangeClosed(1, 25), LongStream.rangeClosed(21, 90)).sorted()
            .boxed().toList(), steps, "1..25 cut off, 21..90 from the checkpoint at 20");
        assertEquals(90.0, reader.metricHistory(c.runId(), Names.Metric.FINAL_STEPS).get(0).value());
      }
    }
  }
}
