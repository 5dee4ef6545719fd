package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ProgressTest {
  private static final long S = 1_000_000_000L;

  @Test
  void noEstimateBeforeTheFirstTrialIsDone() {
    Progress p = new Progress(0, 2, 8, 30 * S);
    assertEquals(OptionalLong.empty(), p.etaNanos());
    assertEquals("trials 0/8 done, 2 running | elapsed 30s | ETA ?", p.line());
  }

  @Test
  void estimateScalesElapsedTimeByTheTrialsLeft() {
    // 2 of 8 done in 60 s: 6 left at 30 s per trial of throughput
    assertEquals(OptionalLong.of(180 * S), new Progress(2, 2, 8, 60 * S).etaNanos());
    // 3 of 4 done in 90 s: one left
    assertEquals(OptionalLong.of(30 * S), new Progress(3, 1, 4, 90 * S).etaNanos());
  }

  @Test
  void doneMeansNothingLeft() {
    assertEquals(OptionalLong.of(0), new Progress(4, 0, 4, 100 * S).etaNanos());
    assertEquals(OptionalLong.of(0), new Progress(0, 0, 0, 0).etaNanos());
  }

  @Test
  void waveOfParallelTrialsGivesTheRightEta() {
    // 2 slots, trials of 10 s each: at 10 s two are done, two left, which take one more wave of 10 s
    assertEquals(OptionalLong.of(10 * S), new Progress(2, 2, 4, 10 * S).etaNanos());
  }

  @Test
  void durationsAreShortAndSortable() {
    assertEquals("0s", Progress.duration(0));
    assertEquals("7s", Progress.duration(7 * S + 200_000_000L));
    assertEquals("59s", Progress.duration(59 * S));
    assertEquals("1m00s", Progress.duration(60 * S));
    assertEquals("3m05s", Progress.duration(185 * S));
    assertEquals("1h00m00s", Progress.duration(3600 * S));
    assertEquals("2h03m04s", Progress.duration((2 * 3600 + 3 * 60 + 4) * S));
  }

  @Test
  void lineIsOneLineWithoutCarriageReturn() {
    String l = new Progress(3, 2, 8, 65 * S).line();
    assertEquals("trials 3/8 done, 2 running | elapsed 1m05s | ETA 1m48s", l);
    assertTrue(!l.contains("\r") && !l.contains("\n"));
  }

  @Test
  void rejectsImpossibleCounts() {
    assertThrows(IllegalArgumentException.class, () -> new Progress(5, 0, 4, 0));
    assertThrows(IllegalArgumentException.class, () -> new Progress(-1, 0, 4, 0));
    assertThrows(IllegalArgumentException.class, () -> new Progress(0, 0, 4, -1));
  }
}
