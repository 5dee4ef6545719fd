package io.gradsweep.report;

import java.util.List;

/** RFC 4180 CSV lines: a field is quoted when it holds a comma, quote, CR or LF, with quotes doubled; null is empty. */
public final class Csv {
  private Csv() {}

  /** Appends one line of {@code cells} and a line feed. */
  public static void row(StringBuilder sb, List<String> cells) {
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(field(cells.get(i)));
    }
    sb.append('\n');
  }

  /** One field, quoted if needed. */
  public static String field(String v) {
    if (v == null) {
      return "";
    }
    if (v.indexOf(',') < 0 && v.indexOf('"') < 0 && v.indexOf('\n') < 0 && v.indexOf('\r') < 0) {
      return v;
    }
    return '"' + v.replace("\"", "\"\"") + '"';
  }
}
