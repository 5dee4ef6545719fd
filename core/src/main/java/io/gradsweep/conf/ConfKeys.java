package io.gradsweep.conf;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every gradsweep setting, in one place: name, default, what is allowed and what it does. The README's table of
 * settings is generated from {@link #ALL} (ConfKeysReadmeTest fails when it differs). Values reach the code as a
 * {@link GradsweepConf}; on Spark, jobs reads them from the SparkConf ({@code --conf spark.gradsweep.NAME=VALUE}).
 */
public final class ConfKeys {
  private ConfKeys() {}

  /** Seconds between two progress lines of the driver. */
  public static final ConfKey<Long> PROGRESS_SECONDS = new ConfKey<>("progress.seconds", 5L, "5",
      "a whole number >= 0 (seconds)",
      "Seconds between two progress lines on stderr (besides one per finished trial); 0: only those.",
      ConfKey.ReadBy.DRIVER, ConfKey.atLeast(0));

  /** How long a cluster's first executor may take to register. */
  public static final ConfKey<Long> EXECUTOR_WAIT_SECONDS = new ConfKey<>("executor.wait.seconds", 120L, "120",
      "a whole number >= 1 (seconds)",
      "How long a sweep on a cluster waits for its first executor to register before it gives up (exit status 4).",
      ConfKey.ReadBy.DRIVER, ConfKey.atLeast(1));

  /** A file for the sweep's throughput and timings as JSON. */
  public static final ConfKey<String> TIMINGS_FILE = new ConfKey<>("timings.file", null, "unset",
      "a file path",
      "Write the sweep's throughput and each trial's phases as JSON to this file when the trials are done "
          + "(docs/engine.md: Sweep throughput).",
      ConfKey.ReadBy.DRIVER, ConfKey.path());

  /** The spool root. */
  public static final ConfKey<String> SPOOL_DIR = new ConfKey<>("spool.dir", null,
      "`gradsweep-spool` under `spark.local.dir`, else under `java.io.tmpdir`", "a directory path",
      "Where trial runs spool what they send to MLflow, on each host (docs/reliability.md); also `replay`'s "
          + "default directory.",
      ConfKey.ReadBy.TRIALS, ConfKey.path());

  /** The spool bound per JVM, MiB. */
  public static final ConfKey<Long> SPOOL_MAX_MB = new ConfKey<>("spool.max.mb", 256L, "256",
      "a whole number >= 1 (MiB)",
      "Disk the spools of one JVM may take together; when full, training waits for the MLflow server.",
      ConfKey.ReadBy.TRIALS, ConfKey.atLeast(1));

  /** Seconds a run's sender keeps trying while the server is away. */
  public static final ConfKey<Long> MLFLOW_GIVEUP_SECONDS = new ConfKey<>("mlflow.giveup.seconds", 900L, "900",
      "a whole number >= 1 (seconds)",
      "How long a run's sender keeps retrying while the MLflow server is unreachable; then its records stay on "
          + "disk for `gradsweep replay`.",
      ConfKey.ReadBy.TRIALS, ConfKey.atLeast(1));

  /**
   * Whether each trial start sends spools earlier processes left under its root. Off by default: with several
   * executors on one host sharing a root, an adopter raced a live run at its end (seen in StandaloneClusterIT: the
   * live run's spool was sent and deleted under it, and its trial hung), so leftovers are sent by
   * {@code gradsweep replay}, run when the sweep is over.
   */
  public static final ConfKey<Boolean> SPOOL_ADOPT = new ConfKey<>("spool.adopt", false, "false",
      "true or false",
      "Each trial start sends the spools that earlier processes left under its spool root (off: `gradsweep "
          + "replay` sends them once the sweep is over).",
      ConfKey.ReadBy.TRIALS, ConfKey.bool());

  /** The engine's float kernels: auto or scalar. */
  public static final ConfKey<String> KERNELS = new ConfKey<>("kernels", "auto", "auto", "auto or scalar",
      "The engine's single-precision kernels: auto uses the Vector API (SIMD) when the JVM has "
          + "jdk.incubator.vector, scalar forces plain Java loops.",
      ConfKey.ReadBy.TRIALS, ConfKey.oneOf("auto", "scalar"));

  /** Every setting, in the order the README lists them. */
  public static final List<ConfKey<?>> ALL = List.of(PROGRESS_SECONDS, EXECUTOR_WAIT_SECONDS, TIMINGS_FILE,
      SPOOL_DIR, SPOOL_MAX_MB, MLFLOW_GIVEUP_SECONDS, SPOOL_ADOPT, KERNELS);

  private static final Map<String, ConfKey<?>> BY_NAME = byName();

  private static Map<String, ConfKey<?>> byName() {
    Map<String, ConfKey<?>> m = new LinkedHashMap<>();
    for (ConfKey<?> k : ALL) {
      if (m.put(k.name(), k) != null) {
        throw new IllegalStateException("two settings named " + k.name());
      }
    }
    return m;
  }

  /** The setting named {@code name} (without prefix). */
  public static Optional<ConfKey<?>> find(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  /** The names of every setting, in {@link #ALL} order. */
  public static List<String> names() {
    return List.copyOf(BY_NAME.keySet());
  }

  /**
   * The README's table of settings (Markdown): key, default, allowed values, read by, meaning; one row per
   * setting in {@link #ALL} order.
   */
  public static String markdownTable() {
    StringBuilder b = new StringBuilder();
    b.append("| key | default | allowed | read by | what it does |\n");
    b.append("|---|---|---|---|---|\n");
    for (ConfKey<?> k : ALL) {
      b.append("| `").append(k.sparkKey()).append("` | ").append(cell(k.defaultText())).append(" | ")
          .append(k.allowed()).append(" | ").append(k.readBy()).append(" | ").append(cell(k.description()))
          .append(" |\n");
    }
    return b.toString();
  }

  private static String cell(String text) {
    return text.replace("|", "\\|");
  }
}
