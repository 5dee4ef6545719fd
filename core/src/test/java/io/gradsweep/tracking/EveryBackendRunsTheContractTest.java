package io.gradsweep.tracking;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every registered backend that stores runs has a test that extends {@link TrackingSinkContract}: a new backend
 * found by the registry fails this test until its contract test is listed here. ({@code none} stores nothing, so
 * there is nothing to read back; {@code TrackingSinksTest} covers it.)
 */
class EveryBackendRunsTheContractTest {
  private static final Map<String, String> CONTRACT_TESTS = Map.of(
      "mlflow", "io.gradsweep.tracking.mlflow.MlflowTrackingSinkIT",
      "memory", "io.gradsweep.tracking.MemoryTrackingSinkTest");

  @Test
  void everyStoringBackendHasAContractTest() throws ClassNotFoundException {
    for (String name : TrackingSinks.NAMES) {
      if (name.equals(NoneTrackingSink.NAME)) {
        continue;
      }
      String test = CONTRACT_TESTS.get(name);
      assertTrue(test != null, "backend '" + name + "' has no test extending TrackingSinkContract: write one and "
          + "list it here");
      assertTrue(TrackingSinkContract.class.isAssignableFrom(Class.forName(test)),
          test + " does not extend TrackingSinkContract");
    }
  }
}
