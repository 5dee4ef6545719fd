package io.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.ClipMode;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.Names;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A trial trained 2N steps equals, bit for bit, the same trial trained N steps, checkpointed (to bytes and back) and
 * resumed for N more: parameters, optimizer state, every logged series, the final result.
 */
class CheckpointResumeTest {
  /** Metrics that measure time, not training: they differ between any two runs. */
  private static final Set<String> TIMES = Set.of(Names.Metric.FINAL_WALL_SECONDS, Names.Metric.FINAL_STATS_SECONDS,
      Names.Metric.FINAL_LOGGING_SECONDS, Names.Metric.FINAL_PROFILE_SECONDS);

  /**
   * LSTM with Adam and global-norm clipping that acts, a logging window of 3 steps (so N = 20 cuts a window), a
   * profile every 7 steps; GRU with RMSProp and per-layer clipping.
   */
  private static TrialSpec spec(String cell, String optimizer, ClipSpec clip) {
    TrialSpec s = TrialSpecs.of(cell, null, 12, clip, 0, optimizer, 0.01, 8, 3, 40);
    return new TrialSpec(s.experiment(), s.sweepName(), s.task(), s.evalSize(), s.evalSeed(), s.seqLen(), s.cell(),
        s.activation(), s.clip(), s.tbptt(), s.optimizer(), s.lr(), s.hidden(), s.layers(), s.init(), s.seed(),
        s.batchSize(), s.maxSteps(), s.evalEvery(), 1e-9, 7, 14);
  }

  @ParameterizedTest
  @CsvSource({"DOUBLE, lstm, adam, global_norm", "FLOAT, lstm, adam, global_norm", "DOUBLE, gru, rmsprop, layer_norm",
      "FLOAT, rnn, sgd, value"})
  void twoNStepsEqualNStepsCheckpointedAndNMore(DataType dtype, String cell, String optimizer, String clip) {
    TrialSpec spec = spec(cell, optimizer, new ClipSpec(ClipMode.fromWord(clip), 0.05));
    assertEquals(3, spec.logWindow(), "the test needs a window that N = 20 cuts");
    TrialRunner runner = new TrialRunner(dtype);

    RecordingTrialRun whole = new RecordingTrialRun();
    TrialResult a = runner.run(spec, whole);
    assertEquals(TrialStatus.NOT_SOLVED, a.status(), a.toString());

    RecordingTrialRun run = new RecordingTrialRun();
    TrialResult first = runner.run(spec, run, new Segment(null, 20, 0, null));
    assertEquals(TrialStatus.PAUSED, first.status());
    assertEquals(20, first.steps());
    assertNull(run.finished, "a paused segment leaves the run open");
    assertNull(run.tags.get(Names.Tag.STATUS), "a paused trial has no status yet");
    assertEquals("20", run.tags.get(Names.Tag.CHECKPOINT_STEP));
    byte[] bytes = run.contents.get(Names.Artifact.CHECKPOINT);
    TrialCheckpoint cp = TrialCheckpoint.decode(bytes, "test checkpoint");
    assertEquals(20, cp.step());
    assertEquals(2, cp.window().steps(), "steps 19 and 20 wait in the window that step 21 closes");
    TrialResult b = runner.run(spec, run, new Segment(cp, 40, 0, null));

    assertEquals(Boolean.TRUE, run.finished);
    assertEquals(a.status(), b.status());
    assertEquals(a.steps(), b.steps());
    assertEquals(Double.doubleToLongBits(a.finalEvalLoss()), Double.doubleToLongBits(b.finalEvalLoss()));
    assertEquals(Double.doubleToLongBits(a.maxGradNorm()), Double.doubleToLongBits(b.maxGradNorm()));
    assertEquals(a.clipRate(), b.clipRate());
    assertEquals(Double.doubleToLongBits(a.decayRate()), Double.doubleToLongBits(b.decayRate()));
    assertEquals(a.horizon(), b.horizon());
    assertArrayEquals(a.initProfile(), b.initProfile());
    assertArrayEquals(a.finalProfile(), b.finalProfile());
    assertEquals(series(whole), series(run), "every logged series, point by point (steps and bits)");
    assertArrayEquals(whole.contents.get(Names.Artifact.GRADIENT_PROFILE_CSV),
        run.contents.get(Names.Artifact.GRADIENT_PROFILE_CSV), "the kept profiles");
    assertTrue(whole.values(Names.Metric.TRAIN_LOSS).size() > 10);
  }

