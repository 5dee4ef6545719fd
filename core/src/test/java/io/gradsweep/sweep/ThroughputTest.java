package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradsweep.train.TrialResult.Timings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThroughputTest {
  private static final double NAN = Double.NaN;

  private static Timings t(double runStart, double training, double runEnd, double attempt) {
    return new Timings(runStart, 0.5, training, training * 0.75, 0.25, 0.125, 1, 2, runEnd, attempt);
  }

  @Test
  void slotTimePerTrialIsWallTimesSlotsOverTrialsAndTheRestOfItIsOutsideTheTask() {
    // 4 trials, 2 at a time, 20 s: each slot ran 2 trials, 10 s of slot per trial; the tasks took 9 s on average
    Throughput th = new Throughput("local[2]", 4, 2, 1_000, 20.0, NAN,
        List.of(t(0.1, 6, 0.4, 8), t(0.3, 6, 0.2, 10), t(0.2, 6, 0.2, 9), t(0.2, 6, 0.2, 9)));
    assertEquals(2, th.slots());
    assertEquals(12.0, th.trialsPerMinute(), 1e-12);
    assertEquals(10.0, th.slotSecondsPerTrial(), 1e-12);
    assertEquals(9.0, th.mean().attempt(), 1e-12);
    assertEquals(0.2, th.mean().runStart(), 1e-12);
    assertEquals(0.25, th.mean().runEnd(), 1e-12);
    assertEquals(1.0, th.outsideSecondsPerTrial(), 1e-12);
  }

  @Test
  void fewerTrialsThanAtOnceUseOneSlotPerTrial() {
    Throughput th = new Throughput("local[*]", 1, 8, 0, 3.0, NAN, Arrays.asList(t(0, 2, 0, 3)));
    assertEquals(1, th.slots());
    assertEquals(3.0, th.slotSecondsPerTrial(), 1e-12);
    assertEquals(0.0, th.outsideSecondsPerTrial(), 1e-12);
  }

  @Test
  void theMeanOfAPhaseSkipsTrialsWithoutTimingsAndUnmeasuredPhases() {
    Throughput th = new Throughput("x", 3, 1, 0, 9.0, NAN,
        Arrays.asList(null, t(1, 4, 0.5, 6), Timings.unmeasured().inAttempt(3, 1, 2)));
    Timings m = th.mean();
    assertEquals(2.0, m.runStart(), 1e-12);
    assertEquals(4.0, m.training(), 1e-12, "only the trial that measured its training counts");
    assertEquals(0.5, m.runEnd(), 1e-12, "an unmeasured run end stays unmeasured when the sink's close is added");
    assertEquals(4.0, m.attempt(), 1e-12);
    assertTrue(Double.isNaN(new Throughput("x", 1, 1, 0, 1, NAN, Arrays.asList((Timings) null)).mean().setup()));
  }

  @Test
  void theLineNamesEveryPhase() {
    Throughput th = new Throughput("local[*]", 4, 2, 0, 41.6, NAN,
        List.of(t(0.012, 20.4, 0.001, 20.7), t(0.012, 20.4, 0.001, 20.7), t(0.012, 20.4, 0.001, 20.7),
            t(0.012, 20.4, 0.001, 20.7)));
    assertEquals("4 trials in 41.6 s on local[*], 2 at a time: 5.77 trials/min; per trial 20.8 s of a slot = 20.7 s "
        + "in its task (run start 0.0120, setup 0.500, training 20.4 [cpu 15.3, stats 0.250, logging 0.125, profile 1.00], "
        + "artifacts 2.00, run end 0.00100) + 0.100 s outside it (dispatch, idle slots)", th.line());
    assertEquals("0 trials in 0 s on x, 1 at a time", new Throughput("x", 0, 1, 0, 0, NAN, List.of()).line());
  }

  @Test
  void numbersKeepThreeSignificantDigitsWithoutExponent() {
    assertEquals("123", Throughput.num(123.4));
    assertEquals("12.3", Throughput.num(12.34));
    assertEquals("1.23", Throughput.num(1.234));
    assertEquals("0.123", Throughput.num(0.1234));
    assertEquals("0.0123", Throughput.num(0.01234));
    assertEquals("0.00123", Throughput.num(0.001234));
    assertEquals("0.00001", Throughput.num(0.0000123));
    assertEquals("0", Throughput.num(0));
    assertEquals("?", Throughput.num(NAN));
  }

  @Test
  void invalidFiguresAreRefusedWithWhatIsAllowed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Throughput("x", 1, 0, 0, 1, NAN, Arrays.asList((Timings) null)));
    assertTrue(e.getMessage().contains("atOnce=0") && e.getMessage().contains("atOnce >= 1"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> new Throughput("x", 2, 1, 0, 1, NAN, List.of(t(0, 1, 0, 1))));
    assertTrue(e.getMessage().contains("1 entries for 2 trials"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Throughput("x", 0, 1, 0, NAN, NAN, List.of()));
  }

  @Test
  void theJsonFileHoldsTheSweepTheMeansAndEachTrialWithNullForUnmeasured(@TempDir Path dir) throws Exception {
    Throughput th = new Throughput("local[2]", 2, 2, 1_700_000_000_000L, 2.5, 4.5,
        Arrays.asList(t(0.5, 1, 0.25, 2), Timings.unmeasured().inAttempt(0.75, 0.5, 1.5)));
    Path file = dir.resolve("sub/timings.json");
    th.writeJson(file);
    JsonNode j = new ObjectMapper().readTree(Files.readString(file));
    assertEquals("local[2]", j.get("where").asText());
    assertEquals(2, j.get("trials").asInt());
    assertEquals(2, j.get("slots").asInt());
    assertEquals(1_700_000_000_000L, j.get("start_epoch_ms").asLong());
    assertEquals(1_700_000_002_500L, j.get("end_epoch_ms").asLong());
    assertEquals(48.0, j.get("trials_per_minute").asDouble(), 1e-9);
    assertEquals(2.5, j.get("slot_seconds_per_trial").asDouble(), 1e-12);
    assertEquals(4.5, j.get("process_cpu_seconds").asDouble(), 1e-12);
    assertEquals(0.625, j.get("mean").get("run_start").asDouble(), 1e-12);
    assertEquals(1.75, j.get("mean").get("attempt").asDouble(), 1e-12);
    assertEquals(0.75, j.get("outside_seconds_per_trial").asDouble(), 1e-12);
    assertEquals(2, j.get("per_trial").size());
    assertEquals(1.0, j.get("per_trial").get(0).get("training").asDouble(), 1e-12);
    assertEquals(0.75, j.get("per_trial").get(0).get("training_cpu").asDouble(), 1e-12);
    assertTrue(j.get("per_trial").get(1).get("training").isNull(), j.toString());
    assertEquals(0.75, j.get("per_trial").get(1).get("run_start").asDouble(), 1e-12);
  }
}
