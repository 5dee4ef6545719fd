package io.gradsweep.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.gradsweep.train.TrialResult;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Who may see whom: the spool knows nothing of MLflow, the API names no backend, main code names no test backend,
 * and a trial's result carries no tracking types.
 */
class TrackingLayersTest {
  private static final Path MAIN = Path.of("src/main/java/io/gradsweep");

  private static List<String> offenders(Path dir, boolean recursive, String... forbidden) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = recursive ? Files.walk(dir) : Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String src = Files.readString(f);
        for (String word : forbidden) {
          if (src.contains(word)) {
            out.add(f + " mentions " + word);
          }
        }
      }
    }
    return out;
  }

  @Test
  void theSpoolDoesNotDependOnMlflow() throws IOException {
    assertEquals(List.of(), offenders(MAIN.resolve("tracking/spool"), true, "tracking.mlflow", "Mlflow"));
  }

  @Test
  void theApiNamesNoBackendImplementation() throws IOException {
    assertEquals(List.of(), offenders(MAIN.resolve("tracking"), false, "tracking.mlflow", "tracking.spool",
        "MlflowTrackingSink", "MemoryTrackingSink"));
  }

  @Test
  void mainCodeDoesNotReferenceTheTestBackend() throws IOException {
    assertEquals(List.of(), offenders(MAIN, true, "MemoryTrackingSink", "MemoryRun", "MemoryTrackingBackend"));
  }

  @Test
  void aTrialResultCarriesNoTrackingTypes() {
    List<Class<?>> seen = new ArrayList<>();
    check(TrialResult.class, seen);
  }

  private static void check(Class<?> type, List<Class<?>> seen) {
    if (seen.contains(type) || !type.isRecord()) {
      return;
    }
    seen.add(type);
    for (RecordComponent c : type.getRecordComponents()) {
      Class<?> t = c.getType().isArray() ? c.getType().getComponentType() : c.getType();
      assertFalse(t.getName().startsWith("io.gradsweep.tracking"), type.getName() + "." + c.getName() + " is a "
          + t.getName());
      check(t, seen);
    }
  }
}
