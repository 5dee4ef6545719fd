package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingSinks;
import io.gradsweep.tracking.TrackingTarget;
import io.gradsweep.conf.ConfKey;
import io.gradsweep.conf.ConfKeys;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The command line: dispatch to the commands, their options and checks, the help. Nothing here starts Spark or
 * contacts a tracking server.
 */
class CommandLineTest {
  private static final Map<String, String> NO_ENV = Map.of();

  private final ByteArrayOutputStream outBuf = new ByteArrayOutputStream();
  private final ByteArrayOutputStream errBuf = new ByteArrayOutputStream();

  private int run(Map<String, String> env, String... args) {
    return SweepJob.run(args, env, new PrintStream(outBuf, true, StandardCharsets.UTF_8),
        new PrintStream(errBuf, true, StandardCharsets.UTF_8));
  }

  private int run(String... args) {
    return run(NO_ENV, args);
  }

  private String out() {
    return outBuf.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return errBuf.toString(StandardCharsets.UTF_8);
  }

  /** The usage error of {@code args}: exit status 2, and the message on stderr. */
  private String error(Map<String, String> env, String... args) {
    errBuf.reset();
    assertEquals(SweepJob.USAGE_ERROR, run(env, args), "exit status of " + List.of(args) + ": " + err());
    return err();
  }

  private String error(String... args) {
    return error(NO_ENV, args);
  }

  /** The command object {@code args} select, with its options parsed (nothing run). */
  private static <T> T parsed(Class<T> type, String... args) {
    JobContext ctx = new JobContext(NO_ENV, System.out, System.err);
    CommandLine.ParseResult r = SweepJob.commandLine(ctx).parseArgs(args);
    return type.cast(r.subcommand().commandSpec().userObject());
  }

  private static TrackingTarget target(RunCommand c, Map<String, String> env) {
    return c.options.tracking.target(c.command, env, "note");
  }

  @Test
  void runWithEveryOption() {
    RunCommand c = parsed(RunCommand.class, "run", "s.yaml", "--tracking-uri", "http://h:1", "--tracking-backend",
        "mlflow", "--parallelism", "3", "--conf", "spark.master=local[2]", "--resume", "--results", "file:/r/s1");
    assertEquals("s.yaml", c.options.spec);
    assertEquals("file:/r/s1", c.options.results);
    assertEquals(3, c.options.parallelism);
    assertTrue(c.options.resume);
    assertEquals(List.of(new SparkSetting("spark.master", "local[2]")), c.options.conf);
    assertEquals(new TrackingTarget("mlflow", "http://h:1"), target(c, NO_ENV));
  }

  @Test
  void optionsTakeTheEqualsFormAndMayComeBeforeTheSpec() {
    RunCommand c = parsed(RunCommand.class, "run", "--parallelism=2", "--tracking-uri=http://h:1", "s.yaml");
    assertEquals(2, c.options.parallelism);
    assertEquals("http://h:1", c.options.tracking.uri);
    assertEquals(0, parsed(RunCommand.class, "run", "s.yaml").options.parallelism, "0: Spark's default");
  }

  @Test
  void trackingUriFallsBackToTheEnvironmentAndCredentialsComeFromIt() {
    Map<String, String> env = Map.of("MLFLOW_TRACKING_URI", "http://env:5000", "MLFLOW_TRACKING_USERNAME", "u",
        "MLFLOW_TRACKING_PASSWORD", "pw-123");
    assertEquals(new TrackingTarget("mlflow", "http://env:5000", TrackingCredentials.basic("u", "pw-123")),
        target(parsed(RunCommand.class, "run", "s.yaml"), env));
    assertEquals("http://x", target(parsed(RunCommand.class, "run", "s.yaml", "--tracking-uri", "http://x"), env)
        .uri(), "the option wins over the environment");
    assertEquals(new TrackingTarget("none", null), target(parsed(RunCommand.class, "run", "s.yaml",
        "--tracking-backend", "none"), env), "only the mlflow backend reads them");
    assertEquals(new TrackingTarget("memory", null), target(parsed(RunCommand.class, "run", "s.yaml",
        "--tracking-backend", "memory"), NO_ENV));
  }

