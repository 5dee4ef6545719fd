package io.gradsweep.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class WordsFileNameTest {
  @Test
  void namesASpecAcceptsStayAsTheyAre() {
    for (String s : new String[] {"quickstart", "tiny-adding", "scale_2000.v2", "A-1"}) {
      assertEquals(s, Words.fileName(s));
    }
  }

  @Test
  void pathsAndOddCharactersBecomeOneSafeName() {
    assertEquals("_Users_someone_example.com_sweeps", Words.fileName("/Users/someone@example.com/sweeps"));
    assertEquals("_..", Words.fileName(".."));
    assertEquals("_.._.._etc", Words.fileName("../../etc"));
    assertEquals("a_b_c", Words.fileName("a\\b c"));
    assertEquals("na_ve", Words.fileName("naïve"));
    assertEquals("_", Words.fileName(""));
    assertEquals("_", Words.fileName(null));
    for (String s : new String[] {"/x", "../y", "a/../../b", "..", "."}) {
      Path p = Path.of("gradsweep-report").resolve(Words.fileName(s)).normalize();
      assertEquals(Path.of("gradsweep-report"), p.getParent(), s + " stays one level under its directory");
    }
  }
}
