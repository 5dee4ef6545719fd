package io.gradsweep.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The generic registry: file order, look-up, the unknown-name message, and what it refuses to build. */
class RegistryTest {
  /** A kind of plugin registered by this test's own service file (Beta listed before Alpha). */
  public interface Sample extends Plugin {}

  public static final class Alpha implements Sample {
    @Override
    public String name() {
      return "alpha";
    }
  }

  public static final class Beta implements Sample {
    @Override
    public String name() {
      return "beta";
    }
  }

  /** A kind whose service file lists two plugins with one name. */
  public interface Twin extends Plugin {}

  public static final class TwinOne implements Twin {
    @Override
    public String name() {
      return "twin";
    }
  }

  public static final class TwinTwo implements Twin {
    @Override
    public String name() {
      return "twin";
    }
  }

  /** A kind nobody registers. */
  public interface Orphan extends Plugin {}

  private record Named(String name) implements Sample {}

  private static final Registry<Sample> WORDS = Registry.of("word", "words",
      List.of(new Named("lstm"), new Named("gru"), new Named("rnn")));

  @Test
  void loadsWithTheServiceLoaderInFileOrder() {
    Registry<Sample> r = Registry.load(Sample.class, "sample", "samples");
    assertEquals(List.of("beta", "alpha"), r.names());
    assertInstanceOf(Beta.class, r.all().get(0));
    assertInstanceOf(Alpha.class, r.byName("alpha"));
    assertSame(r.byName("alpha"), r.byName("alpha"), "one shared instance per plugin");
  }

  /** The type's own class loader finds the plugins, whatever the thread's context loader sees (Spark executors). */
  @Test
  void loadsWithTheTypesClassLoaderNotTheContextLoader() throws Exception {
    Thread t = Thread.currentThread();
    ClassLoader saved = t.getContextClassLoader();
    try (java.net.URLClassLoader blind = new java.net.URLClassLoader(new java.net.URL[0], null)) {
      t.setContextClassLoader(blind);
      assertEquals(List.of("beta", "alpha"), Registry.load(Sample.class, "sample", "samples").names());
    } finally {
      t.setContextClassLoader(saved);
    }
  }

  @Test
  void namesAllAndLookUps() {
    assertEquals(List.of("lstm", "gru", "rnn"), WORDS.names());
    assertEquals(3, WORDS.all().size());
    assertEquals("gru", WORDS.byName("gru").name());
    assertTrue(WORDS.contains("rnn"));
    assertFalse(WORDS.contains("RNN"));
    assertFalse(WORDS.contains(null));
    assertEquals(Optional.empty(), WORDS.find("nope"));
    assertEquals("lstm", WORDS.find("lstm").orElseThrow().name());
    assertThrows(UnsupportedOperationException.class, () -> WORDS.names().add("x"));
    assertThrows(UnsupportedOperationException.class, () -> WORDS.all().clear());
  }

  @Test
  void anUnknownNameIsListedWithTheKnownOnesAndTheClosestSuggested() {
    UnknownPluginException e = assertThrows(UnknownPluginException.class, () -> WORDS.byName("lstn"));
    assertEquals("unknown word \"lstn\"; known words: lstm, gru, rnn; did you mean \"lstm\"?", e.getMessage());
    assertEquals("lstn", e.name());
    assertEquals(List.of("lstm", "gru", "rnn"), e.known());
    assertTrue(assertThrows(UnknownPluginException.class, () -> WORDS.byName("GRU")).getMessage()
        .endsWith("; did you mean \"gru\"?"), "case-insensitive suggestion");
    assertEquals("unknown word \"transformer\"; known words: lstm, gru, rnn",
        assertThrows(UnknownPluginException.class, () -> WORDS.byName("transformer")).getMessage(),
        "nothing close: no suggestion");
    UnknownPluginException none = assertThrows(UnknownPluginException.class, () -> WORDS.byName(null));
    assertEquals("unknown word null; known words: lstm, gru, rnn", none.getMessage());
    assertNull(none.name());
    assertTrue(assertThrows(UnknownPluginException.class, () -> WORDS.byName("a\nb")).getMessage()
        .contains("\"a\\nb\""), "the name is quoted with escapes");
  }

  @Test
  void duplicateNamesAreRejected() {
    IllegalStateException loaded = assertThrows(IllegalStateException.class,
        () -> Registry.load(Twin.class, "twin", "twins"));
    assertTrue(loaded.getMessage().contains("two twins are named \"twin\""), loaded.getMessage());
    assertTrue(loaded.getMessage().contains(TwinOne.class.getName()) && loaded.getMessage().contains(
        TwinTwo.class.getName()), loaded.getMessage());
    IllegalStateException built = assertThrows(IllegalStateException.class,
        () -> Registry.of("word", "words", List.of(new Named("a"), new Named("b"), new Named("a"))));
    assertTrue(built.getMessage().contains("two words are named \"a\""), built.getMessage());
  }

  @Test
  void namesMustBeLowerCaseWords() {
    for (String bad : new String[] {"Adam", "", "two words", "1st", "a-b"}) {
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> Registry.of("word", "words", List.of(new Named(bad))), bad);
      assertTrue(e.getMessage().contains("lower-case word"), e.getMessage());
    }
    assertThrows(IllegalStateException.class, () -> Registry.of("word", "words", List.of(new Named(null))));
  }

  @Test
  void aKindWithoutPluginsFailsNamingTheServiceFile() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Registry.load(Orphan.class, "orphan", "orphans"));
    assertTrue(e.getMessage().contains("META-INF/services/" + Orphan.class.getName()), e.getMessage());
    assertThrows(IllegalStateException.class, () -> Registry.of("word", "words", List.of()));
  }
}
