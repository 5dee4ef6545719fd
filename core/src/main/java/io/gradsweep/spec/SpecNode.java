package io.gradsweep.spec;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.DoublePredicate;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A YAML node together with its key path, with typed reads that fail with a {@link SpecException} naming the path,
 * the value as written, its YAML type, what is allowed, and the source location.
 *
 * <p>Values are read from the composed node tree rather than from constructed Java objects, so messages can show
 * the value exactly as the user wrote it ({@code 010}, {@code yes}, {@code 1e0}).
 */
final class SpecNode {
  /** Plain decimal integers; YAML 1.1 also reads 010 as octal, 0x1f as hex and 1:30 as base 60. */
  private static final Pattern DECIMAL = Pattern.compile("[-+]?(0|[1-9][0-9_]*)");
  private static final Pattern INF = Pattern.compile("[-+]?\\.(inf|Inf|INF)");
  private static final Pattern NAN = Pattern.compile("\\.(nan|NaN|NAN)");
  private static final Pattern NUMBERISH = Pattern.compile("[-+]?[0-9][0-9_]*(\\.[0-9_]*)?([eE][-+]?[0-9]+)?");

  private final String source;
  private final String path;
  private final Node node;

  SpecNode(String source, String path, Node node) {
    this.source = source;
    this.path = path;
    this.node = node;
  }

  String path() {
    return path;
  }

  Node node() {
    return node;
  }

