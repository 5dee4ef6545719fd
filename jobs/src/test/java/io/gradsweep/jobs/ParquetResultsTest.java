package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.report.SampleRows;
import io.gradsweep.report.TrialRow;
import io.gradsweep.report.TrialsTable;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --results}: the Parquet table has the columns and types of trials.csv and holds what Spark reads from
 * trials.csv with the documented schema; bad URIs and directories that must not be replaced are refused before
 * anything runs. On a local Spark with one core.
 */
class ParquetResultsTest {
  private static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark = SparkSession.builder().master("local[1]").appName("ParquetResultsTest")
        .config("spark.ui.enabled", "false").getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  private final ByteArrayOutputStream errBuf = new ByteArrayOutputStream();
  private final PrintStream err = new PrintStream(errBuf, true, StandardCharsets.UTF_8);

  @Test
  void theSchemaIsTrialsCsvsHeaderWithItsTypes() {
    List<TrialRow> rows = SampleRows.mixed();
    String csv = new String(TrialsTable.csv(rows), StandardCharsets.UTF_8);
    List<String> header = List.of(csv.lines().findFirst().orElseThrow().split(",", -1));
    StructType schema = ParquetResults.schema(rows);
    assertEquals(header, Arrays.asList(schema.fieldNames()));
    Map<String, org.apache.spark.sql.types.DataType> sqlTypes = Map.of("INT", DataTypes.IntegerType, "BIGINT",
        DataTypes.LongType, "DOUBLE", DataTypes.DoubleType, "STRING", DataTypes.StringType);
    List<TrialsTable.Column> columns = TrialsTable.columns(rows);
    for (int i = 0; i < columns.size(); i++) {
      StructField f = schema.fields()[i];
      assertEquals(sqlTypes.get(columns.get(i).type()), f.dataType(), f.name());
      assertTrue(f.nullable(), f.name());
    }
    // spot checks against what analysis code relies on
    assertEquals(DataTypes.IntegerType, schema.apply("seq_len").dataType());
    assertEquals(DataTypes.LongType, schema.apply("seed").dataType());
    assertEquals(DataTypes.DoubleType, schema.apply("final_eval_loss").dataType());
    assertEquals(DataTypes.StringType, schema.apply("status").dataType());
    assertEquals(DataTypes.StringType, schema.apply("zz.future_knob").dataType());
    // the documented DDL of trials.csv is this schema without the extra parameter
    assertEquals(StructType.fromDDL(TrialsTable.sparkSchema()), ParquetResults.schema(rows.subList(0, 3)));
  }

  @Test
  void theParquetTableHoldsWhatSparkReadsFromTrialsCsv(@TempDir Path tmp) throws Exception {
    List<TrialRow> rows = SampleRows.mixed();
    Path csvFile = tmp.resolve("trials.csv");
    Files.write(csvFile, TrialsTable.csv(rows));
    ParquetResults results = ParquetResults.open(tmp.resolve("results").toString(), spark, err);
    results.write(rows);

    List<Row> parquet = spark.read().parquet(results.dir().toString()).collectAsList();
    List<Row> csv = spark.read().schema(ParquetResults.schema(rows)).option("header", true).option("escape", "\"")
        .csv(csvFile.toString()).collectAsList();
    assertEquals(rows.size(), parquet.size());
    assertEquals(csv, parquet, "trials.csv read with its schema and the Parquet table hold the same rows");
    assertEquals(ParquetResults.schema(rows), spark.read().parquet(results.dir().toString()).schema());
    Row diverged = parquet.get(1);
    assertTrue(diverged.isNullAt(diverged.fieldIndex("final_eval_loss")), "NaN is null");
    assertTrue(diverged.isNullAt(diverged.fieldIndex("max_grad_norm")), "infinite is null");
    assertEquals(5_000_000_000L, parquet.get(0).getLong(parquet.get(0).fieldIndex("seed")));
    assertEquals("on, sometimes", parquet.get(3).getString(parquet.get(3).fieldIndex("zz.future_knob")));
    try (Stream<Path> files = Files.list(tmp.resolve("results"))) {
      assertEquals(1, files.filter(p -> p.getFileName().toString().endsWith(".parquet")).count(), "one file");
    }
  }

  @Test
  void aSecondWriteReplacesTheTable(@TempDir Path tmp) {
    List<TrialRow> rows = SampleRows.mixed();
    String dir = "file:" + tmp.resolve("again");
    ParquetResults.open(dir, spark, err).write(rows);
    // a rerun: the directory of the first write is accepted and replaced, not appended to
    ParquetResults.open(dir, spark, err).write(rows.subList(0, 2));
    List<Row> back = spark.read().parquet(dir).collectAsList();
    assertEquals(2, back.size());
    assertEquals("", errBuf.toString(StandardCharsets.UTF_8), "no warning in local mode");
  }

