package io.gradsweep.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small specs and assertions shared by the spec and search tests. */
public final class SpecFixtures {
  /** Everything a spec needs except the grid. */
  public static final String HEAD = """
      name: t
      experiment: e
      task: {name: adding}
      training: {max_steps: 10}
      """;

  private SpecFixtures() {}

  public static SweepSpec parse(String yaml) {
    return Sweeps.parse(yaml, "test.yaml");
  }

  /** HEAD plus {@code grid: <flow>}, e.g. {@code grid("{cell: [rnn], seq_len: [5]}")}. */
  public static SweepSpec grid(String flow) {
    return parse(HEAD + "grid: " + flow + "\n");
  }

  /** The SpecException the text raises, after checking its path and that the message has every fragment. */
  public static SpecException assertError(String yaml, String path, String... fragments) {
    SpecException e = assertThrows(SpecException.class, () -> parse(yaml), "expected an error for:\n" + yaml);
    assertEquals(path, e.path(), () -> "wrong path in: " + e.getMessage());
    assertTrue(path.isEmpty() ? !e.getMessage().startsWith(":") : e.getMessage().startsWith(path + ": "),
        () -> "message should start with the path: " + e.getMessage());
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), () -> "message lacks [" + f + "]: " + e.getMessage());
    }
    return e;
  }

  /** The repository root: the first directory, walking up from the working directory, that contains conf/. */
  public static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("conf"))) {
      dir = dir.getParent();
    }
    if (dir == null) {
      throw new IllegalStateException("no conf/ directory above " + Path.of("").toAbsolutePath());
    }
    return dir;
  }
}
