package io.gradsweep.sweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.train.TrialResult;
import io.gradsweep.train.TrialStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class TablesTest {
  private final TrialSpec rnn = Trials.trial("rnn", 0.01, 1);
  private final TrialSpec lstm = Trials.trial("lstm", 0.001, 1);

  @Test
  void onlyParametersThatDifferGetAColumn() {
    assertEquals(List.of("cell", "activation", "lr"), Tables.varyingKeys(List.of(rnn, lstm)));
    assertEquals(List.of(), Tables.varyingKeys(List.of(rnn)));
  }

  @Test
  void aTaskJudgedByAccuracyGetsItsColumnAndBaseline() {
    TrialSpec order = new TrialSpec("e", "s", "temporal_order", 64, 1, 20, "lstm", null, null, 0, "adam", 0.01, 8, 1,
        "default", 1, 16, 100, 10, 0.99, 10, 100, java.util.Map.of("relevant", "2"));
    TrialResult r = new TrialResult(order.id(), order.displayName(), "r", TrialStatus.NOT_SOLVED, 100, -1, -1, 0.9,
        Math.log(4), 2.0, 0, 0.9, 20, 5, null, null, null, null, null, 0.625, 0.25);
    List<String> lines = Tables.summary(List.of(order), List.of(r)).lines().toList();
    assertTrue(lines.get(0).contains("loss/base  accuracy  baseline accuracy  max grad norm"), lines.get(0));
    List<String> cells = List.of(lines.get(2).trim().split(" +"));
    assertEquals(List.of("0.6492", "0.6250", "0.2500", "2.000"), cells.subList(cells.indexOf("1.386") + 1,
        cells.indexOf("1.386") + 5), lines.get(2));
    assertEquals(1, lines.stream().map(String::length).distinct().count(), String.join("\n", lines));
  }

  @Test
  void summaryHasOneAlignedRowPerTrial() {
    List<TrialResult> results = List.of(
        Trials.result(rnn, TrialStatus.NOT_SOLVED, -1, 0.16543),
        new TrialResult(lstm.id(), lstm.displayName(), "r2", TrialStatus.SOLVED, 400, 350, -1, 0.0012346, 1.0 / 6,
            123456.0, 0.5, 0.93, 57, 3725, null));
    String table = Tables.summary(List.of(rnn, lstm), results);
    List<String> lines = table.lines().toList();
    assertEquals(4, lines.size(), table);
    assertEquals(List.of("#", "trial", "cell", "activation", "lr", "status", "solved", "at", "eval", "loss",
        "baseline", "loss/base", "max", "grad", "norm", "clip", "rate", "decay", "r", "horizon", "time"),
        List.of(lines.get(0).split(" +")));
    assertEquals(List.of("1", "rnn-tanh", "T10", "h8", "adam", "0.01", "s1", "rnn", "tanh", "0.01", "NOT_SOLVED", "-",
        "0.1654", "0.1667", "0.9926", "12.50", "25.0%", "0.8000", "12", "1m01s"),
        List.of(lines.get(2).trim().split(" +")));
    assertEquals(List.of("2", "lstm", "T10", "h8", "adam", "0.001", "s1", "lstm", "-", "0.001", "SOLVED", "350",
        "0.001235", "0.1667", "0.007408", "1.235e+05", "50.0%", "0.9300", "57", "1h02m05s"),
        List.of(lines.get(3).trim().split(" +")));
    // numbers are right-aligned: every row ends at the same column
    assertEquals(1, lines.stream().map(String::length).distinct().count(), table);
  }

  @Test
  void missingNumbersShowAsDash() {
    TrialResult failed = TrialResult.failed(rnn.id(), rnn.displayName(), null, "boom", 2.0);
    String row = Tables.summary(List.of(rnn), List.of(failed)).lines().toList().get(2);
    assertEquals(List.of("1", "rnn-tanh", "T10", "h8", "adam", "0.01", "s1", "FAILED", "-", "-", "-", "-", "-", "-",
        "-", "-", "2s"), List.of(row.trim().split(" +")));
  }

  @Test
  void numberFormat() {
    assertEquals("0.1667", Tables.num(1.0 / 6));
    assertEquals("12.50", Tables.num(12.5));
    assertEquals("1235", Tables.num(1234.5));
    assertEquals("1.235e+04", Tables.num(12345));
    assertEquals("1.000e-04", Tables.num(1e-4));
    assertEquals("0", Tables.num(0));
    assertEquals("-", Tables.num(Double.NaN));
    assertEquals("-", Tables.num(Double.POSITIVE_INFINITY));
  }

  @Test
  void summaryNeedsOneResultPerTrial() {
    assertThrows(IllegalArgumentException.class, () -> Tables.summary(List.of(rnn, lstm), List.of()));
  }
}