  @Test
  void aMissingDirectoryIsCreatedBeforeTheTrialsRun(@TempDir Path tmp) {
    Path dir = tmp.resolve("a/b/results");
    ParquetResults r = ParquetResults.open(dir.toString(), spark, err);
    assertTrue(Files.isDirectory(dir), "created at once: write access is proven before training");
    assertEquals("file:" + dir, r.dir().toString(), "qualified");
    assertEquals("--results file:" + dir, r.where());
  }

  @Test
  void aDirectoryWithOtherFilesOrAFileIsRefusedAndLeftAlone(@TempDir Path tmp) throws Exception {
    Path home = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(home.resolve("thesis.tex"), "years of work");
    Files.createDirectories(home.resolve("_SUCCESS_not"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ParquetResults.open(home.toString(), spark, err));
    assertEquals("--results '" + home + "': file:" + home + " holds other files than a Parquet table (_SUCCESS_not, "
        + "thesis.tex); the results directory is replaced as a whole on every run, so give one that does not exist "
        + "yet, an empty one, or the results directory of an earlier run", e.getMessage());
    assertTrue(Files.exists(home.resolve("thesis.tex")));

    Path file = Files.writeString(tmp.resolve("notes.txt"), "x");
    String m = assertThrows(IllegalArgumentException.class, () -> ParquetResults.open(file.toString(), spark, err))
        .getMessage();
    assertTrue(m.startsWith("--results '" + file + "': file:" + file + " is a file;"), m);
    assertEquals("x", Files.readString(file));

    Path empty = Files.createDirectories(tmp.resolve("empty"));
    ParquetResults.open(empty.toString(), spark, err);
  }

  @Test
  void whatSparksWriterLeavesIsRecognised() {
    for (String name : List.of("part-00000-6c3f-c000.snappy.parquet", ".part-00000-6c3f-c000.snappy.parquet.crc",
        "_SUCCESS", "._SUCCESS.crc", "_temporary")) {
      assertTrue(ParquetResults.SPARK_OUTPUT.matcher(name).matches(), name);
    }
    for (String name : List.of("data.parquet", "thesis.tex", "_SUCCESS.bak", ".bashrc", "temporary")) {
      assertFalse(ParquetResults.SPARK_OUTPUT.matcher(name).matches(), name);
    }
  }

  @Test
  void aSchemeWithoutAWritableHadoopFileSystemNamesTheOptionTheValueAndWhatIsAllowed() {
    Configuration conf = new Configuration();
    List<String> writable = ParquetResults.writableSchemes(conf);
    assertTrue(writable.containsAll(List.of("file", "hdfs")), writable.toString());
    assertFalse(writable.contains("http") || writable.contains("har"), "read-only: " + writable);
    assertFalse(writable.contains("s3a"), "configured in core-default.xml, but hadoop-aws is not on the class path");

    String unknown = assertThrows(IllegalArgumentException.class, () -> ParquetResults.parse("foo://x/y", conf))
        .getMessage();
    assertTrue(unknown.startsWith("--results 'foo://x/y': no Hadoop file system for scheme 'foo'; allowed: a URI "
        + "of scheme " + String.join(", ", writable) + ", or a path without a scheme (Hadoop's default file system, "
        + "file:///)"), unknown);
    String s3a = assertThrows(IllegalArgumentException.class, () -> ParquetResults.parse("s3a://bucket/s1", conf))
        .getMessage();
    assertTrue(s3a.contains("the Hadoop file system of scheme 's3a' (org.apache.hadoop.fs.s3a.S3AFileSystem) is not "
        + "on the class path (it is in org.apache.hadoop:hadoop-aws:"), s3a);
    String http = assertThrows(IllegalArgumentException.class, () -> ParquetResults.parse("http://h/x", conf))
        .getMessage();
    assertTrue(http.startsWith("--results 'http://h/x': the file system of scheme 'http' is read-only; allowed:"),
        http);
    assertTrue(assertThrows(IllegalArgumentException.class, () -> ParquetResults.parse(" ", conf)).getMessage()
        .startsWith("--results needs a directory URI"));
    assertEquals("hdfs", ParquetResults.parse("hdfs://nn:8020/s", conf).toUri().getScheme());
    assertEquals(null, ParquetResults.parse("results/s1", conf).toUri().getScheme(), "a path: the default FS");
  }
}
