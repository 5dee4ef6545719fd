package io.gradsweep.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code notebooks/gradsweep_names.json}, which the notebooks' {@code sweepreader.py} reads, holds exactly the names
 * of {@link Names}. Run with {@code -Dgradsweep.names.write=true} to (re)write it.
 */
class NamesJsonTest {
  static final Path FILE = Path.of("../notebooks/gradsweep_names.json");
  static final String REGENERATE =
      "mvn -B -q -o -ntp -pl core test -Dtest=NamesJsonTest -Dgradsweep.names.write=true";

  /** The file's content: {@link Names#asMap()} as JSON, two-space indented, LF line ends, final newline. */
  static String render() throws IOException {
    DefaultPrettyPrinter pp = new DefaultPrettyPrinter()
        .withObjectIndenter(new DefaultIndenter("  ", "\n"))
        .withArrayIndenter(new DefaultIndenter("  ", "\n"));
    Map<String, Object> doc = new java.util.LinkedHashMap<>();
    doc.put("_comment", "Generated from io.gradsweep.tracking.Names; do not edit. Regenerate with: " + REGENERATE);
    doc.putAll(Names.asMap());
    return new ObjectMapper().writer(pp).writeValueAsString(doc) + "\n";
  }

  @Test
  void theNotebooksNamesFileMatchesTheJavaConstants() throws IOException {
    String expected = render();
    if (Boolean.getBoolean("gradsweep.names.write")) {
      Files.writeString(FILE, expected, StandardCharsets.UTF_8);
    }
    assertTrue(Files.exists(FILE), FILE.toAbsolutePath() + " is missing; generate it with: " + REGENERATE);
    assertEquals(expected, Files.readString(FILE, StandardCharsets.UTF_8), FILE.toAbsolutePath()
        + " differs from the constants of io.gradsweep.tracking.Names; regenerate it with: " + REGENERATE);
  }

  @Test
  void thePythonSideSpellsNoNameItself() throws IOException {
    List<Path> files = new ArrayList<>(List.of(FILE.resolveSibling("sweepreader.py")));
    try (Stream<Path> nbs = Files.list(FILE.getParent())) {
      nbs.filter(p -> p.toString().endsWith(".ipynb")).sorted().forEach(files::add);
    }
    List<String> spelled = new ArrayList<>();
    for (Path f : files) {
      String src = Files.readString(f, StandardCharsets.UTF_8);
      for (String group : List.of("metrics", "tags", "artifacts")) {
        for (String name : Names.asMap().get(group).values()) {
          // a string literal in Python source, or in a notebook cell's JSON-escaped source
          for (String literal : List.of("\"" + name + "\"", "'" + name + "'", "\\\"" + name + "\\\"")) {
            if (src.contains(literal)) {
              spelled.add(f.getFileName() + ": " + literal);
            }
          }
        }
      }
    }
    assertEquals(List.of(), spelled, "use sweepreader's constants (read from gradsweep_names.json) instead");
  }

  @Test
  void everyGroupHasNamesAndNoValueIsSpelledTwice() {
    Set<String> values = new HashSet<>();
    Names.asMap().forEach((group, names) -> {
      assertFalse(names.isEmpty(), group);
      if (!group.equals("prefixes")) {
        names.values().forEach(v -> assertTrue(values.add(v), "spelled twice: " + v));
      }
    });
    assertEquals("final/eval_loss", Names.asMap().get("metrics").get("FINAL_EVAL_LOSS"));
    assertEquals("gradsweep.status", Names.asMap().get("tags").get("STATUS"));
  }
}
