package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;

/** The launcher scripts start JVMs with the flags Spark's own launcher would add on Java 17. */
class JavaModuleOptionsTest {
  @Test
  void scriptsUseSparksListOfJavaModuleOptions() throws Exception {
    String common = Files.readString(Path.of("bin/lib/common.sh"));
    Matcher m = Pattern.compile("GS_JAVA_MODULE_OPTS=\\(\\n(.*?)\\n\\)", Pattern.DOTALL).matcher(common);
    assertEquals(true, m.find(), "GS_JAVA_MODULE_OPTS=( ... ) in bin/lib/common.sh");
    List<String> ours = Arrays.asList(m.group(1).trim().split("\\s+"));
    List<String> sparks = Arrays.asList(JavaModuleOptions.defaultModuleOptions().split("\\s+"));
    assertEquals(sparks, ours);
  }
}
