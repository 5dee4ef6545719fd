package io.gradsweep.sweep;

import java.util.ArrayList;
import java.util.List;

/** A plain-text table: columns padded to their widest cell, numeric columns aligned right. */
final class TextTable {
  private final List<String> header;
  private final boolean[] rightAligned;
  private final List<List<String>> rows = new ArrayList<>();

  TextTable(List<String> header, boolean[] rightAligned) {
    if (header.size() != rightAligned.length) {
      throw new IllegalArgumentException("header has " + header.size() + " columns, alignment " + rightAligned.length);
    }
    this.header = List.copyOf(header);
    this.rightAligned = rightAligned.clone();
  }

  TextTable add(List<String> row) {
    if (row.size() != header.size()) {
      throw new IllegalArgumentException("row has " + row.size() + " cells, header " + header.size());
    }
    rows.add(List.copyOf(row));
    return this;
  }

  /** The table with a header underline; lines end with {@code \n} and carry no trailing blanks. */
  String render() {
    int[] width = new int[header.size()];
    for (int c = 0; c < width.length; c++) {
      width[c] = header.get(c).length();
      for (List<String> row : rows) {
        width[c] = Math.max(width[c], row.get(c).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    line(sb, header, width);
    List<String> rule = new ArrayList<>();
    for (int w : width) {
      rule.add("-".repeat(w));
    }
    line(sb, rule, width);
    rows.forEach(r -> line(sb, r, width));
    return sb.toString();
  }

  private void line(StringBuilder sb, List<String> cells, int[] width) {
    StringBuilder l = new StringBuilder();
    for (int c = 0; c < cells.size(); c++) {
      if (c > 0) {
        l.append("  ");
      }
      String pad = " ".repeat(width[c] - cells.get(c).length());
      l.append(rightAligned[c] ? pad + cells.get(c) : cells.get(c) + pad);
    }
    sb.append(l.toString().stripTrailing()).append('\n');
  }
}