  @Test
  void halfGivenCredentialsAreAUsageErrorThatKeepsThePasswordSecret() {
    String m = error(Map.of("MLFLOW_TRACKING_URI", "http://env", "MLFLOW_TRACKING_PASSWORD", "pw-123"), "run",
        "s.yaml");
    assertTrue(m.startsWith("gradsweep: MLFLOW_TRACKING_PASSWORD is set but MLFLOW_TRACKING_USERNAME is not"), m);
    assertFalse(m.contains("pw-123"), m);
  }

  @Test
  void mlflowWithoutAnyUriIsAUsageErrorThatSaysWhatToDo() {
    String m = error("run", "s.yaml");
    assertTrue(m.contains("run: no tracking URI") && m.contains("--tracking-uri")
        && m.contains("MLFLOW_TRACKING_URI"), m);
    assertTrue(error("report", "s.yaml").contains("report: no tracking URI"));
  }

  @Test
  void resumeIsAFlagOfRunOnly() {
    assertTrue(error("plan", "s.yaml", "--resume").contains("'--resume'"));
    assertTrue(error("report", "s.yaml", "--resume").contains("'--resume'"));
    assertTrue(error("run", "s.yaml", "--resume=maybe", "--tracking-backend", "none").contains("--resume"));
  }

  @Test
  void replayTakesAnOptionalDirectoryAndServer() {
    ReplayCommand r = parsed(ReplayCommand.class, "replay", "--tracking-uri", "http://h:1", "/tmp/spool");
    assertEquals(Path.of("/tmp/spool"), r.dir);
    assertEquals("http://h:1", r.uri);
    ReplayCommand d = parsed(ReplayCommand.class, "replay");
    assertNull(d.dir);
    assertNull(d.uri, "each spool's own server; MLFLOW_TRACKING_URI is not used");
    assertTrue(error("replay", "--tracking-backend", "none").contains("--tracking-backend must be mlflow"));
    assertTrue(error("replay", "a", "b").contains("'b'"));
  }

  @Test
  void unknownOrMissingCommandsAreExit2() {
    assertTrue(error().contains("missing command: plan, run, submit, report, watch, replay"), err());
    String m = error("train", "s.yaml");
    assertTrue(m.contains("unknown command 'train'; known: plan, run, submit, report, watch, replay"), m);
    assertTrue(m.contains("gradsweep --help"), m);
    assertEquals("", out());
  }

  @Test
  void usageErrorsNameTheOptionTheValueAndWhatIsAllowed() {
    assertTrue(error("run").contains("SPEC"));
    assertTrue(error("plan", "a.yaml", "b.yaml").contains("'b.yaml'"));
    assertTrue(error("plan", "s.yaml", "--verbose").contains("'--verbose'"));
    assertTrue(error("run", "s.yaml", "--tracking-uri").contains("--tracking-uri"));
    String backend = error("run", "s.yaml", "--tracking-backend", "wandb");
    assertTrue(backend.contains("--tracking-backend") && backend.contains("unknown backend 'wandb'; known: "
        + String.join(", ", TrackingSinks.NAMES)), backend);
    assertTrue(TrackingSinks.NAMES.containsAll(List.of("mlflow", "memory", "none")), "the test jar adds memory");
    String conf = error("run", "s.yaml", "--conf", "spark.master");
    assertTrue(conf.contains("--conf") && conf.contains("expected KEY=VALUE, got 'spark.master'"), conf);
    assertTrue(conf.contains("gradsweep run --help"), "points to the command's help: " + conf);
    assertTrue(error("run", "s.yaml", "--master", "spark://h:7077").contains("--master is for submit; for run use "
        + "--conf spark.master=URL"));
  }

