package io.gradsweep.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.plugin.UnknownPluginException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;

/** The built-in optimizers: the words of the spec, ND4J's updaters with ND4J's defaults (as before the registry). */
class OptimizersTest {
  @Test
  void builtInsAreNd4jUpdatersWithTheirDefaults() {
    assertEquals(List.of("sgd", "rmsprop", "adam"), Optimizers.names());
    assertEquals(new Sgd(0.01), Optimizers.byName("sgd").config(0.01));
    assertEquals(new RmsProp(0.01), Optimizers.byName("rmsprop").config(0.01));
    assertEquals(new Adam(0.01), Optimizers.byName("adam").config(0.01));
    RmsProp rms = (RmsProp) Optimizers.byName("rmsprop").config(0.01);
    assertEquals(0.95, rms.getRmsDecay(), 0.0);
    assertEquals(1e-8, rms.getEpsilon(), 0.0);
    Adam adam = (Adam) Optimizers.byName("adam").config(0.01);
    assertEquals(0.9, adam.getBeta1(), 0.0);
    assertEquals(0.999, adam.getBeta2(), 0.0);
    assertEquals(1e-8, adam.getEpsilon(), 0.0);
  }

  @Test
  void unknownNamesListTheKnownOnes() {
    UnknownPluginException e = assertThrows(UnknownPluginException.class, () -> Optimizers.byName("Adam"));
    assertEquals("unknown optimizer \"Adam\"; known optimizers: sgd, rmsprop, adam; did you mean \"adam\"?",
        e.getMessage());
    assertTrue(e.known().contains("sgd"));
  }
}
