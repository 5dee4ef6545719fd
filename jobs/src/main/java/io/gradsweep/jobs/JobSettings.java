package io.gradsweep.jobs;

import io.gradsweep.conf.ConfKey;
import io.gradsweep.conf.GradsweepConf;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import scala.Tuple2;

/**
 * gradsweep's settings ({@link io.gradsweep.conf.ConfKeys}) as the driver reads them from the SparkConf: keys
 * {@code spark.gradsweep.*} from {@code --conf} (of gradsweep or spark-submit), {@code spark-defaults.conf} or
 * {@code -Dspark.gradsweep.*}, on any cluster manager. The system properties of earlier versions still count, each
 * with a one-line deprecation note: {@code -Dgradsweep.*} of this JVM, then {@code -Dgradsweep.*} in
 * {@code spark.executor.extraJavaOptions} (where they used to reach the executors). The result travels to the
 * executors inside each task ({@link io.gradsweep.tracking.TrackingTarget#conf()}).
 */
final class JobSettings {
  static final String EXECUTOR_OPTIONS = "spark.executor.extraJavaOptions";
  private static final Pattern LEGACY_OPTION = Pattern.compile("(?:^|\\s)-D(" + Pattern.quote(ConfKey.LEGACY_PREFIX)
      + "[a-z.]+)=(\\S*)");

  private JobSettings() {}

  /** The SparkConf the driver's session starts from: Spark's defaults and system properties, then {@code --conf}. */
  static SparkConf sparkConf(List<SparkSetting> confs) {
    SparkConf conf = new SparkConf();
    confs.forEach(c -> conf.set(c.key(), c.value()));
    return conf;
  }

  /**
   * The settings of {@code conf}, with the legacy system properties of {@code system} and of the executors' JVM
   * options; deprecation notes go to {@code notes}.
   *
   * @throws IllegalArgumentException naming the key, the value and what is allowed
   */
  static GradsweepConf read(SparkConf conf, Properties system, Consumer<String> notes) {
    Map<String, String> spark = new LinkedHashMap<>();
    for (Tuple2<String, String> kv : conf.getAll()) {
      spark.put(kv._1(), kv._2());
    }
    Map<String, String> jvm = new LinkedHashMap<>();
    system.stringPropertyNames().stream().filter(k -> k.startsWith(ConfKey.LEGACY_PREFIX))
        .forEach(k -> jvm.put(k, system.getProperty(k)));
    Map<String, Map<String, String>> legacy = new LinkedHashMap<>();
    legacy.put("-D", jvm);
    legacy.put(EXECUTOR_OPTIONS + " -D", legacyOptions(conf.get(EXECUTOR_OPTIONS, "")));
    return GradsweepConf.resolve(spark, legacy, notes);
  }

  /** The {@code -Dgradsweep.NAME=VALUE} options in a JVM options string. */
  static Map<String, String> legacyOptions(String javaOptions) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = LEGACY_OPTION.matcher(javaOptions);
    while (m.find()) {
      out.putIfAbsent(m.group(1), m.group(2));
    }
    return out;
  }
}
