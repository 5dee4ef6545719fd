package io.gradsweep.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.Properties;

/**
 * A Spark line: Spark version and the Scala binary version it runs on. The jar is built for one (Spark 3.5 / Scala
 * 2.12 by default, Spark 4 / Scala 2.13 with the Maven profile spark4; {@code build.properties} records which), and
 * the two are not binary compatible: a jar of one line on the other would fail inside the first Spark job. The job
 * compares the two lines before it starts Spark and names the jar to use instead.
 */
record SparkLine(String sparkVersion, String scalaBinaryVersion) {
  static final String BUILD_PROPERTIES = "build.properties";

  SparkLine {
    if (sparkVersion == null || !sparkVersion.matches("\\d+\\.\\d+\\.\\d+.*")) {
      throw new IllegalArgumentException("sparkVersion: expected MAJOR.MINOR.PATCH, got '" + sparkVersion + "'");
    }
    if (scalaBinaryVersion == null || !scalaBinaryVersion.matches("\\d+\\.\\d+")) {
      throw new IllegalArgumentException("scalaBinaryVersion: expected MAJOR.MINOR (e.g. 2.13), got '"
          + scalaBinaryVersion + "'");
    }
  }

  /** The line this jar was built for. */
  static SparkLine built() {
    Properties p = new Properties();
    try (InputStream in = SparkLine.class.getResourceAsStream(BUILD_PROPERTIES)) {
      if (in == null) {
        throw new IllegalStateException(BUILD_PROPERTIES + " is missing next to " + SparkLine.class.getName());
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new SparkLine(p.getProperty("spark.version"), p.getProperty("scala.binary.version"));
  }

  /** The line of the Spark on the class path (the same calls work on Scala 2.12 and 2.13). */
  static SparkLine running() {
    String[] parts = scala.util.Properties$.MODULE$.versionNumberString().split("\\."); // e.g. 2.13.18
    return new SparkLine(org.apache.spark.package$.MODULE$.SPARK_VERSION(), parts[0] + "." + parts[1]);
  }

  String sparkMajor() {
    return sparkVersion.substring(0, sparkVersion.indexOf('.'));
  }

  /** The uber jar of this line's build, relative to the repository, or empty when gradsweep builds none for it. */
  Optional<String> jar() {
    return switch (sparkMajor()) {
      case "3" -> Optional.of("jobs/target/gradsweep-spark3.jar (mvn -DskipTests package)");
      case "4" -> Optional.of("jobs/target-spark4/gradsweep-spark4.jar (mvn -Pspark4 -DskipTests package)");
      default -> Optional.empty();
    };
  }

  /** Why a jar built for {@code built} cannot run on {@code running}; empty when it can (same Scala version). */
  static Optional<String> mismatch(SparkLine built, SparkLine running) {
    if (built.scalaBinaryVersion.equals(running.scalaBinaryVersion)) {
      return Optional.empty();
    }
    return Optional.of("this jar is built for Spark " + built.sparkVersion + " (Scala " + built.scalaBinaryVersion
        + "), but the Spark it runs on is " + running.sparkVersion + " (Scala " + running.scalaBinaryVersion + "): "
        + running.jar().map(j -> "use " + j + " instead")
            .orElse("gradsweep builds jars for Spark 3.5 (Scala 2.12) and Spark 4 (Scala 2.13) only"));
  }
}
