package io.gradsweep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The walls between packages, read from the main sources: {@code spec} never uses {@code search} (the search
 * strategies depend on the spec, not the reverse), and {@code plugin} uses nothing of gradsweep but {@code util}.
 */
class PackageDependenciesTest {
  private static final Path MAIN = Path.of("src/main/java/io/gradsweep");
  private static final Pattern USE = Pattern.compile("\\bio\\.gradsweep\\.([a-z]+)\\.");

  /** The gradsweep packages each code line of a package's sources names (comments and javadoc left out). */
  private static List<String> uses(String pkg) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(MAIN.resolve(pkg))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        for (String line : Files.readAllLines(f)) {
          String code = line.strip();
          if (code.startsWith("*") || code.startsWith("/*") || code.startsWith("//")) {
            continue;
          }
          Matcher m = USE.matcher(code);
          while (m.find()) {
            if (!m.group(1).equals(pkg)) {
              out.add(m.group(1) + " (" + f.getFileName() + ": " + code + ")");
            }
          }
        }
      }
    }
    return out;
  }

  @Test
  void specDoesNotUseSearch() throws IOException {
    assertTrue(Files.isDirectory(MAIN.resolve("spec")), "run from core/");
    List<String> bad = uses("spec").stream().filter(u -> u.startsWith("search ")).toList();
    assertEquals(List.of(), bad);
  }

  @Test
  void pluginUsesOnlyUtil() throws IOException {
    List<String> bad = uses("plugin").stream().filter(u -> !u.startsWith("util ")).toList();
    assertEquals(List.of(), bad);
  }
}
