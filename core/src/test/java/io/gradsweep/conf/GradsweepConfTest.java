package io.gradsweep.conf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GradsweepConfTest {
  private final List<String> notes = new ArrayList<>();

  private GradsweepConf resolve(Map<String, String> spark, Map<String, String> legacy) {
    return GradsweepConf.resolve(spark, legacy, "-D", notes::add);
  }

  @Test
  void unsetKeysHaveTheirDefaults() {
    GradsweepConf c = GradsweepConf.defaults();
    assertEquals(5L, c.get(ConfKeys.PROGRESS_SECONDS));
    assertEquals(120L, c.get(ConfKeys.EXECUTOR_WAIT_SECONDS));
    assertEquals(256L, c.get(ConfKeys.SPOOL_MAX_MB));
    assertEquals(900L, c.get(ConfKeys.MLFLOW_GIVEUP_SECONDS));
    assertEquals(false, c.get(ConfKeys.SPOOL_ADOPT));
    assertEquals("auto", c.get(ConfKeys.KERNELS));
    assertNull(c.get(ConfKeys.SPOOL_DIR));
    assertTrue(c.find(ConfKeys.TIMINGS_FILE).isEmpty());
  }

  @Test
  void sparkKeysAreReadAndOtherSparkKeysIgnored() {
    GradsweepConf c = resolve(Map.of("spark.gradsweep.spool.max.mb", " 64 ", "spark.gradsweep.spool.adopt", "TRUE",
        "spark.gradsweep.spool.dir", "/data/spool", "spark.master", "local[2]", "spark.executor.memory", "2g"),
        Map.of());
    assertEquals(64L, c.get(ConfKeys.SPOOL_MAX_MB));
    assertEquals(true, c.get(ConfKeys.SPOOL_ADOPT));
    assertEquals("/data/spool", c.get(ConfKeys.SPOOL_DIR));
    assertEquals(Map.of("spool.max.mb", "64", "spool.adopt", "TRUE", "spool.dir", "/data/spool"), c.values());
    assertEquals(List.of(), notes);
  }

  @Test
  void aBadValueNamesTheKeyTheValueAndWhatIsAllowed() {
    for (String[] bad : new String[][] {{"spool.max.mb", "0", "a whole number >= 1 (MiB)"},
        {"spool.max.mb", "lots", "a whole number >= 1 (MiB)"},
        {"progress.seconds", "-1", "a whole number >= 0 (seconds)"},
        {"spool.adopt", "yes", "true or false"}, {"kernels", "simd", "auto or scalar"},
        {"mlflow.giveup.seconds", "1.5", "a whole number >= 1 (seconds)"}, {"spool.dir", " ", "a directory path"}}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> resolve(Map.of("spark.gradsweep." + bad[0], bad[1]), Map.of()), bad[0]);
      assertEquals("spark.gradsweep." + bad[0] + ": '" + bad[1] + "' is not allowed; expected " + bad[2],
          e.getMessage());
    }
  }

  @Test
  void anUnknownSparkGradsweepKeyIsAnErrorWithASuggestion() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> resolve(Map.of("spark.gradsweep.spool.max.mib", "5"), Map.of()));
    assertTrue(e.getMessage().startsWith("unknown setting spark.gradsweep.spool.max.mib; did you mean "
        + "\"spark.gradsweep.spool.max.mb\"?; known: spark.gradsweep.progress.seconds, "), e.getMessage());
  }

  @Test
  void aLegacySystemPropertyStillWorksWithADeprecationNoteNamingTheNewKey() {
    GradsweepConf c = resolve(Map.of(), Map.of("gradsweep.spool.max.mb", "32", "gradsweep.repo.root", "..",
        "java.io.tmpdir", "/tmp"));
    assertEquals(32L, c.get(ConfKeys.SPOOL_MAX_MB));
    assertEquals(List.of("note: -Dgradsweep.spool.max.mb is deprecated; use --conf spark.gradsweep.spool.max.mb=32 "
        + "(spark-submit and gradsweep, any cluster manager)"), notes);
  }

  @Test
  void theSparkKeyWinsOverTheLegacyPropertyWhichIsThenNotMentioned() {
    GradsweepConf c = resolve(Map.of("spark.gradsweep.progress.seconds", "0"),
        Map.of("gradsweep.progress.seconds", "30"));
    assertEquals(0L, c.get(ConfKeys.PROGRESS_SECONDS));
    assertEquals(List.of(), notes);
  }

  @Test
  void aBadLegacyValueSaysWhereItCameFromAndTheNewKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> resolve(Map.of(), Map.of("gradsweep.spool.max.mb", "x")));
    assertEquals("-Dgradsweep.spool.max.mb (now spark.gradsweep.spool.max.mb): 'x' is not allowed; expected a whole "
        + "number >= 1 (MiB)", e.getMessage());
  }

  @Test
  void theValuesAreCheckedWhenBuiltToo() {
    assertThrows(IllegalArgumentException.class, () -> new GradsweepConf(Map.of("nope", "1")));
    assertThrows(IllegalArgumentException.class, () -> GradsweepConf.defaults().with(ConfKeys.SPOOL_MAX_MB, "-3"));
  }

  @Test
  void theSettingsSurviveSerialisationAsTheyTravelInATask() throws Exception {
    GradsweepConf c = GradsweepConf.defaults().with(ConfKeys.SPOOL_DIR, "/x").with(ConfKeys.KERNELS, "scalar");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream o = new ObjectOutputStream(bytes)) {
      o.writeObject(c);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      GradsweepConf back = (GradsweepConf) in.readObject();
      assertEquals(c, back);
      assertEquals("scalar", back.get(ConfKeys.KERNELS));
    }
  }

  @Test
  void everyDefaultIsAnAllowedValueAndEveryKeyHasItsPrefixes() {
    for (ConfKey<?> k : ConfKeys.ALL) {
      assertEquals("spark.gradsweep." + k.name(), k.sparkKey());
      assertEquals("gradsweep." + k.name(), k.legacyProperty());
      if (k.defaultValue() != null) {
        assertEquals(k.defaultValue(), k.parse(k.defaultText(), k.sparkKey()), k.name());
      }
    }
  }
}
