package io.gradsweep.jobs;

import io.gradsweep.report.TrialRow;
import io.gradsweep.report.TrialsTable;
import io.gradsweep.sweep.ProgressReporter;
import io.gradsweep.sweep.ResultsWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.util.VersionInfo;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.Metadata;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * {@code run --results URI}: the sweep's results table as Parquet, written by Spark's DataFrame writer to a
 * directory of any Hadoop file system. The columns and their types are those of {@code trials.csv}
 * ({@link TrialsTable#columns}: INT, BIGINT, DOUBLE, STRING; the extra parameters of another version as STRING),
 * the values its fields typed ({@link TrialsTable.Column#typedValue}): a missing value (an empty field, NaN or
 * infinite included) is null. One row per planned trial in plan order, in one file.
 *
 * <p>The directory is replaced as a whole on every write (Spark's overwrite mode), so a rerun or a
 * {@code --resume} writes the whole table again. Because of that, {@link #open} accepts only a directory that does
 * not exist (it creates it, which also proves it may write there), an empty one, or one that holds only what
 * Spark's Parquet writer leaves ({@code part-*}, {@code _SUCCESS}, their {@code .crc}, {@code _temporary}): a
 * mistyped {@code --results} never deletes someone's data. The checks run before any trial.
 */
final class ParquetResults implements ResultsWriter {
  static final String OPTION = "--results";
  /** Hadoop file systems that can read but not write. */
  static final Set<String> READ_ONLY_SCHEMES = Set.of("har", "http", "https");
  /** What Spark's Parquet writer leaves in its output directory (files and their checksums). */
  static final Pattern SPARK_OUTPUT = Pattern.compile("\\.?(part-.*|_SUCCESS)(\\.crc)?|_temporary");

  private final SparkSession spark;
  private final Path dir;
  private final String value;

  private ParquetResults(SparkSession spark, Path dir, String value) {
    this.spark = spark;
    this.dir = dir;
    this.value = value;
  }

  /**
   * Checks {@code value} without touching any file system: a URI or path whose scheme names a Hadoop file system
   * on the class path that can write. Returns it as a Hadoop path; the message of a bad one names
   * {@value #OPTION}, the value and what is allowed.
   */
  static Path parse(String value, Configuration conf) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(OPTION + " needs a directory URI, e.g. file:/data/sweep1 or "
          + "hdfs://namenode:8020/sweeps/sweep1");
    }
    Path path;
    try {
      path = new Path(value.strip());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(OPTION + " '" + value + "' is not a URI or path: " + e.getMessage());
    }
    String scheme = path.toUri().getScheme();
    if (scheme == null) {
      return path; // Hadoop's default file system (fs.defaultFS), checked by open
    }
    if (READ_ONLY_SCHEMES.contains(scheme.toLowerCase(Locale.ROOT))) {
      throw new IllegalArgumentException(OPTION + " '" + value + "': the file system of scheme '" + scheme
          + "' is read-only; " + allowed(conf));
    }
    try {
      FileSystem.getFileSystemClass(scheme, conf);
    } catch (IOException | RuntimeException | LinkageError e) {
      String impl = conf.get("fs." + scheme + ".impl");
      throw new IllegalArgumentException(OPTION + " '" + value + "': " + (impl == null
          ? "no Hadoop file system for scheme '" + scheme + "'"
          : "the Hadoop file system of scheme '" + scheme + "' (" + impl + ") is not on the class path"
              + ("s3a".equals(scheme) ? " (it is in org.apache.hadoop:hadoop-aws:" + VersionInfo.getVersion()
                  + ", e.g. with submit: --conf spark.jars.packages=org.apache.hadoop:hadoop-aws:"
                  + VersionInfo.getVersion() + ")" : ""))
          + "; " + allowed(conf));
    }
    return path;
  }

  /** "allowed: ..." with the schemes of the writable Hadoop file systems on the class path. */
  static String allowed(Configuration conf) {
    return "allowed: a URI of scheme " + String.join(", ", writableSchemes(conf)) + ", or a path without a "
        + "scheme (Hadoop's default file system, " + conf.get("fs.defaultFS", "file:///") + ")";
  }

  /** The schemes of the Hadoop file systems on the class path (registered or configured) that can write. */
  static List<String> writableSchemes(Configuration conf) {
    Set<String> candidates = new TreeSet<>();
    Iterator<FileSystem> registered = ServiceLoader.load(FileSystem.class, FileSystem.class.getClassLoader())
        .iterator();
    while (true) {
      try {
        if (!registered.hasNext()) {
          break;
        }
        candidates.add(registered.next().getScheme());
      } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
        // a file system that cannot load, or does not say its scheme (only reachable through fs.SCHEME.impl)
      }
    }
    for (Map.Entry<String, String> e : conf) {
      String k = e.getKey();
      if (k.startsWith("fs.") && k.endsWith(".impl") && k.indexOf('.', 3) == k.length() - 5) {
        candidates.add(k.substring(3, k.length() - 5));
      }
    }
    List<String> out = new ArrayList<>();
    for (String s : candidates) {
      if (READ_ONLY_SCHEMES.contains(s)) {
        continue;
      }
      try {
        FileSystem.getFileSystemClass(s, conf);
        out.add(s);
      } catch (IOException | RuntimeException | LinkageError e) {
        // configured, but its class is not here
      }
    }
    return out;
  }

  /**
   * Checks {@code value} against {@code spark}'s Hadoop configuration before the trials run: the scheme
   * ({@link #parse}), that the file system answers, and that the directory may be replaced (see the class
   * comment); creates it when it does not exist. Warns on {@code err} about a {@code file:} directory on a
   * cluster.
   */
  static ParquetResults open(String value, SparkSession spark, PrintStream err) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    Path path = parse(value, conf);
    FileSystem fs;
    Path dir;
    FileStatus status;
    FileStatus[] entries;
    try {
      fs = path.getFileSystem(conf);
      dir = fs.makeQualified(path);
      status = fs.exists(dir) ? fs.getFileStatus(dir) : null;
      entries = status != null && status.isDirectory() ? fs.listStatus(dir) : null;
    } catch (IOException | RuntimeException e) {
      throw unreachable(value, e);
    }
    requireReplaceable(dir, status, entries, value);
    if (status == null) {
      try {
        if (!fs.mkdirs(dir)) {
          throw new IOException("could not create " + dir);
        }
      } catch (IOException | RuntimeException e) {
        throw unreachable(value, e);
      }
    }
    if ("file".equals(dir.toUri().getScheme()) && !spark.sparkContext().isLocal()) {
      err.println(ProgressReporter.PREFIX + "warning: " + OPTION + " " + dir + " on a cluster ("
          + spark.sparkContext().master() + "): the executors write the Parquet file on their own disks; unless "
          + "this directory is on a file system every worker and this driver share, give an hdfs: or s3a: URI");
    }
    return new ParquetResults(spark, dir, value);
  }

  private static IllegalArgumentException unreachable(String value, Exception e) {
    return new IllegalArgumentException(OPTION + " '" + value + "': " + e.getClass().getSimpleName() + ": "
        + TrialDispatcher.firstLine(e));
  }

  /**
   * Refuses a file, or a directory holding anything but an earlier Parquet table ({@code status} null: it does not
   * exist; {@code entries}: what the directory holds).
   */
  static void requireReplaceable(Path dir, FileStatus status, FileStatus[] entries, String value) {
    if (status == null) {
      return;
    }
    if (!status.isDirectory()) {
      throw new IllegalArgumentException(OPTION + " '" + value + "': " + dir + " is a file; give a directory "
          + "that does not exist yet, an empty one, or the results directory of an earlier run (it is replaced)");
    }
    List<String> foreign = new ArrayList<>();
    for (FileStatus f : entries) {
      if (!SPARK_OUTPUT.matcher(f.getPath().getName()).matches()) {
        foreign.add(f.getPath().getName());
      }
    }
    Collections.sort(foreign);
    if (!foreign.isEmpty()) {
      throw new IllegalArgumentException(OPTION + " '" + value + "': " + dir + " holds other files than a Parquet "
          + "table (" + String.join(", ", foreign.subList(0, Math.min(3, foreign.size())))
          + (foreign.size() > 3 ? ", ... " + foreign.size() + " in all" : "") + "); the results directory is "
          + "replaced as a whole on every run, so give one that does not exist yet, an empty one, or the results "
          + "directory of an earlier run");
    }
  }

  /** The Spark schema of the table of {@code rows}: the columns of trials.csv, in order, all nullable. */
  static StructType schema(List<TrialRow> rows) {
    List<StructField> fields = new ArrayList<>();
    for (TrialsTable.Column c : TrialsTable.columns(rows)) {
      fields.add(new StructField(c.name(), DataType.fromDDL(c.type()), true, Metadata.empty()));
    }
    return new StructType(fields.toArray(new StructField[0]));
  }

  /** The table of {@code rows} as a DataFrame: one row per trial, typed as {@link #schema}. */
  static Dataset<Row> table(SparkSession spark, List<TrialRow> rows) {
    List<TrialsTable.Column> columns = TrialsTable.columns(rows);
    List<Row> out = new ArrayList<>(rows.size());
    for (TrialRow r : rows) {
      Object[] cells = new Object[columns.size()];
      for (int i = 0; i < cells.length; i++) {
        cells[i] = columns.get(i).typedValue(r);
      }
      out.add(RowFactory.create(cells));
    }
    return spark.createDataFrame(out, schema(rows));
  }

  @Override
  public String where() {
    return OPTION + " " + dir;
  }

  /** The qualified directory, e.g. {@code file:/data/sweep1}. */
  Path dir() {
    return dir;
  }

  /** Replaces the directory with the table of {@code rows}, in one Parquet file. */
  @Override
  public void write(List<TrialRow> rows) {
    table(spark, rows).coalesce(1).write().mode(SaveMode.Overwrite).parquet(dir.toString());
  }

  @Override
  public String toString() {
    return "ParquetResults[" + value + " -> " + dir + "]";
  }
}
