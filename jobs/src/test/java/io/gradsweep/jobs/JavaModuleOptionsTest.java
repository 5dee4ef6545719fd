package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;

/**
 * The launcher scripts start JVMs with the flags Spark's own launcher would add on Java 17. The scripts keep Spark
 * 3.5's list and Spark 4's; this test checks the one of the Spark it is built against (the default build: 3.5,
 * the spark4 profile: 4), and that the list the scripts use holds all of it.
 */
class JavaModuleOptionsTest {
  static final String COMMON = "bin/lib/common.sh";

  /** The Spark major version on the class path ("3", "4"). */
  static String sparkMajor() {
    return org.apache.spark.package$.MODULE$.SPARK_VERSION().split("\\.")[0];
  }

  static List<String> sparks() {
    return Arrays.asList(JavaModuleOptions.defaultModuleOptions().split("\\s+"));
  }

  @Test
  void scriptsKeepThisSparkLinesListOfJavaModuleOptions() throws Exception {
    String array = "GS_JAVA_MODULE_OPTS_SPARK" + sparkMajor();
    Matcher m = Pattern.compile(array + "=\\(\\n(.*?)\\n\\)", Pattern.DOTALL).matcher(Files.readString(Path.of(COMMON)));
    assertTrue(m.find(), array + "=( ... ) in " + COMMON + " (Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION()
        + " is on the class path)");
    assertEquals(sparks(), Arrays.asList(m.group(1).trim().split("\\s+")), array + " in " + COMMON);
  }

  @Test
  void theFlagsTheScriptsPassHoldThisSparkLinesList() throws Exception {
    Process p = new ProcessBuilder("bash", "-c", "source " + COMMON + " && printf '%s\\n' \"${GS_JAVA_MODULE_OPTS[@]}\"")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertEquals(0, p.waitFor(), out);
    List<String> used = out.lines().toList();
    List<String> missing = new ArrayList<>(sparks());
    missing.removeAll(used);
    assertEquals(List.of(), missing, "Spark's flags missing from GS_JAVA_MODULE_OPTS");
    assertEquals(used.size(), used.stream().distinct().count(), "no flag twice: " + used);
  }
}
