package io.gradsweep.tracking.mlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MlflowKeysTest {
  /** The server's rule on Linux (mlflow/utils/validation.py), restricted to ASCII. */
  private static final Pattern SERVER_CHARS = Pattern.compile("^[/\\w.\\- :]*$");

  /** The server's "must not resolve to another name" rule: posixpath.normpath(name) == name, etc. */
  private static boolean serverAcceptsPath(String name) {
    String norm = normpath(name);
    return norm.equals(name) && !norm.equals(".") && !norm.startsWith("..") && !norm.startsWith("/");
  }

  /** Python's posixpath.normpath. */
  private static String normpath(String path) {
    if (path.isEmpty()) {
      return ".";
    }
    int initialSlashes = path.startsWith("/") ? (path.startsWith("//") && !path.startsWith("///") ? 2 : 1) : 0;
    java.util.Deque<String> out = new java.util.ArrayDeque<>();
    for (String comp : path.split("/", -1)) {
      if (comp.isEmpty() || comp.equals(".")) {
        continue;
      }
      if (!comp.equals("..") || (initialSlashes == 0 && out.isEmpty()) || (!out.isEmpty() && out.peekLast().equals(".."))) {
        out.addLast(comp);
      } else if (!out.isEmpty()) {
        out.removeLast();
      }
    }
    String joined = String.join("/", out);
    String result = "/".repeat(initialSlashes) + joined;
    return result.isEmpty() ? "." : result;
  }

  private static void assertServerAccepts(String original, String key) {
    String msg = "'" + original + "' -> '" + key + "'";
    assertTrue(SERVER_CHARS.matcher(key).matches(), msg);
    assertTrue(serverAcceptsPath(key), msg);
    assertTrue(key.length() <= MlflowKeys.MAX_KEY_LENGTH, msg);
    assertTrue(MlflowKeys.isValidKey(key), msg);
  }

  @Test
  void validKeysStayUnchanged() {
    for (String k : new String[] {"loss", "train/loss", "grad/norm/layer 0", "a.b-c_d", "x..y", "a/.../b", "A1"}) {
      assertEquals(k, MlflowKeys.sanitizeKey(k));
    }
  }

  @Test
  void documentedMappings() {
    assertEquals("acc_top1", MlflowKeys.sanitizeKey("acc@top1"));
    assertEquals("a_b", MlflowKeys.sanitizeKey("a:b"));
    assertEquals("grad/norm", MlflowKeys.sanitizeKey("//grad//norm/"));
    assertEquals("a/_/b", MlflowKeys.sanitizeKey("a/./b"));
    assertEquals("a/__/b", MlflowKeys.sanitizeKey("a/../b"));
    assertEquals("_hidden", MlflowKeys.sanitizeKey(".hidden"));
    assertEquals("__/x", MlflowKeys.sanitizeKey("../x"));
    assertEquals("_", MlflowKeys.sanitizeKey(""));
    assertEquals("_", MlflowKeys.sanitizeKey("/"));
    assertEquals("_", MlflowKeys.sanitizeKey(null));
    assertEquals("_", MlflowKeys.sanitizeKey("."));
    assertEquals("__", MlflowKeys.sanitizeKey(".."));
    assertEquals("l_ss", MlflowKeys.sanitizeKey("l\u00f6ss"));
    assertEquals("tab_nl_", MlflowKeys.sanitizeKey("tab\tnl\n"));
  }

  @Test
  void longKeysAreCutWithAHashOfTheOriginal() {
    String a = "k".repeat(300);
    String b = "k".repeat(299) + "j";
    String sa = MlflowKeys.sanitizeKey(a);
    String sb = MlflowKeys.sanitizeKey(b);
    assertEquals(250, sa.length());
    assertTrue(sa.startsWith("k".repeat(241) + "-"), sa);
    assertNotEquals(sa, sb);
    assertEquals(sa, MlflowKeys.sanitizeKey(a), "deterministic");
    assertEquals("k".repeat(250), MlflowKeys.sanitizeKey("k".repeat(250)));
  }

  @Test
  void randomKeysAlwaysMapToKeysTheServerAccepts() {
    Random r = new Random(7);
    String alphabet = "ab/._- :@#\u00e9\u03bb\t\\\"'0";
    for (int i = 0; i < 20000; i++) {
      int len = r.nextInt(i % 100 == 0 ? 400 : 12);
      StringBuilder sb = new StringBuilder();
      for (int j = 0; j < len; j++) {
        sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      String k = sb.toString();
      String s = MlflowKeys.sanitizeKey(k);
      assertServerAccepts(k, s);
      assertEquals(s, MlflowKeys.sanitizeKey(s), "idempotent for " + k);
    }
  }

  @Test
  void valuesAreTruncatedWithAMarker() {
    assertEquals("short", MlflowKeys.truncateParamValue("short"));
    String p = MlflowKeys.truncateParamValue("v".repeat(6001));
    assertEquals(6000, p.length());
    assertTrue(p.endsWith("...[truncated, 6001 chars]"));
    assertEquals("v".repeat(6000), MlflowKeys.truncateParamValue("v".repeat(6000)));
    String t = MlflowKeys.truncateTagValue("\ud83d\ude00".repeat(3000));
    assertTrue(t.length() <= 5000);
    assertTrue(!Character.isHighSurrogate(t.charAt(t.indexOf("...[truncated") - 1)), "no split surrogate pair");
    assertEquals("", MlflowKeys.truncateTagValue(null));
  }

  @Test
  void keyMapperKeepsDifferentKeysApart() {
    KeyMapper m = new KeyMapper();
    String first = m.map("a:b");
    String second = m.map("a_b");
    String third = m.map("a@b");
    assertEquals("a_b", first);
    assertNotEquals(first, second);
    assertNotEquals(second, third);
    assertNotEquals(first, third);
    assertEquals(first, m.map("a:b"));
    assertEquals(second, m.map("a_b"));
    assertTrue(second.startsWith("a_b-") && second.length() == 12, second);
    String longA = m.map("x".repeat(260) + ":");
    String longB = m.map("x".repeat(260) + "@");
    assertNotEquals(longA, longB);
    assertTrue(longB.length() <= 250);
    assertTrue(MlflowKeys.isValidKey(longB));
  }
}
