package io.gradsweep.tracking;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.gradsweep.train.TrialResult;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A trial's result carries no tracking types, however deep its records nest. (The package walls of tracking, the
 * spool knowing nothing of MLflow and the API naming no backend, are rules of {@code io.gradsweep.ArchitectureTest}.)
 */
class TrackingLayersTest {
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