  @Test
  void resultsNeedsAWritableHadoopFileSystemAndIsCheckedBeforeTheSpecOrTheLauncher() {
    String m = error("run", "no/such.yaml", "--tracking-backend", "none", "--results", "foo://bucket/s1");
    assertTrue(m.contains("gradsweep: --results 'foo://bucket/s1': no Hadoop file system for scheme 'foo'; "
        + "allowed: a URI of scheme ") && m.contains("file, ") && m.contains("hdfs"), m);
    assertTrue(m.contains("gradsweep run --help"), m);
    String s3a = error("run", "src/test/resources/tiny-sweep.yaml", "--results=s3a://bucket/s1", "--validate-only");
    assertTrue(s3a.contains("'s3a' (org.apache.hadoop.fs.s3a.S3AFileSystem) is not on the class path"), s3a);
    String submit = error("submit", "--master", "spark://h:7077", "src/test/resources/tiny-sweep.yaml",
        "--results", "http://h/s1", "--validate-only");
    assertTrue(submit.contains("--results 'http://h/s1': the file system of scheme 'http' is read-only"), submit);
    assertEquals(0, run("submit", "--master", "spark://h:7077", "src/test/resources/tiny-sweep.yaml", "--results",
        "hdfs://namenode:8020/sweeps/s1", "--validate-only"), err());
    assertEquals(0, run("run", "src/test/resources/tiny-sweep.yaml", "--results", "target/results-cl",
        "--validate-only"), err());
    // a file system registered through a Spark setting counts (spark.hadoop.* is Hadoop's configuration)
    assertEquals(0, run("run", "src/test/resources/tiny-sweep.yaml", "--results", "mine://x/s1", "--conf",
        "spark.hadoop.fs.mine.impl=org.apache.hadoop.fs.RawLocalFileSystem", "--validate-only"), err());
  }

  @Test
  void parallelismMustBeAPositiveWholeNumber() {
    for (String bad : new String[] {"0", "-2", "two", "1.5", ""}) {
      String m = error("run", "s.yaml", "--tracking-backend", "none", "--parallelism=" + bad);
      assertTrue(m.contains("--parallelism") && m.contains("'" + bad + "'") && m.contains("whole number >= 1"), m);
    }
  }

  @Test
  void submitNeedsAMasterAndIsCarriedOutByTheLauncher() {
    assertTrue(error("submit", "s.yaml").contains("submit needs --master URL"));
    String m = error("submit", "--master", "spark://h:7077", "src/test/resources/tiny-sweep.yaml",
        "--tracking-backend", "none");
    assertTrue(m.contains("spark-submit") && m.contains(" run "), m);
    assertEquals(0, run("submit", "--master", "spark://h:7077", "src/test/resources/tiny-sweep.yaml",
        "--validate-only"), err());
  }

  @Test
  void validateOnlyChecksTheSpecWithoutATrackingServer() {
    assertEquals(0, run("run", "src/test/resources/tiny-sweep.yaml", "--validate-only"), err());
    assertTrue(error("run", "no/such.yaml", "--validate-only").contains("no/such.yaml"));
    assertEquals(0, run("report", "--experiment", "e", "--sweep", "s", "--validate-only"), err());
    assertEquals("", out());
  }

  @Test
  void reportTakesASpecFileOrAnExperimentAndSweep() {
    ReportCommand bySpec = parsed(ReportCommand.class, "report", "s.yaml", "--tracking-uri", "http://h:1", "--out",
        "o");
    assertEquals("s.yaml", bySpec.positional);
    assertEquals(Path.of("o"), bySpec.out);
    ReportCommand byName = parsed(ReportCommand.class, "report", "--experiment", "e", "--sweep=s");
    assertEquals("e", byName.experiment);
    assertEquals("s", byName.sweep);
  }

  @Test
  void reportArgumentErrorsSayWhatIsMissing() {
    assertTrue(error("report", "--tracking-uri", "http://h").contains("which sweep?"));
    assertTrue(error("report", "--sweep", "s", "--tracking-uri", "http://h").contains("--experiment is missing"));
    assertTrue(error("report", "quickstart", "--tracking-uri", "http://h").contains("--experiment is missing"),
        "a positional word is a sweep name");
    assertTrue(error("report", "s.yaml", "--sweep", "s", "--tracking-uri", "http://h").contains("not both"));
    assertTrue(error("report", "a", "--sweep", "b", "--experiment", "e").contains("two sweep names"));
    assertTrue(error("report", "s.yaml", "--tracking-backend", "none").contains("nothing to read"));
    assertTrue(error("run", "s.yaml", "--out", "o").contains("'--out'"));
  }

