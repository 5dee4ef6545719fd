package io.gradsweep.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The typed view of trials.csv ({@link TrialsTable#columns}, {@link TrialsTable.Column#typedValue}): the same
 * columns as the CSV's header, and per cell the CSV field parsed as the column's type, null where it is empty.
 */
class TrialsTableTest {

  private static List<TrialRow> rows() {
    return SampleRows.mixed();
  }

  @Test
  void columnsAreTheCsvHeaderWithExtraParamsAsStrings() {
    List<TrialRow> rows = rows();
    String csv = new String(TrialsTable.csv(rows), StandardCharsets.UTF_8);
    List<String> header = List.of(csv.lines().findFirst().orElseThrow().split(",", -1));
    List<TrialsTable.Column> columns = TrialsTable.columns(rows);
    assertEquals(header, columns.stream().map(TrialsTable.Column::name).toList());
    assertEquals(TrialsTable.COLUMNS, columns.subList(0, TrialsTable.COLUMNS.size()));
    TrialsTable.Column extra = columns.get(columns.size() - 1);
    assertEquals("zz.future_knob", extra.name());
    assertEquals("STRING", extra.type());
    assertEquals(TrialsTable.COLUMNS, TrialsTable.columns(rows.subList(0, 3)), "no extra param: the columns");
  }

  @Test
  void typedValuesAreTheCsvFieldsParsedAndNullWhereEmpty() {
    List<TrialRow> rows = rows();
    List<List<String>> csv = new String(TrialsTable.csv(rows), StandardCharsets.UTF_8).lines()
        .map(io.gradsweep.sweep.SweepArtifactsTest::fields).toList();
    List<TrialsTable.Column> columns = TrialsTable.columns(rows);
    for (int r = 0; r < rows.size(); r++) {
      for (int c = 0; c < columns.size(); c++) {
        TrialsTable.Column col = columns.get(c);
        Object v = col.typedValue(rows.get(r));
        String field = csv.get(r + 1).get(c);
        if (field.isEmpty()) {
          assertNull(v, col.name() + " of row " + r);
          continue;
        }
        Class<?> expected = switch (col.type()) {
          case "INT" -> Integer.class;
          case "BIGINT" -> Long.class;
          case "DOUBLE" -> Double.class;
          default -> String.class;
        };
        assertEquals(expected, v.getClass(), col.name() + " of row " + r);
        assertEquals(field, v.toString(), col.name() + " of row " + r + ": the CSV field is the value's text");
      }
    }
    Map<String, Object> solved = byName(columns, rows.get(0));
    assertEquals(5_000_000_000L, solved.get("seed"), "BIGINT beyond the int range");
    assertEquals(0.5, solved.get("clip_threshold"));
    assertEquals(10, solved.get("tbptt_window"));
    assertEquals(1, solved.get("solved"));
    assertEquals(0.004 / (1.0 / 6), (Double) solved.get("loss_over_baseline"), 1e-15);
    Map<String, Object> diverged = byName(columns, rows.get(1));
    assertNull(diverged.get("final_eval_loss"), "NaN: null");
    assertNull(diverged.get("max_grad_norm"), "infinite: null");
    assertNull(diverged.get("horizon"), "-1: null");
    assertEquals(0, diverged.get("solved"));
    Map<String, Object> failed = byName(columns, rows.get(2));
    assertEquals("FAILED", failed.get("status"));
    assertNull(failed.get("solved"));
    assertNull(failed.get("run_id"));
    assertEquals(50, failed.get("seq_len"), "a FAILED row keeps its parameters");
    assertEquals("on, sometimes", byName(columns, rows.get(3)).get("zz.future_knob"));
    assertNull(solved.get("zz.future_knob"), "a row without the extra param");
  }

  private static Map<String, Object> byName(List<TrialsTable.Column> columns, TrialRow row) {
    Map<String, Object> m = new LinkedHashMap<>();
    columns.forEach(c -> m.put(c.name(), c.typedValue(row)));
    return m;
  }

  @Test
  void aColumnHasAKnownTypeAndAValueThatDoesNotParseNamesColumnTrialAndValue() {
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> new TrialsTable.Column("x", "FLOAT", "m", r -> null));
    assertEquals("column x: type 'FLOAT'; allowed: INT, BIGINT, DOUBLE, STRING", bad.getMessage());
    TrialsTable.Column lr = new TrialsTable.Column("lr", "DOUBLE", "m", r -> r.param("lr"));
    TrialRow row = rows().get(2);
    Map<String, String> params = new LinkedHashMap<>(row.params());
    params.put("lr", "fast");
    TrialRow odd = new TrialRow(3, row.trialId(), row.name(), params, row.status(), -1, -1, -1, Double.NaN,
        Double.NaN, Double.NaN, Double.NaN, Double.NaN, -1, Double.NaN, null);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> lr.typedValue(odd));
    assertTrue(e.getMessage().equals("trial 3 (" + row.trialId() + "): column lr is DOUBLE but holds 'fast'"),
        e.getMessage());
  }
}
