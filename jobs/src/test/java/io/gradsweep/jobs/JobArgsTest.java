package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingSinks;
import io.gradsweep.tracking.TrackingTarget;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JobArgsTest {
  private static final Map<String, String> NO_ENV = Map.of();

  private static JobArgs parse(Map<String, String> env, String... args) throws JobArgs.UsageException {
    return JobArgs.parse(args, env);
  }

  private static String error(Map<String, String> env, String... args) {
    return assertThrows(JobArgs.UsageException.class, () -> JobArgs.parse(args, env)).getMessage();
  }

  @Test
  void runWithEveryOption() throws Exception {
    JobArgs a = parse(NO_ENV, "run", "s.yaml", "--tracking-uri", "http://h:1", "--tracking-backend", "mlflow",
        "--parallelism", "3");
    assertEquals(new JobArgs("run", Path.of("s.yaml"), new TrackingTarget("mlflow", "http://h:1"), 3, false), a);
  }

  @Test
  void optionsTakeTheEqualsFormAndMayComeFirst() throws Exception {
    JobArgs a = parse(NO_ENV, "--parallelism=2", "--tracking-uri=http://h:1", "run", "s.yaml");
    assertEquals(new JobArgs("run", Path.of("s.yaml"), new TrackingTarget("mlflow", "http://h:1"), 2, false), a);
  }

  @Test
  void resumeIsAFlagOfRunOnly() throws Exception {
    assertTrue(parse(NO_ENV, "run", "s.yaml", "--resume", "--tracking-backend", "none").resume());
    assertTrue(!parse(NO_ENV, "run", "s.yaml", "--tracking-backend", "none").resume());
    assertTrue(error(NO_ENV, "plan", "s.yaml", "--resume").contains("--resume"));
    assertTrue(error(NO_ENV, "run", "s.yaml", "--resume=yes", "--tracking-backend", "none").contains("no value"));
  }

  @Test
  void replayTakesAnOptionalDirectoryAndServer() throws Exception {
    assertEquals(new JobArgs("replay", null, new TrackingTarget("mlflow", null), 0, false),
        parse(Map.of("MLFLOW_TRACKING_URI", "http://env:5000"), "replay"));
    assertEquals(new JobArgs("replay", Path.of("/tmp/spool"), new TrackingTarget("mlflow", "http://h:1"), 0,
        false),
        parse(NO_ENV, "replay", "--tracking-uri", "http://h:1", "/tmp/spool"));
    assertTrue(error(NO_ENV, "replay", "--tracking-backend", "none").contains("--tracking-backend must be mlflow"));
    assertTrue(error(NO_ENV, "replay", "a", "b").contains("unexpected argument 'b'"));
    assertTrue(error(NO_ENV, "replay", "--resume").contains("--resume applies to run only"));
  }

  @Test
  void trackingUriFallsBackToTheEnvironment() throws Exception {
    JobArgs a = parse(Map.of("MLFLOW_TRACKING_URI", "http://env:5000"), "run", "s.yaml");
    assertEquals(new TrackingTarget("mlflow", "http://env:5000"), a.tracking());
    JobArgs b = parse(Map.of("MLFLOW_TRACKING_URI", "http://env:5000"), "run", "s.yaml", "--tracking-uri", "http://x");
    assertEquals("http://x", b.tracking().uri(), "the option wins over the environment");
  }

  @Test
  void credentialsComeFromTheEnvironmentOfTheDriver() throws Exception {
    Map<String, String> env = Map.of("MLFLOW_TRACKING_URI", "http://env:5000", "MLFLOW_TRACKING_USERNAME", "u",
        "MLFLOW_TRACKING_PASSWORD", "pw-123");
    assertEquals(TrackingCredentials.basic("u", "pw-123"), parse(env, "run", "s.yaml").tracking().credentials());
    assertEquals(TrackingCredentials.bearer("t"),
        parse(Map.of("MLFLOW_TRACKING_TOKEN", "t"), "run", "s.yaml", "--tracking-uri", "http://h").tracking()
            .credentials());
    assertEquals(TrackingCredentials.none(), parse(env, "run", "s.yaml", "--tracking-backend", "none").tracking()
        .credentials(), "only the mlflow backend reads them");
    String m = error(Map.of("MLFLOW_TRACKING_URI", "http://env", "MLFLOW_TRACKING_PASSWORD", "pw-123"), "run",
        "s.yaml");
    assertTrue(m.startsWith("MLFLOW_TRACKING_PASSWORD is set but MLFLOW_TRACKING_USERNAME is not"), m);
    assertFalse(m.contains("pw-123"), m);
  }

  @Test
  void defaultParallelismIsZeroMeaningSparksDefault() throws Exception {
    assertEquals(0, parse(NO_ENV, "run", "s.yaml", "--tracking-backend", "none").parallelism());
  }

  @Test
  void mlflowWithoutAnyUriIsAUsageErrorThatSaysWhatToDo() {
    String m = error(NO_ENV, "run", "s.yaml");
    assertTrue(m.contains("--tracking-uri") && m.contains("MLFLOW_TRACKING_URI"), m);
  }

  @Test
  void memoryAndNoneNeedNoUri() throws Exception {
    assertEquals(new TrackingTarget("memory", null), parse(NO_ENV, "run", "s.yaml", "--tracking-backend", "memory")
        .tracking());
    assertEquals(new TrackingTarget("none", null), parse(Map.of("MLFLOW_TRACKING_URI", "http://env"), "run",
        "s.yaml", "--tracking-backend", "none").tracking());
  }

  @Test
  void planNeedsNeitherTrackingNorUri() throws Exception {
    JobArgs a = parse(NO_ENV, "plan", "s.yaml");
    assertEquals("plan", a.command());
    assertNull(a.tracking());
  }

  @Test
  void helpWinsOverEverythingElse() throws Exception {
    assertEquals("help", parse(NO_ENV, "run", "--bogus", "--help").command());
    assertEquals("help", parse(NO_ENV, "-h").command());
  }

  @Test
  void usageErrorsNameTheProblem() {
    assertTrue(error(NO_ENV).contains("missing command"));
    assertTrue(error(NO_ENV, "train", "s.yaml").contains("unknown command 'train'"));
    assertTrue(error(NO_ENV, "run").contains("missing SPEC"));
    assertTrue(error(NO_ENV, "plan", "a.yaml", "b.yaml").contains("unexpected argument 'b.yaml'"));
    assertTrue(error(NO_ENV, "plan", "s.yaml", "--verbose").contains("unknown option '--verbose'"));
    assertTrue(error(NO_ENV, "run", "s.yaml", "--tracking-uri").contains("--tracking-uri needs a value"));
    String unknown = error(NO_ENV, "run", "s.yaml", "--tracking-backend", "wandb");
    assertTrue(unknown.contains("unknown backend 'wandb'; known: " + String.join(", ", TrackingSinks.NAMES)), unknown);
    for (String name : List.of("mlflow", "memory", "none")) { // memory: registered by core's test jar
      assertTrue(unknown.contains(name), unknown);
    }
  }

  @Test
  void parallelismMustBeAPositiveWholeNumber() {
    for (String bad : new String[] {"0", "-2", "two", "1.5", ""}) {
      String m = error(NO_ENV, "run", "s.yaml", "--tracking-backend", "none", "--parallelism=" + bad);
      assertTrue(m.contains("--parallelism") && m.contains("'" + bad + "'"), m);
    }
  }

  @Test
  void usageTextExplainsEveryOption() {
    for (String word : new String[] {"run SPEC", "plan SPEC", "--tracking-uri", "--tracking-backend",
        "--parallelism", "--help", "MLFLOW_TRACKING_URI", "OMP_NUM_THREADS", SweepJob.PROGRESS_SECONDS_PROPERTY,
        SweepJob.EXECUTOR_WAIT_PROPERTY, "Exit status"}) {
      assertTrue(JobArgs.USAGE.contains(word), word);
    }
  }

  @Test
  void reportTakesASpecFileOrAnExperimentAndSweep() throws Exception {
    JobArgs bySpec = parse(NO_ENV, "report", "s.yaml", "--tracking-uri", "http://h:1", "--out", "o");
    assertEquals(Path.of("s.yaml"), bySpec.spec());
    assertEquals(Path.of("o"), bySpec.out());
    JobArgs byName = parse(NO_ENV, "report", "--experiment", "e", "--sweep=s", "--tracking-uri", "http://h:1");
    assertEquals(new JobArgs("report", null, new TrackingTarget("mlflow", "http://h:1"), 0, false, "e", "s", null), byName);
    JobArgs positionalName = parse(NO_ENV, "report", "quickstart", "--experiment", "e", "--tracking-uri", "http://h");
    assertEquals("quickstart", positionalName.sweep());
    assertNull(positionalName.spec());
  }

  @Test
  void reportArgumentErrorsSayWhatIsMissing() {
    assertTrue(error(NO_ENV, "report", "--tracking-uri", "http://h").contains("which sweep?"));
    assertTrue(error(NO_ENV, "report", "--sweep", "s", "--tracking-uri", "http://h").contains("--experiment is missing"));
    assertTrue(error(NO_ENV, "report", "s.yaml", "--sweep", "s", "--tracking-uri", "http://h").contains("not both"));
    assertTrue(error(NO_ENV, "report", "s.yaml", "--tracking-backend", "none").contains("nothing to read"));
    assertTrue(error(NO_ENV, "report", "s.yaml").contains("--tracking-uri"));
    assertTrue(error(NO_ENV, "run", "s.yaml", "--out", "o").contains("--out is an option of report"));
  }
}
