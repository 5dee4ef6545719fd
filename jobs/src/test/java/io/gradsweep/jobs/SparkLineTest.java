package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The jar knows the Spark line it is built for and refuses the other one with the jar to use. */
class SparkLineTest {
  static final SparkLine SPARK3 = new SparkLine("3.5.8", "2.12");
  static final SparkLine SPARK4 = new SparkLine("4.2.0", "2.13");

  @Test
  void theBuildRecordsTheSparkLineItCompiledAgainst() {
    // the default build checks 3.5 / 2.12 here, the spark4 profile 4.x / 2.13
    assertEquals(SparkLine.running(), SparkLine.built());
  }

  @Test
  void aJarOfOneLineOnTheOtherNamesTheJarToUse() {
    String m = SparkLine.mismatch(SPARK3, SPARK4).orElseThrow();
    assertTrue(m.startsWith("this jar is built for Spark 3.5.8 (Scala 2.12), but the Spark it runs on is 4.2.0 "
        + "(Scala 2.13): use jobs/target-spark4/gradsweep-spark4.jar"), m);
    assertTrue(SparkLine.mismatch(SPARK4, SPARK3).orElseThrow().contains("use jobs/target/gradsweep-spark3.jar"));
    assertTrue(SparkLine.mismatch(SPARK4, new SparkLine("5.0.0", "3.3")).orElseThrow()
        .endsWith("gradsweep builds jars for Spark 3.5 (Scala 2.12) and Spark 4 (Scala 2.13) only"));
  }

  @Test
  void theSameScalaRuns() {
    assertEquals(Optional.empty(), SparkLine.mismatch(SPARK4, new SparkLine("4.1.1", "2.13")));
  }

  @Test
  void versionsAreChecked() {
    assertEquals("scalaBinaryVersion: expected MAJOR.MINOR (e.g. 2.13), got '${scala.binary.version}'",
        assertThrows(IllegalArgumentException.class, () -> new SparkLine("4.2.0", "${scala.binary.version}"))
            .getMessage());
    assertEquals("sparkVersion: expected MAJOR.MINOR.PATCH, got '4'",
        assertThrows(IllegalArgumentException.class, () -> new SparkLine("4", "2.13")).getMessage());
  }
}