  @ParameterizedTest
  @CsvSource({"DOUBLE", "FLOAT"})
  void parametersAndOptimizerStateAtStep30AreTheSameBytesWithOrWithoutAStopAt10(DataType dtype) {
    TrialSpec spec = spec("lstm", "adam", new ClipSpec(ClipMode.GLOBAL_NORM, 0.05));
    TrialRunner runner = new TrialRunner(dtype);
    RecordingTrialRun straight = new RecordingTrialRun();
    assertEquals(TrialStatus.PAUSED, runner.run(spec, straight, new Segment(null, 30, 0, null)).status());
    RecordingTrialRun cut = new RecordingTrialRun();
    runner.run(spec, cut, new Segment(null, 10, 0, null));
    TrialCheckpoint at10 = TrialCheckpoint.decode(cut.contents.get(Names.Artifact.CHECKPOINT), "at 10");
    runner.run(spec, cut, new Segment(at10, 30, 0, null));
    byte[] x = straight.contents.get(Names.Artifact.CHECKPOINT);
    byte[] y = cut.contents.get(Names.Artifact.CHECKPOINT);
    TrialCheckpoint cx = TrialCheckpoint.decode(x, "x");
    TrialCheckpoint cy = TrialCheckpoint.decode(y, "y");
    assertEquals(30, cx.step());
    assertEquals(cx.params(), cy.params(), "parameters");
    assertEquals(cx.updaterState(), cy.updaterState(), "Adam's moments");
    assertArrayEquals(x, y, "the whole checkpoint: parameters, optimizer, window, profiles, counters");
  }

  @Test
  void checkpointEveryLogsCheckpointsWithoutChangingTheTrial() {
    TrialSpec spec = spec("lstm", "adam", new ClipSpec(ClipMode.GLOBAL_NORM, 0.05));
    TrialRunner runner = new TrialRunner(DataType.DOUBLE);
    RecordingTrialRun plain = new RecordingTrialRun();
    runner.run(spec, plain);
    RecordingTrialRun every = new RecordingTrialRun();
    runner.run(spec, every, Segment.toEnd(spec, null, 15));
    assertEquals(2, every.artifacts.stream().filter(Names.Artifact.CHECKPOINT::equals).count(), "at 15 and 30");
    assertEquals("30", every.tags.get(Names.Tag.CHECKPOINT_STEP));
    assertEquals(series(plain), series(every));
    // a crash after step 30: resuming from the checkpoint at 30 gives the same end
    TrialCheckpoint at30 = TrialCheckpoint.decode(every.contents.get(Names.Artifact.CHECKPOINT), "at 30");
    RecordingTrialRun resumed = new RecordingTrialRun();
    TrialResult r = runner.run(spec, resumed, Segment.toEnd(spec, at30, 15));
    assertEquals(Double.doubleToLongBits(every.values(Names.Metric.FINAL_EVAL_LOSS).get(0)),
        Double.doubleToLongBits(r.finalEvalLoss()));
    assertTrue(resumed.metrics.get(Names.Metric.TRAIN_LOSS).stream().allMatch(p -> p.step() > 30),
        "the resumed run logs from step 31 on");
    assertNull(resumed.metrics.get(Names.Metric.EVAL_BASELINE_LOSS), "the baseline is not logged again");
  }

