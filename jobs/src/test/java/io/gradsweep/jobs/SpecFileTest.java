package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.sweep.ExitStatus;
import io.gradsweep.sweep.SweepFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A spec is a local path or a Hadoop file-system URI; both give the same sweep, and failures are usage errors. */
class SpecFileTest {
  static final Path TINY = Path.of("src/test/resources/tiny-sweep.yaml").toAbsolutePath();

  @Test
  void uriOrPath() {
    assertTrue(SpecFile.isUri("file:///tmp/s.yaml"));
    assertTrue(SpecFile.isUri("file:/tmp/s.yaml"));
    assertTrue(SpecFile.isUri("hdfs://namenode:8020/specs/s.yaml"));
    assertTrue(SpecFile.isUri("s3a://bucket/s.yaml"));
    assertFalse(SpecFile.isUri("s.yaml"), "a relative path (e.g. a file --files put in the working directory)");
    assertFalse(SpecFile.isUri("/tmp/s.yaml"));
    assertFalse(SpecFile.isUri("conf/a:b.yaml"));
    assertFalse(SpecFile.isUri("C:/specs/s.yaml"), "a drive letter is no scheme");
  }

  @Test
  void aFileUriReadsTheSameSweepAsThePath() {
    SweepSpec byUri = SpecFile.load(TINY.toUri().toString(), new Configuration());
    SweepSpec byPath = SpecFile.load(TINY.toString(), new Configuration());
    assertTrue(TINY.toUri().toString().startsWith("file:/"));
    assertEquals(Sweeps.parseFile(TINY).trials(), byUri.trials());
    assertEquals(byPath.trials(), byUri.trials());
    assertEquals(byPath.name(), byUri.name());
  }

  @Test
  void anUnreadableUriIsAUsageErrorNamingIt(@TempDir Path dir) {
    String missing = dir.resolve("missing.yaml").toUri().toString();
    SweepFailure e = assertThrows(SweepFailure.class, () -> SpecFile.load(missing, new Configuration()));
    assertEquals(ExitStatus.USAGE_ERROR, e.status());
    assertTrue(e.getMessage().startsWith("cannot read sweep spec " + missing + " with Hadoop's FileSystem: "),
        e.getMessage());

    SweepFailure scheme = assertThrows(SweepFailure.class,
        () -> SpecFile.load("nosuchfs://host/s.yaml", new Configuration()));
    assertEquals(ExitStatus.USAGE_ERROR, scheme.status());
    assertTrue(scheme.getMessage().contains("nosuchfs"), scheme.getMessage());
  }

  @Test
  void anInvalidSpecByUriNamesTheUriAndTheLine(@TempDir Path dir) throws Exception {
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, Files.readString(TINY).replace("max_steps: 30", "max_steps: -3"));
    String uri = bad.toUri().toString();
    SweepFailure e = assertThrows(SweepFailure.class, () -> SpecFile.load(uri, new Configuration()));
    assertEquals(ExitStatus.USAGE_ERROR, e.status());
    assertTrue(e.getMessage().startsWith("invalid sweep spec " + uri + ": "), e.getMessage());
    assertTrue(e.getMessage().contains("max_steps"), e.getMessage());
  }

  @Test
  void anOversizedSpecIsRefusedBeforeReading(@TempDir Path dir) throws Exception {
    Path big = dir.resolve("big.yaml");
    Files.write(big, new byte[(int) SpecFile.MAX_BYTES + 1]);
    SweepFailure e = assertThrows(SweepFailure.class,
        () -> SpecFile.load(big.toUri().toString(), new Configuration()));
    assertEquals(ExitStatus.USAGE_ERROR, e.status());
    assertTrue(e.getMessage().contains("has " + (SpecFile.MAX_BYTES + 1) + " bytes"), e.getMessage());
  }
}
