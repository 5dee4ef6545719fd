package io.gradsweep.spec;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gradsweep.search.Sweeps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Damaged specs fail with a SpecException (one line, with a path or a file position), never anything else. */
class SweepSpecRobustnessTest {
  private static final String NOISE = ":[]{},-#&*!|>'\"\t\n ~.0123456789eaxyz_\\<\u00e9\u0000";

  @Test
  void randomEditsOfAValidSpec() {
    Random random = new Random(20240601);
    String base = SweepSpecParserTest.FULL;
    int failures = 0;
    for (int i = 0; i < 1000; i++) {
      String text = mutate(base, random, 1 + random.nextInt(3));
      try {
        Sweeps.parse(text, "fuzz.yaml");
      } catch (SpecException e) {
        failures++;
        String m = e.getMessage();
        assertFalse(m.contains("\n") || m.contains("\r"), () -> "multi-line message: " + m);
        assertTrue(!e.path().isEmpty() || m.contains("fuzz.yaml"), () -> "no path and no file name: " + m);
      } catch (RuntimeException e) {
        fail("not a SpecException for:\n" + text, e);
      }
    }
    assertTrue(failures > 300, "the edits should mostly break the spec: " + failures);
  }

  private static String mutate(String text, Random random, int edits) {
    List<String> lines = new ArrayList<>(Arrays.asList(text.split("\n", -1)));
    for (int e = 0; e < edits; e++) {
      int at = random.nextInt(lines.size());
      String line = lines.get(at);
      int pos = line.isEmpty() ? 0 : random.nextInt(line.length() + 1);
      switch (random.nextInt(5)) {
        case 0 -> lines.set(at, line.substring(0, pos) + NOISE.charAt(random.nextInt(NOISE.length()))
            + line.substring(pos));
        case 1 -> lines.set(at, pos < line.length() ? line.substring(0, pos) + line.substring(pos + 1) : line);
        case 2 -> lines.add(at, line);
        case 3 -> lines.remove(at);
        default -> {
          int other = random.nextInt(lines.size());
          lines.set(at, lines.get(other));
          lines.set(other, line);
        }
      }
      if (lines.isEmpty()) {
        lines.add("");
      }
    }
    return String.join("\n", lines);
  }
}