  /** The path of a key below this node: {@code grid} + {@code hidden} = {@code grid.hidden}. */
  String keyPath(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  // ---------------------------------------------------------------- shape

  boolean isMapping() {
    return node instanceof MappingNode;
  }

  boolean isSequence() {
    return node instanceof SequenceNode;
  }

  boolean isScalar() {
    return node instanceof ScalarNode;
  }

  /** A scalar with this resolved tag (plain {@code 20} is int, quoted {@code "20"} is str). */
  boolean is(Tag tag) {
    return node instanceof ScalarNode && tag.equals(node.getTag());
  }

  /** The word {@code none} written as a plain or quoted string. */
  boolean isNone() {
    return is(Tag.STR) && "none".equals(text());
  }

  /** The scalar text as written (without quotes). Only for scalars. */
  String text() {
    return ((ScalarNode) node).getValue();
  }

  /** The YAML type of the value in words: string, integer, float, boolean, null, date, list, mapping... */
  String kind() {
    return kindOf(node);
  }

  // ---------------------------------------------------------------- errors

  /** {@code " (source:line:column)"} for this node. */
  String where() {
    return location(source, node.getStartMark());
  }

  static String location(String source, Mark mark) {
    if (mark == null) {
      return "";
    }
    return " (" + source + ":" + (mark.getLine() + 1) + ":" + (mark.getColumn() + 1) + ")";
  }

  /** The value for messages: {@code "abc" (string)}, {@code 1.5 (float)}, {@code [1, 2] (list)}. */
  String shown() {
    return show(node);
  }

  SpecException error(String problem) {
    return new SpecException(path, problem + where());
  }

  SpecException expected(String allowed) {
    return expected(allowed, null);
  }

  /** {@code expected <allowed>, got <value> (<type>)[; <hint>] (source:line:col)}. */
  SpecException expected(String allowed, String hint) {
    String h = hint == null || hint.isEmpty() ? "" : hint.startsWith(";") ? hint : "; " + hint;
    return error("expected " + allowed + ", got " + shown() + h);
  }

  // ---------------------------------------------------------------- collections

  /**
   * The entries of a mapping, in file order, each as a child node with its key path.
   *
   * @param what how the mapping is called in messages, e.g. {@code grid} or {@code the top level}
   * @param allowed the allowed keys; any other key fails, listing them and suggesting the closest
   */
  Map<String, SpecNode> mapping(String what, List<String> allowed) {
    if (!(node instanceof MappingNode m)) {
      throw expected("a mapping with keys " + String.join(", ", allowed));
    }
    Map<String, SpecNode> entries = new LinkedHashMap<>();
    for (NodeTuple t : m.getValue()) {
      SpecNode key = new SpecNode(source, path, t.getKeyNode());
      if (!key.is(Tag.STR)) {
        throw new SpecException(path, "key " + key.shown() + " in " + what + " is not a name; allowed keys: "
            + String.join(", ", allowed) + key.where());
      }
      String k = key.text();
      if (!allowed.contains(k)) {
        String keyPath = keyPath(SpecMessages.escape(k, SpecMessages.SHOW_LIMIT));
        throw new SpecException(keyPath, "unknown key " + SpecMessages.quote(k) + " in " + what + "; allowed keys: "
            + String.join(", ", allowed) + SpecMessages.suggestion(k, allowed) + key.where());
      }
      entries.put(k, new SpecNode(source, keyPath(k), t.getValueNode()));
    }
    return entries;
  }

  /**
   * The value node of {@code key} when this node is a mapping that has it as a plain string key, else null; no
   * other key is checked (for reading one key before knowing which others are allowed).
   */
  SpecNode peek(String key) {
    if (node instanceof MappingNode m) {
      for (NodeTuple t : m.getValue()) {
        SpecNode k = new SpecNode(source, path, t.getKeyNode());
        if (k.is(Tag.STR) && k.text().equals(key)) {
          return new SpecNode(source, keyPath(key), t.getValueNode());
        }
      }
    }
    return null;
  }

  /** The plain string keys of this node when it is a mapping, in file order; empty otherwise. */
  List<String> keys() {
    List<String> out = new java.util.ArrayList<>();
    if (node instanceof MappingNode m) {
      for (NodeTuple t : m.getValue()) {
        SpecNode k = new SpecNode(source, path, t.getKeyNode());
        if (k.is(Tag.STR)) {
          out.add(k.text());
        }
      }
    }
    return out;
  }

  /**
   * The elements of a list, each with its indexed path ({@code grid.hidden[1]}). A single value where a list is
   * expected counts as a one-element list (and keeps this node's path). An empty list fails.
   *
   * @param allowed what the elements may be, for the message about an empty list
   */
  List<SpecNode> items(String allowed) {
    if (!(node instanceof SequenceNode s)) {
      if (is(Tag.NULL)) {
        throw expected("a list of values (" + allowed + ")");
      }
      return List.of(this);
    }
    if (s.getValue().isEmpty()) {
      throw error("empty list; give at least one value: " + allowed);
    }
    List<SpecNode> out = new ArrayList<>(s.getValue().size());
    for (Node n : s.getValue()) {
      out.add(new SpecNode(source, path + "[" + out.size() + "]", n));
    }
    return out;
  }

  // ---------------------------------------------------------------- scalars

  /** A string scalar (quoted or plain); numbers, booleans, dates and nulls fail. */
  String string(String allowed) {
    if (!is(Tag.STR)) {
      boolean quotable = isScalar() && !is(Tag.NULL);
      throw expected(allowed, quotable ? "quote it if you mean the text " + SpecMessages.quote(text()) : null);
    }
    return text();
  }

  /** One of the {@code allowed} words, case-sensitive; a near miss is suggested. */
  String word(List<String> allowed) {
    String description = "one of " + String.join(", ", allowed);
    if (!is(Tag.STR)) {
      String hint = is(Tag.BOOL) ? "YAML reads yes/no/on/off/true/false as booleans" : null;
      throw expected(description, hint);
    }
    String w = text();
    if (!allowed.contains(w)) {
      throw expected(description, SpecMessages.suggestion(w, allowed));
    }
    return w;
  }

  /** An integer written in plain decimal, within {@code min..max}. Floats ({@code 32.0}) fail. */
  long integer(long min, long max) {
    return integer(min, max, "an integer " + range(min, max));
  }

  /** As {@link #integer(long, long)}, describing what is allowed with {@code allowed}. */
  long integer(long min, long max, String allowed) {
    BigInteger v = decimal(allowed);
    if (v.compareTo(BigInteger.valueOf(min)) < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
      throw expected(allowed);
    }
    return v.longValueExact();
  }

  int integer(int min, int max) {
    return (int) integer((long) min, (long) max);
  }

  /**
   * A finite number (integer or float) accepted by {@code ok}; {@code .nan} and {@code .inf} fail.
   *
   * @param allowed e.g. {@code a number 0 < lr <= 10}
   */
  double number(String allowed, DoublePredicate ok) {
    double v;
    if (is(Tag.INT)) {
      v = decimal(allowed).doubleValue();
    } else if (is(Tag.FLOAT)) {
      String t = text();
      if (INF.matcher(t).matches()) {
        v = t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      } else if (NAN.matcher(t).matches()) {
        v = Double.NaN;
      } else if (t.contains(":")) {
        throw notDecimal(allowed);
      } else {
        v = Double.parseDouble(t.replace("_", "")); // SpecYaml has checked that YAML can convert it
      }
    } else {
      throw expected(allowed, numericStringHint());
    }
    if (!Double.isFinite(v) || !ok.test(v)) {
      throw expected(allowed);
    }
    return v;
  }

  private BigInteger decimal(String allowed) {
    if (!is(Tag.INT)) {
      throw expected(allowed, numericStringHint());
    }
    if (!DECIMAL.matcher(text()).matches()) {
      throw notDecimal(allowed);
    }
    return new BigInteger(text().replace("_", ""));
  }

  private SpecException notDecimal(String allowed) {
    return expected(allowed, "write numbers in plain decimal (YAML 1.1 reads a leading 0 as octal, 0x as hex and "
        + "a:b as base 60)");
  }

  /** A hint for {@code "20"}: a quoted number is a string in YAML. */
  private String numericStringHint() {
    boolean quotedNumber = is(Tag.STR) && !((ScalarNode) node).isPlain() && NUMBERISH.matcher(text()).matches();
    return quotedNumber ? "remove the quotes to write a number" : null;
  }

  /** {@code 1..4096}, or {@code >= 0} when there is no useful upper bound. */
  static String range(long min, long max) {
    return max == Long.MAX_VALUE ? ">= " + min : min + ".." + max;
  }

  // ---------------------------------------------------------------- rendering

  static String kindOf(Node n) {
    if (n instanceof SequenceNode) {
      return "list";
    }
    if (n instanceof MappingNode) {
      return "mapping";
    }
    Tag t = n.getTag();
    if (Tag.STR.equals(t)) {
      return "string";
    } else if (Tag.INT.equals(t)) {
      return "integer";
    } else if (Tag.FLOAT.equals(t)) {
      return "float";
    } else if (Tag.BOOL.equals(t)) {
      return "boolean";
    } else if (Tag.NULL.equals(t)) {
      return "null";
    } else if (Tag.TIMESTAMP.equals(t)) {
      return "date";
    } else if (Tag.BINARY.equals(t)) {
      return "binary";
    }
    return "scalar tagged " + t.getValue();
  }

  /** {@code "abc" (string)}, {@code 1.5 (float)}, {@code nothing (null)}, {@code [1, [2]] (list)}... */
  static String show(Node n) {
    String kind = kindOf(n);
    if (n instanceof ScalarNode s) {
      String v = s.getValue();
      if (Tag.STR.equals(s.getTag())) {
        int length = v.codePointCount(0, v.length());
        return SpecMessages.quote(v) + " (" + kind + (length > SpecMessages.SHOW_LIMIT ? " of " + length
            + " characters" : "") + ")";
      }
      return (v.isEmpty() ? "nothing" : SpecMessages.escape(v, SpecMessages.SHOW_LIMIT)) + " (" + kind + ")";
    }
    StringBuilder sb = new StringBuilder();
    flow(n, sb, Collections.newSetFromMap(new IdentityHashMap<>()));
    String text = sb.length() > SpecMessages.SHOW_LIMIT
        ? sb.substring(0, SpecMessages.SHOW_LIMIT - 3) + "..." : sb.toString();
    return text + " (" + kind + ")";
  }

  /** Compact flow form of a node, stopping soon after SHOW_LIMIT characters (so alias loops end). */
  private static void flow(Node n, StringBuilder sb, Set<Node> open) {
    if (sb.length() > SpecMessages.SHOW_LIMIT) {
      return;
    }
    if (n instanceof ScalarNode s) {
      sb.append(s.getValue().isEmpty() && Tag.NULL.equals(s.getTag()) ? "~"
          : SpecMessages.escape(s.getValue(), SpecMessages.SHOW_LIMIT));
      return;
    }
    if (!open.add(n)) {
      sb.append("*recursive*");
      return;
    }
    if (n instanceof SequenceNode seq) {
      sb.append('[');
      String sep = "";
      for (Node e : seq.getValue()) {
        if (sb.length() > SpecMessages.SHOW_LIMIT) {
          break;
        }
        sb.append(sep);
        flow(e, sb, open);
        sep = ", ";
      }
      sb.append(']');
    } else if (n instanceof MappingNode m) {
      sb.append('{');
      String sep = "";
      for (NodeTuple t : m.getValue()) {
        if (sb.length() > SpecMessages.SHOW_LIMIT) {
          break;
        }
        sb.append(sep);
        flow(t.getKeyNode(), sb, open);
        sb.append(": ");
        flow(t.getValueNode(), sb, open);
        sep = ", ";
      }
      sb.append('}');
    }
    open.remove(n);
  }
}
