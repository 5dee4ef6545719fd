package io.gradsweep.spec;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.DuplicateKeyException;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.parser.ParserException;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;
import org.yaml.snakeyaml.scanner.ScannerException;

/**
 * Turns the bytes or text of a spec file into one YAML node tree, or a {@link SpecException} saying why not:
 * unreadable file, not UTF-8, binary content, syntax error (with line and column), duplicate key, alias bomb,
 * several documents, empty document. Key-path errors about the content are the parser's business.
 *
 * <p>SnakeYAML is set up defensively: duplicate keys rejected, at most {@link #MAX_ALIASES} aliases of
 * collections, nesting at most {@link #MAX_DEPTH} deep, at most {@link #MAX_CHARS} code points, no recursive
 * keys, only the standard tags.
 */
final class SpecYaml {
  /** Largest spec file read, in bytes; the text limit is the same number of code points. */
  static final int MAX_BYTES = 1 << 20;

  static final int MAX_CHARS = MAX_BYTES;
  static final int MAX_ALIASES = 20;
  static final int MAX_DEPTH = 32;

  private SpecYaml() {}

  /** Reads a spec file as strict UTF-8 (a UTF-8 byte-order mark is dropped). */
  static String readFile(Path file) {
    String name = file.toString();
    byte[] bytes;
    try {
      if (Files.isDirectory(file)) {
        throw new SpecException("", "cannot read " + name + ": it is a directory, not a YAML file");
      }
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        throw new SpecException("", "cannot read " + name + ": it is " + size + " bytes; a sweep spec may be at most "
            + MAX_BYTES + " bytes");
      }
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new SpecException("", "cannot read " + name + ": no such file");
    } catch (AccessDeniedException e) {
      throw new SpecException("", "cannot read " + name + ": permission denied");
    } catch (IOException e) {
      throw new SpecException("", "cannot read " + name + ": " + e);
    }
    return decode(bytes, name);
  }

  static String decode(byte[] bytes, String name) {
    if (bytes.length >= 2 && ((bytes[0] == (byte) 0xFF && bytes[1] == (byte) 0xFE)
        || (bytes[0] == (byte) 0xFE && bytes[1] == (byte) 0xFF))) {
      throw new SpecException("", name + " is UTF-16 text; save it as UTF-8");
    }
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == 0) {
        throw new SpecException("", name + " contains a NUL byte at offset " + i
            + "; it looks like a binary file, not a YAML sweep spec");
      }
    }
    int start = bytes.length >= 3 && bytes[0] == (byte) 0xEF && bytes[1] == (byte) 0xBB && bytes[2] == (byte) 0xBF
        ? 3 : 0;
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes, start, bytes.length - start);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult r = decoder.decode(in, out, true);
    if (!r.isError()) {
      r = decoder.flush(out);
    }
    if (r.isError()) {
      throw new SpecException("", name + " is not valid UTF-8: byte 0x"
          + String.format(Locale.ROOT, "%02X", bytes[in.position()] & 0xFF) + " at offset " + in.position()
          + " is not part of a UTF-8 character; is it a binary file or in another encoding?");
    }
    return out.flip().toString();
  }

  /**
   * Composes the single YAML document of {@code text}. Merge keys ({@code <<: *base}) are resolved in place.
   *
   * @return the root node, never null
   */
  static Node load(String text, String source) {
    if (text == null) {
      throw new SpecException("", source + ": no text (null)");
    }
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1);
    }
    checkCharacters(text, source);
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(MAX_ALIASES);
    options.setAllowRecursiveKeys(false);
    options.setNestingDepthLimit(MAX_DEPTH);
    options.setCodePointLimit(MAX_CHARS);
    options.setProcessComments(false);
    NodeConstructor constructor = new NodeConstructor(options);
    DumperOptions dumper = new DumperOptions();
    Yaml yaml = new Yaml(constructor, new Representer(dumper), dumper, options, new Resolver());
    Node root = null;
    try {
      Iterator<Node> documents = yaml.composeAll(new StringReader(text)).iterator();
      if (documents.hasNext()) {
        root = documents.next();
        if (documents.hasNext()) {
          Node second = documents.next();
          Mark at = second == null ? null : second.getStartMark();
          throw new SpecException("", source + " contains more than one YAML document (the second starts at line "
              + (at == null ? "?" : String.valueOf(at.getLine() + 1)) + "); a sweep spec is a single document: "
              + "remove the '---' separator or split the file");
        }
      }
      if (root == null || (root instanceof ScalarNode s && Tag.NULL.equals(s.getTag()) && s.getValue().isEmpty())) {
        throw new SpecException("", source + " is empty (or only comments); a sweep spec is a mapping with at "
            + "least name, experiment, task, training and grid");
      }
      try {
        constructor.check(root);
      } catch (NumberFormatException | ArithmeticException e) {
        // SnakeYAML's resolver calls some texts numbers that its constructor then cannot convert (e.g. "._")
        throw new SpecException("", source + " has a value YAML cannot convert to a number: " + e.getMessage());
      }
      return root;
    } catch (DuplicateKeyException e) {
      Mark at = e.getProblemMark();
      String path = root == null ? null : KeyFinder.pathOfKeyAt(root, at);
      String key = e.getProblem().replaceFirst("^found duplicate key ", "");
      throw new SpecException(path == null ? "" : path, "duplicate key " + SpecMessages.quote(key)
          + "; each key may appear once in a mapping (the mapping starts at line "
          + (e.getContextMark().getLine() + 1) + ")" + SpecNode.location(source, at));
    } catch (MarkedYAMLException e) {
      throw new SpecException("", describe(e, source));
    } catch (YAMLException e) {
      String m = String.valueOf(e.getMessage());
      if (m.startsWith("Number of aliases")) {
        throw new SpecException("", source + " uses more than " + MAX_ALIASES + " aliases (*name) of lists or "
            + "mappings; the limit guards against alias expansion bombs; write the values out instead");
      } else if (m.contains("Nesting Depth")) {
        throw new SpecException("", source + " nests lists or mappings more than " + MAX_DEPTH + " levels deep");
      }
      throw new SpecException("", source + ": cannot read YAML: " + m);
    }
  }

  /** Rejects NUL and control characters up front, with a clearer message than the YAML reader's. */
  private static void checkCharacters(String text, String source) {
    int count = text.codePointCount(0, text.length());
    if (count > MAX_CHARS) {
      throw new SpecException("", source + " has " + count + " characters; a sweep spec may have at most "
          + MAX_CHARS);
    }
    int line = 1;
    int column = 1;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == '\n') {
        line++;
        column = 1;
        continue;
      }
      boolean bad = (cp < 0x20 && cp != '\t' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F && cp != 0x85)
          || Character.getType(cp) == Character.SURROGATE || cp == 0xFFFE || cp == 0xFFFF;
      if (bad) {
        String where = " at line " + line + ", column " + column;
        if (cp == 0) {
          throw new SpecException("", source + " contains a NUL character" + where
              + "; it looks like a binary file, not a YAML sweep spec");
        }
        throw new SpecException("", source + " contains the control character "
            + String.format(Locale.ROOT, "U+%04X", cp) + where + "; a sweep spec is plain UTF-8 text (tab, newline "
            + "and carriage return are the only control characters allowed)");
      }
      column++;
    }
  }

  private static String describe(MarkedYAMLException e, String source) {
    boolean syntax = e instanceof ScannerException || e instanceof ParserException;
    StringBuilder sb = new StringBuilder(syntax ? "YAML syntax error: " : "unsupported YAML: ");
    sb.append(oneLine(e.getProblem()));
    sb.append(SpecNode.location(source, e.getProblemMark()));
    if (e.getContext() != null) {
      sb.append(", ").append(oneLine(e.getContext()));
      if (e.getContextMark() != null) {
        sb.append(" that starts at line ").append(e.getContextMark().getLine() + 1)
            .append(", column ").append(e.getContextMark().getColumn() + 1);
      }
    }
    if (String.valueOf(e.getProblem()).contains("\\t")) {
      sb.append("; indent YAML with spaces, not tabs");
    }
    return sb.toString();
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replace('\n', ' ').trim();
  }

  /** SafeConstructor run over the composed tree: rejects duplicate keys and unknown tags, flattens merge keys. */
  private static final class NodeConstructor extends SafeConstructor {
    NodeConstructor(LoaderOptions options) {
      super(options);
    }

    void check(Node root) {
      constructDocument(root);
    }
  }

  /** Finds the key path of the key node that starts at a given mark (to name a duplicate key). */
  private static final class KeyFinder {
    private final int index;
    private final Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());

    private KeyFinder(int index) {
      this.index = index;
    }

    static String pathOfKeyAt(Node root, Mark mark) {
      return mark == null ? null : new KeyFinder(mark.getIndex()).find(root, "");
    }

    private String find(Node n, String path) {
      if (!seen.add(n)) {
        return null;
      }
      if (n instanceof MappingNode m) {
        for (NodeTuple t : m.getValue()) {
          String key = t.getKeyNode() instanceof ScalarNode s
              ? SpecMessages.escape(s.getValue(), SpecMessages.SHOW_LIMIT) : "?";
          String p = path.isEmpty() ? key : path + "." + key;
          if (t.getKeyNode().getStartMark().getIndex() == index) {
            return p;
          }
          String inner = find(t.getValueNode(), p);
          if (inner != null) {
            return inner;
          }
        }
      } else if (n instanceof SequenceNode s) {
        for (int i = 0; i < s.getValue().size(); i++) {
          String inner = find(s.getValue().get(i), path + "[" + i + "]");
          if (inner != null) {
            return inner;
          }
        }
      }
      return null;
    }
  }
}
