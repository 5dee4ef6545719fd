package io.gradsweep.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * README.md's table of settings is {@link ConfKeys#markdownTable()}, between the two marker lines. Run with
 * {@code -Dgradsweep.readme.write=true} to write it again.
 */
class ConfKeysReadmeTest {
  static final Path README = Path.of("../README.md");
  static final String BEGIN =
      "<!-- settings table: generated from io.gradsweep.conf.ConfKeys by ConfKeysReadmeTest -->";
  static final String END = "<!-- end of settings table -->";
  static final String REGENERATE =
      "mvn -B -q -o -ntp -pl core test -Dtest=ConfKeysReadmeTest -Dgradsweep.readme.write=true";

  @Test
  void theReadmeTableListsEverySettingAsTheRegistryDoes() throws IOException {
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    int b = readme.indexOf(BEGIN);
    int e = readme.indexOf(END);
    assertTrue(b >= 0 && e > b, "README.md has no settings table between the lines " + BEGIN + " and " + END);
    String table = readme.substring(b + BEGIN.length() + 1, e);
    String expected = ConfKeys.markdownTable();
    if (Boolean.getBoolean("gradsweep.readme.write") && !table.equals(expected)) {
      Files.writeString(README, readme.substring(0, b + BEGIN.length() + 1) + expected + readme.substring(e),
          StandardCharsets.UTF_8);
      table = expected;
    }
    assertEquals(expected, table, "README.md's settings table differs from io.gradsweep.conf.ConfKeys; write it "
        + "again with: " + REGENERATE);
  }

  @Test
  void theTableHasOneRowPerSetting() {
    String t = ConfKeys.markdownTable();
    for (ConfKey<?> k : ConfKeys.ALL) {
      assertTrue(t.contains("| `" + k.sparkKey() + "` | "), k.sparkKey());
    }
    assertEquals(ConfKeys.ALL.size() + 2, t.lines().count());
  }
}
