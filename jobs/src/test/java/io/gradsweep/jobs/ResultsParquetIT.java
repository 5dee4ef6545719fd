package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradsweep.report.TrialsTable;
import io.gradsweep.search.Sweeps;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.MemoryRun;
import io.gradsweep.tracking.MemoryTrackingSink;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run --results file:DIR} end to end on local[2] (in this JVM): a real sweep of three trials (one diverges)
 * writes its table as Parquet; Spark and the project venv's pandas/pyarrow read it back with trials.csv's
 * columns, types and rows; a rerun replaces it; a directory that must not be replaced stops the sweep before
 * anything is trained or logged. Tracking goes to the in-memory backend, whose parent run holds the trials.csv to
 * compare with.
 */
class ResultsParquetIT {
  static final Path SPEC = Path.of("src/test/resources/results-sweep.yaml");

  private record Run(int status, String out, String err) {}

  private static Run sweep(String... extra) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> args = new ArrayList<>(List.of("run", SPEC.toString()));
    args.addAll(List.of(extra));
    System.setProperty("spark.master", "local[2]"); // as spark-submit passes it
    try {
      int status = SweepJob.run(args.toArray(new String[0]), Map.of("OMP_NUM_THREADS", "1"),
          new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
      Run r = new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
      System.out.print(r.out + r.err);
      return r;
    } finally {
      System.clearProperty("spark.master");
    }
  }

  private static List<MemoryRun> parentRuns(String experiment) {
    return MemoryTrackingSink.runsOfExperiment(experiment).stream().filter(r -> r.parentRunId().isEmpty()).toList();
  }

  @Test
  void aSweepWritesItsTableAsParquetThatSparkAndPandasReadBack(@TempDir Path tmp) throws Exception {
    SweepSpec spec = Sweeps.parseFile(SPEC);
    int trials = spec.trials().size();
    Path dir = tmp.resolve("results");
    String uri = "file:" + dir;
    long t0 = System.nanoTime();
    Run run = sweep("--tracking-backend", "memory", "--results", uri);
    System.out.printf("sweep with --results: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    assertEquals(0, run.status, run.err);
    assertTrue(run.err.contains("[gradsweep] results: " + trials + " rows written to --results " + uri), run.err);
    List<MemoryRun> parents = parentRuns(spec.experiment());
    MemoryRun parent = parents.get(parents.size() - 1);
    byte[] trialsCsv = parent.artifact("trials.csv").orElseThrow();
    Path csvFile = Files.write(tmp.resolve("trials.csv"), trialsCsv);
    List<String> header = List.of(new String(trialsCsv, StandardCharsets.UTF_8).lines().findFirst().orElseThrow()
        .split(",", -1));
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(1, names.stream().filter(n -> n.startsWith("part-") && n.endsWith(".parquet")).count(),
          "one Parquet file: " + names);
      assertTrue(names.contains("_SUCCESS"), names.toString());
    }

    SparkSession spark = SparkSession.builder().master("local[1]").appName("ResultsParquetIT")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      Dataset<Row> table = spark.read().parquet(uri);
      assertEquals(trials, table.count());
      assertEquals(header, List.of(table.schema().fieldNames()), "the columns of trials.csv, in order");
      StructType documented = StructType.fromDDL(TrialsTable.sparkSchema());
      assertEquals(documented, table.schema(), "the types of the schema trials.csv is documented with");
      assertEquals(DataTypes.IntegerType, table.schema().apply("seq_len").dataType());
      assertEquals(DataTypes.LongType, table.schema().apply("seed").dataType());
      assertEquals(DataTypes.DoubleType, table.schema().apply("final_eval_loss").dataType());
      List<Row> fromCsv = spark.read().schema(documented).option("header", true).option("escape", "\"")
          .csv(csvFile.toString()).collectAsList();
      assertEquals(fromCsv, table.collectAsList(), "the same rows as trials.csv");
      assertEquals(spec.trials().stream().map(TrialSpec::id).toList(),
          table.select("trial_id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList(), "plan order");
      Row diverged = spark.sql("SELECT count(*), count(final_eval_loss) FROM parquet.`" + uri + "` "
          + "WHERE status = 'DIVERGED'").first();
      assertEquals(1L, diverged.getLong(0), "one trial diverged");
      assertEquals(0L, diverged.getLong(1), "its NaN final eval loss is null");
    } finally {
      spark.stop();
    }

    // pandas and pyarrow from the project venv, as docs/analysis.md shows
    Path python = AnalysisIT.projectPython();
    Path log = tmp.resolve("read_results.log");
    AnalysisIT.ProcessResult read = AnalysisIT.run(List.of(python.toString(),
        AnalysisIT.repoRoot().resolve("jobs/src/test/python/read_results.py").toString(), dir.toString()), log);
    assertEquals(0, read.exitCode(), read.output());
    JsonNode json = new ObjectMapper().readTree(read.output().lines().filter(l -> l.startsWith("{"))
        .reduce((a, b) -> b).orElseThrow());
    assertEquals(trials, json.path("rows").asInt(), read.output());
    List<String> columns = new ArrayList<>();
    json.path("columns").forEach(c -> columns.add(c.asText()));
    assertEquals(header, columns, "pandas sees trials.csv's columns");
    Map<String, String> arrow = Map.of("INT", "int32", "BIGINT", "int64", "DOUBLE", "double", "STRING", "string");
    for (TrialsTable.Column c : TrialsTable.COLUMNS) {
      assertEquals(arrow.get(c.type()), json.path("arrow_types").path(c.name()).asText(), c.name());
    }
    List<String> ids = new ArrayList<>();
    json.path("trial_ids").forEach(c -> ids.add(c.asText()));
    assertEquals(spec.trials().stream().map(TrialSpec::id).toList(), ids);
    List<String> statuses = new ArrayList<>();
    json.path("status").forEach(c -> statuses.add(c.asText()));
    int divergedAt = statuses.indexOf("DIVERGED");
    assertTrue(divergedAt >= 0, statuses.toString());
    assertTrue(json.path("final_eval_loss_missing").get(divergedAt).asBoolean(), "NaN reads as missing");

    // a rerun (here without tracking) replaces the table instead of adding to it
    Run again = sweep("--tracking-backend", "none", "--results", dir.toString());
    assertEquals(0, again.status, again.err);
    SparkSession spark2 = SparkSession.builder().master("local[1]").appName("ResultsParquetIT")
        .config("spark.ui.enabled", "false").getOrCreate();
    try {
      assertEquals(trials, spark2.read().parquet(uri).count(), "replaced, not appended");
    } finally {
      spark2.stop();
    }
  }

  @Test
  void aDirectoryThatMustNotBeReplacedStopsTheSweepBeforeAnythingIsTrainedOrLogged(@TempDir Path tmp)
      throws Exception {
    Path home = Files.createDirectories(tmp.resolve("home"));
    Files.writeString(home.resolve("notes.txt"), "keep me");
    String experiment = Sweeps.parseFile(SPEC).experiment();
    int parentsBefore = parentRuns(experiment).size();
    Run run = sweep("--tracking-backend", "memory", "--results", home.toString());
    assertEquals(SweepJob.USAGE_ERROR, run.status, run.err);
    assertTrue(run.err.contains("gradsweep: --results '" + home + "': file:" + home + " holds other files than a "
        + "Parquet table (notes.txt)"), run.err);
    assertTrue(run.err.contains("(nothing was trained; the parent run was not started)"), run.err);
    assertEquals(parentsBefore, parentRuns(experiment).size(), "no parent run");
    assertEquals("keep me", Files.readString(home.resolve("notes.txt")));
  }
}
