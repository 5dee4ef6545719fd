package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowRestReader.RunRecord;
import io.gradsweep.testkit.MlflowTestServer;
import io.gradsweep.tracking.TrackingCredentials;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sweeps against a real MLflow server with authentication (MLflow's basic-auth app, {@code mlflow server --app-name
 * basic-auth}): credentials from the environment reach the executors of a real standalone cluster and show up
 * nowhere (driver and executor logs, the cluster's logs, Spark's event log, the Spark UI's environment page, the
 * master's UI, MLflow params, tags and artifacts); wrong or missing credentials stop the job with exit status 3
 * and a clear message before anything trains or any run is created; a token works where the server accepts tokens.
 */
class MlflowAuthIT {
  static final Path TINY = LocalCluster.REPO.resolve("jobs/src/test/resources/tiny-sweep.yaml");
  static final String ADMIN = "gs-admin";
  static final String ADMIN_PASSWORD = "gs-admin-pw-0f9e8d7c";
  static final String USER = "gs-alice-7f3a";
  static final String PASSWORD = "alice-Pw-3c1b5a90e2";
  static final String TOKEN = "gs-tok-9d2e61f4a8b7";

  /**
   * Small sweeps: with MLflow's basic-auth app every request pays a password-hash check on the server (its
   * credential cache is off by default), so these ITs keep the number of requests low.
   */
  static final String TWO_TRIALS = """
      name: auth-sweep
      experiment: gradsweep-auth
      task: {name: adding, eval_size: 64, eval_seed: 7}
      training: {batch_size: 16, max_steps: 30, eval_every: 10, solve_threshold: 0.05}
      grid: {cell: [rnn, lstm], seq_len: [10], hidden: [8], seeds: [1]}
      """;

  static MlflowTestServer server;
  static MlflowRestReader admin;

  @BeforeAll
  static void startServer() {
    server = MlflowTestServer.startWithAuth(new MlflowTestServer.Auth(ADMIN, ADMIN_PASSWORD));
    server.createUser(USER, PASSWORD);
    admin = new MlflowRestReader(server.uri(), ADMIN, ADMIN_PASSWORD);
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  /** What must never be written anywhere: the password, the header's Base64 and the user name. */
  static Map<String, String> secrets(String user, String password) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("password", password);
    s.put("basic header", Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    s.put("user name", user);
    return s;
  }

  static void assertNoSecret(Map<String, String> secrets, String where, String text) {
    secrets.forEach((what, value) -> assertFalse(text.contains(value), "the " + what + " appears in " + where));
  }

  @Test
  void goodCredentialsReachTheClusterExecutorsAndAppearNowhere() throws Exception {
    LocalCluster cluster = LocalCluster.start(1, 2, "2g");
    try {
      Path spec = cluster.dir.resolve("auth-sweep.yaml");
      Files.writeString(spec, TWO_TRIALS);
      int uiPort = freePort();
      Path events = Files.createDirectories(cluster.dir.resolve("events"));
      // the driver at INFO (the launcher's default is WARN): more log lines that could leak
      Path log4j = cluster.dir.resolve("log4j2-driver-info.properties");
      Files.writeString(log4j, """
          rootLogger.level = info
          rootLogger.appenderRef.console.ref = console
          appender.console.type = Console
          appender.console.name = console
          appender.console.target = SYSTEM_ERR
          appender.console.layout.type = PatternLayout
          appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
          """);
      File out = File.createTempFile("out", ".txt");
      File err = File.createTempFile("err", ".txt");
      Map<String, String> env = Map.of(TrackingCredentials.USERNAME_ENV, USER, TrackingCredentials.PASSWORD_ENV,
          PASSWORD, "GRADSWEEP_JAVA_OPTS", "-Dlog4j2.configurationFile=" + log4j);
      Process submit = cluster.launch(env, out, err, "jobs/bin/gradsweep", "submit", "--master", cluster.master,
          spec.toString(), "--tracking-uri", server.uri(), "--conf", "spark.ui.port=" + uiPort,
          "--conf", "spark.eventLog.enabled=true", "--conf", "spark.eventLog.dir=" + events.toUri(),
          // Spark 4 compresses event logs by default (zstd): plain text, so that the search for secrets can see them
          "--conf", "spark.eventLog.compress=false");
      String environment = null;
      String stdout;
      String stderr;
      try {
        // the Spark UI's environment page (REST), read while the application runs
        while (environment == null && submit.isAlive()) {
          environment = sparkUiEnvironment(uiPort);
          if (environment == null) {
            Thread.sleep(300);
          }
        }
        assertTrue(submit.waitFor(600, TimeUnit.SECONDS), "the sweep finishes");
        stdout = Files.readString(out.toPath());
        stderr = Files.readString(err.toPath());
        System.out.print(stdout + stderr);
        assertEquals(0, submit.exitValue(), stderr);
      } finally {
        LocalCluster.kill(submit);
        out.delete();
        err.delete();
      }
      assertNotNull(environment, "read the Spark UI's environment page while the sweep ran");
      assertTrue(environment.contains("\"sparkProperties\"") && environment.contains("spark.eventLog.enabled"),
          environment);
      // set by the job (Spark lists only settings that were set); its value names "password", so it shows redacted
      assertTrue(environment.contains("\"spark.redaction.regex\""), "the job sets spark.redaction.regex");

      // every trial was logged by a cluster executor: the credentials got there
      String parent = SweepReadback.parentRunId(stdout);
      List<RunRecord> children = SweepReadback.assertSweepLogged(admin, spec, parent);
      for (RunRecord c : children) {
        assertFalse(StandaloneClusterIT.executorId(c).equals("driver"), "trained on a cluster executor");
      }

      Map<String, String> secrets = secrets(USER, PASSWORD);
      assertNoSecret(secrets, "the driver's stdout", stdout);
      assertNoSecret(secrets, "the driver's stderr", stderr);
      assertNoSecret(secrets, "the Spark UI's environment page", environment);
      String masterUi = Files.readString(cluster.dir.resolve("master.ui")).strip();
      assertNoSecret(secrets, "the master's UI", httpGet(masterUi + "/json/"));
      Map<Path, String> logs = cluster.allLogs(); // master, worker, executor stdout/stderr, event log
      assertTrue(logs.entrySet().stream().anyMatch(e -> e.getKey().toString().contains("/work/")
          && e.getKey().endsWith("stderr") && e.getValue().contains("CoarseGrainedExecutorBackend")),
          "an executor's stderr is among the logs: " + logs.keySet());
      assertTrue(logs.entrySet().stream().anyMatch(e -> e.getKey().startsWith(events)
          && e.getValue().contains("SparkListenerEnvironmentUpdate")), "the event log is among them");
      logs.forEach((file, text) -> assertNoSecret(secrets, file.toString(), text));
      for (RunRecord run : admin.runsOfExperiment(admin.run(parent).experimentId())) {
        assertNoSecret(secrets, "params of run " + run.runName(), run.params().toString());
        assertNoSecret(secrets, "tags of run " + run.runName(), run.tags().toString());
        for (String path : admin.allArtifactPaths(run.runId())) {
          assertNoSecret(secrets, "artifact " + path + " of run " + run.runName(),
              new String(admin.downloadArtifact(run.runId(), path), StandardCharsets.ISO_8859_1));
        }
      }
    } finally {
      cluster.close();
    }
  }

  @Test
  void wrongPasswordStopsTheJobBeforeAnythingTrainsOrIsLogged() throws Exception {
    String wrong = "not-alices-pw-5521";
    int runsBefore = allRuns();
    List<String> experimentsBefore = admin.experimentNames();
    Job job = runLocally(Map.of(TrackingCredentials.USERNAME_ENV, USER, TrackingCredentials.PASSWORD_ENV, wrong));
    assertEquals(SweepJob.TRACKING_ERROR, job.status, job.err);
    assertTrue(job.err.contains("authentication failed (HTTP 401) for user '" + USER
        + "' (MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD) at " + server.uri() + ": check the credentials"),
        job.err);
    assertNoSecret(Map.of("wrong password", wrong, "basic header", Base64.getEncoder().encodeToString(
        (USER + ":" + wrong).getBytes(StandardCharsets.UTF_8))), "the job's output", job.out + job.err);
    assertNothingHappened(job, runsBefore, experimentsBefore);
  }

  @Test
  void missingCredentialsAgainstAnAuthServerSayWhichVariablesToSet() throws Exception {
    int runsBefore = allRuns();
    List<String> experimentsBefore = admin.experimentNames();
    Job job = runLocally(Map.of());
    assertEquals(SweepJob.TRACKING_ERROR, job.status, job.err);
    assertTrue(job.err.contains("MLflow at " + server.uri() + " requires authentication (HTTP 401) and no "
        + "credentials were given: set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or "
        + "MLFLOW_TRACKING_TOKEN)"), job.err);
    assertNothingHappened(job, runsBefore, experimentsBefore);
  }

  @Test
  void aTokenSentToTheBasicAuthAppIsRefusedWithAHint() throws Exception {
    int runsBefore = allRuns();
    List<String> experimentsBefore = admin.experimentNames();
    Job job = runLocally(Map.of(TrackingCredentials.TOKEN_ENV, TOKEN));
    assertEquals(SweepJob.TRACKING_ERROR, job.status, job.err);
    assertTrue(job.err.contains("authentication failed (HTTP 401) for the token in MLFLOW_TRACKING_TOKEN at "
        + server.uri() + ": the server asks for HTTP Basic (MLflow's basic-auth app accepts no tokens)"), job.err);
    assertFalse((job.out + job.err).contains(TOKEN), "the token is not printed");
    assertNothingHappened(job, runsBefore, experimentsBefore);
  }

  /**
   * Bearer tokens, where the server accepts them: MLflow's basic-auth app with an {@code authorization_function}
   * that maps tokens to users (written by the test kit). A local sweep with MLFLOW_TRACKING_TOKEN logs every trial;
   * a wrong token is refused with exit status 3.
   */
  @Test
  void aTokenWorksWhereTheServerAcceptsTokens() throws Exception {
    try (MlflowTestServer tokens = MlflowTestServer.startWithAuth(
        new MlflowTestServer.Auth(ADMIN, ADMIN_PASSWORD, Map.of(TOKEN, USER)))) {
      tokens.createUser(USER, PASSWORD);
      MlflowRestReader reader = new MlflowRestReader(tokens.uri(), ADMIN, ADMIN_PASSWORD);
      Job bad = runLocally(tokens.uri(), Map.of(TrackingCredentials.TOKEN_ENV, "gs-tok-wrong-0001"));
      assertEquals(SweepJob.TRACKING_ERROR, bad.status, bad.err);
      assertTrue(bad.err.contains("authentication failed (HTTP 401) for the token in MLFLOW_TRACKING_TOKEN at "
          + tokens.uri() + ": check the credentials"), bad.err);

      Path spec = Files.createTempFile("token-sweep", ".yaml");
      try {
        Files.writeString(spec, TWO_TRIALS);
        Job job = runLocally(tokens.uri(), spec, Map.of(TrackingCredentials.TOKEN_ENV, TOKEN));
        System.out.print(job.out + job.err);
        assertEquals(SweepJob.OK, job.status, job.err);
        String parent = SweepReadback.parentRunId(job.out);
        SweepReadback.assertSweepLogged(reader, spec, parent);
        assertTokenNowhere(job, reader, parent);
      } finally {
        Files.deleteIfExists(spec);
      }
    }
  }

  /** Not in the job's output, nor in any param, tag or artifact of the sweep's runs. */
  private static void assertTokenNowhere(Job job, MlflowRestReader reader, String parent) {
    Map<String, String> token = Map.of("token", TOKEN);
    assertNoSecret(token, "the job's output", job.out + job.err);
    for (RunRecord run : reader.runsOfExperiment(reader.run(parent).experimentId())) {
      assertNoSecret(token, "params and tags of run " + run.runName(), run.params().toString() + run.tags());
      for (String path : reader.allArtifactPaths(run.runId())) {
        assertNoSecret(token, "artifact " + path, new String(reader.downloadArtifact(run.runId(), path),
            StandardCharsets.ISO_8859_1));
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  record Job(int status, String out, String err) {}

  /** SweepJob in this JVM on local[2] against the shared auth server, with {@code credentials} as environment. */
  private static Job runLocally(Map<String, String> credentials) {
    return runLocally(server.uri(), credentials);
  }

  private static Job runLocally(String uri, Map<String, String> credentials) {
    return runLocally(uri, TINY, credentials);
  }

  private static Job runLocally(String uri, Path spec, Map<String, String> credentials) {
    Map<String, String> env = new HashMap<>(credentials);
    env.put("OMP_NUM_THREADS", "1");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setProperty("spark.master", "local[2]");
    try {
      int status = SweepJob.run(new String[] {"run", spec.toString(), "--tracking-uri", uri}, env,
          new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
      return new Job(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.clearProperty("spark.master");
    }
  }

  /** Nothing trained (no progress, no summary) and nothing created on the server. */
  private static void assertNothingHappened(Job job, int runsBefore, List<String> experimentsBefore) {
    assertFalse(job.err.contains("[gradsweep] sweep '"), "Spark did not start the sweep:\n" + job.err);
    assertFalse(job.out.contains("#  trial"), "no summary table:\n" + job.out);
    assertEquals(experimentsBefore, admin.experimentNames(), "no experiment created");
    assertEquals(runsBefore, allRuns(), "no run created");
  }

  private static int allRuns() {
    int n = 0;
    for (String name : admin.experimentNames()) {
      n += admin.runsOfExperiment(admin.experimentId(name).orElseThrow()).size();
    }
    return n;
  }

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private static String httpGet(String url) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
        .build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("GET " + url + ": HTTP " + r.statusCode());
    }
    return r.body();
  }

  /** The environment page of the application the driver's UI on {@code port} shows, or null if none is up yet. */
  private static String sparkUiEnvironment(int port) {
    String base = "http://127.0.0.1:" + port + "/api/v1/applications";
    try {
      Matcher m = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"").matcher(httpGet(base));
      return m.find() ? httpGet(base + "/" + m.group(1) + "/environment") : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }
}