  @Test
  void helpOfEveryCommandIsExit0OnStdout() {
    for (String command : SweepJob.COMMANDS) {
      outBuf.reset();
      errBuf.reset();
      assertEquals(0, run(command, "--help"), command + ": " + err());
      assertTrue(out().startsWith("Usage: gradsweep " + command), out());
      assertEquals("", err());
      outBuf.reset();
      assertEquals(0, run("help", command), command);
      assertTrue(out().startsWith("Usage: gradsweep " + command), out());
    }
  }

  @Test
  void helpWinsOverEverythingElse() {
    assertEquals(0, run("run", "--bogus", "--help"));
    assertTrue(out().startsWith("Usage: gradsweep run"), out());
    outBuf.reset();
    assertEquals(0, run("-h"));
    assertTrue(out().startsWith("Usage: gradsweep plan"), out());
  }

  @Test
  void theOverviewExplainsEveryCommandOptionAndVariable() {
    assertEquals(0, run("--help"));
    for (String word : List.of("gradsweep plan", "gradsweep run", "gradsweep submit", "--master", "gradsweep report",
        "--experiment", "--sweep", "--out", "gradsweep replay", "[SPOOL_DIR]", "--resume", "--tracking-uri",
        "--tracking-backend", "--parallelism", "--conf", "--help", "MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN",
        "JAVA_HOME",
        "GRADSWEEP_JAVA_OPTS", "GRADSWEEP_OMP_NUM_THREADS", "GRADSWEEP_NO_BUILD", "GRADSWEEP_MLFLOW_BACKEND",
        "SPARK_LOCAL_IP", "mlflow-local start", "OMP_NUM_THREADS", "--results", "Exit status",
        "5 the sweep completed and was logged but the")) {
      assertTrue(out().contains(word), word);
    }
    for (ConfKey<?> k : ConfKeys.ALL) {
      assertTrue(out().contains("  " + k.sparkKey() + " (" + k.allowed() + "; default "), k.sparkKey());
    }
    String settings = out().substring(out().indexOf("\nSettings ("), out().indexOf("\nFiles:"));
    assertTrue(settings.lines().skip(2).allMatch(l -> l.startsWith("  ") && l.length() < HelpText.WIDTH),
        "each setting's lines are indented and fit the help's width:" + settings);
    assertFalse(out().contains("--validate-only"), "hidden: the launcher's");
    assertEquals(1, out().lines().filter(l -> l.strip().startsWith("--tracking-uri")).count(),
        "each option is described once:\n" + out());
  }

  @Test
  void liveOptionsGoWithLiveAndWatchNeedsExperimentAndSweep() {
    RunCommand r = parsed(RunCommand.class, "run", "s.yaml", "--live", "--live-port", "0");
    assertTrue(r.options.live);
    assertEquals(0, r.options.liveView.port);
    assertEquals("127.0.0.1", r.options.liveView.host, "loopback unless asked");
    RunCommand plain = parsed(RunCommand.class, "run", "s.yaml");
    assertTrue(!plain.options.live && plain.options.liveView.port == io.gradsweep.live.LiveServer.DEFAULT_PORT);
    String m = error("run", "s.yaml", "--live-host", "0.0.0.0", "--tracking-backend", "none");
    assertTrue(m.contains("--live-host is for the live view: add --live"), m);
    WatchCommand w = parsed(WatchCommand.class, "watch", "--experiment", "e", "--sweep", "s", "--live-host",
        "0.0.0.0");
    assertEquals("0.0.0.0", w.live.host);
    assertTrue(error("watch", "--experiment", "e").contains("--sweep"), err());
  }

  @Test
  void aTakenLivePortIsAUsageErrorBeforeAnythingTrains() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      String m = error("run", "src/test/resources/tiny-sweep.yaml", "--tracking-backend", "memory", "--live",
          "--live-port", Integer.toString(taken.getLocalPort()));
      assertTrue(m.contains("--live: port " + taken.getLocalPort() + " on 127.0.0.1 is taken")
          && m.contains("--live-port 0"), m);
      assertTrue(m.contains("gradsweep run --help"), m);
    }
    assertTrue(error("run", "s.yaml", "--live", "--tracking-backend", "none").contains(
        "with --tracking-backend none nothing is logged"), err());
  }
}