  @Test
  void aStoppedTrialEndsAtItsCheckpointWithItsWindowFlushedAndTheSchedulersStatus() {
    TrialSpec spec = spec("lstm", "adam", new ClipSpec(ClipMode.GLOBAL_NORM, 0.05));
    TrialRunner runner = new TrialRunner(DataType.DOUBLE);
    RecordingTrialRun run = new RecordingTrialRun();
    runner.run(spec, run, new Segment(null, 20, 0, null));
    TrialCheckpoint cp = TrialCheckpoint.decode(run.contents.get(Names.Artifact.CHECKPOINT), "cp");
    TrialResult r = runner.run(spec, run, new Segment(cp, 20, 0, TrialStatus.STOPPED_BY_SCHEDULER));
    assertEquals(TrialStatus.STOPPED_BY_SCHEDULER, r.status());
    assertEquals(20, r.steps());
    assertEquals("STOPPED_BY_SCHEDULER", run.tags.get(Names.Tag.STATUS));
    assertEquals(Boolean.TRUE, run.finished);
    List<RecordingTrialRun.Point> loss = run.metrics.get(Names.Metric.TRAIN_LOSS);
    assertEquals(20, loss.get(loss.size() - 1).step(), "the window of steps 19-20 is logged at 20");
    assertEquals(List.of(20.0), run.values(Names.Metric.FINAL_STEPS));
  }

  @Test
  void aCheckpointOfAnotherTrialOrSettingsOrTypeOrACorruptedOneIsRefused() {
    TrialSpec spec = spec("lstm", "adam", new ClipSpec(ClipMode.GLOBAL_NORM, 0.05));
    RecordingTrialRun run = new RecordingTrialRun();
    new TrialRunner(DataType.DOUBLE).run(spec, run, new Segment(null, 10, 0, null));
    byte[] bytes = run.contents.get(Names.Artifact.CHECKPOINT);
    TrialCheckpoint cp = TrialCheckpoint.decode(bytes, "cp");

    TrialSpec other = spec("lstm", "adam", new ClipSpec(ClipMode.GLOBAL_NORM, 0.5));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> cp.checkFor(other, "DOUBLE"));
    assertTrue(e.getMessage().contains("is of trial " + spec.id() + ", not of trial " + other.id()), e.getMessage());
    TrialSpec relogged = TrialSpecs.withLogPoints(spec, 7);
    assertEquals(spec.id(), relogged.id());
    e = assertThrows(IllegalArgumentException.class, () -> cp.checkFor(relogged, "DOUBLE"));
    assertTrue(e.getMessage().contains("other settings"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> cp.checkFor(spec, "FLOAT"));
    assertTrue(e.getMessage().contains("holds DOUBLE values"), e.getMessage());
    // the runner turns a mismatch into a FAILED result naming it
    RecordingTrialRun floatRun = new RecordingTrialRun();
    TrialResult failed = new TrialRunner(DataType.FLOAT).run(spec, floatRun, new Segment(cp, 20, 0, null));
    assertEquals(TrialStatus.FAILED, failed.status());
    assertTrue(failed.error().contains("checkpoint mismatch"), failed.error());

    byte[] flipped = bytes.clone();
    flipped[bytes.length / 2] ^= 1;
    e = assertThrows(IllegalArgumentException.class, () -> TrialCheckpoint.decode(flipped, "run r1 checkpoint"));
    assertTrue(e.getMessage().contains("corrupted"), e.getMessage());
    byte[] version = bytes.clone();
    version[7] = 9;
    e = assertThrows(IllegalArgumentException.class, () -> TrialCheckpoint.decode(version, "v"));
    assertTrue(e.getMessage().contains("format version 9"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> TrialCheckpoint.decode("name: x\nnot a checkpoint".getBytes(), "sweep.yaml"));
    assertTrue(e.getMessage().contains("not a gradsweep checkpoint"), e.getMessage());
    assertNotNull(cp.updaterState());
  }

  /** Every metric's points as (step, value bits), time measurements left out. */
  private static Map<String, List<String>> series(RecordingTrialRun run) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    new java.util.TreeMap<>(run.metrics).forEach((k, points) -> {
      if (!TIMES.contains(k)) {
        List<String> p = new ArrayList<>();
        points.forEach(pt -> p.add(pt.step() + ":" + Long.toHexString(Double.doubleToLongBits(pt.value()))));
        out.put(k, p);
      }
    });
    return out;
  }
}
