package io.gradsweep.testkit;

import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.mlflow.MlflowTrackingSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code mlflow server} for integration tests: a fresh process with its own temporary directory (SQLite
 * store {@code mlflow.db}, served artifacts under {@code artifacts/}, log {@code server.log}), on 127.0.0.1 and a
 * free port, one worker, no job runner.
 *
 * <pre>{@code
 * try (MlflowTestServer server = MlflowTestServer.start()) {
 *   TrackingSink sink = new MlflowTrackingSink(server.uri());
 *   ...
 *   server.stop();     // the server is down (connection refused) ...
 *   server.restart();  // ... and back, same port, same data
 * }
 * }</pre>
 *
 * <p>The executable is {@code $GRADSWEEP_MLFLOW_BIN}, else {@code <repo>/.gradsweep/venv/bin/mlflow} (made by
 * {@code jobs/bin/mlflow-local install}), where the repo is the first directory above the working directory that
 * has {@code pom.xml} and {@code conf/} (or {@code jobs/bin/mlflow-local}).
 *
 * <p>{@link #startWithAuth(Auth)} starts MLflow's basic-auth app instead ({@code mlflow server --app-name
 * basic-auth}, users in a second SQLite database of the directory, an admin user from {@link Auth}), optionally
 * with {@link Auth#bearerTokens} accepted through the app's {@code authorization_function} hook.
 *
 * <p>{@link #close()} ends the whole process tree and deletes the directory; a JVM shutdown hook does the same if a
 * test forgets, and a small watchdog process ends the server if the JVM is killed. Thread-safe.
 */
public final class MlflowTestServer implements AutoCloseable {
  /** Environment variable naming the mlflow executable. */
  public static final String BIN_ENV = "GRADSWEEP_MLFLOW_BIN";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
  private static final Path SETSID = Paths.get("/usr/bin/setsid");

  /**
   * Authentication of a server: the admin user MLflow's basic-auth app creates at its first start and, if not
   * empty, bearer tokens that the server accepts besides HTTP Basic, each standing for a user name. MLflow's
   * basic-auth app itself accepts only HTTP Basic; tokens go through its {@code authorization_function} hook (a
   * small Python module this kit writes into the server's directory), the way a deployment adds token
   * authentication.
   */
  public record Auth(String adminUser, String adminPassword, Map<String, String> bearerTokens) {
    public Auth {
      if (adminPassword.length() < 12) {
        throw new IllegalArgumentException("MLflow wants admin passwords of at least 12 characters");
      }
      bearerTokens = Map.copyOf(bearerTokens);
    }

    public Auth(String adminUser, String adminPassword) {
      this(adminUser, adminPassword, Map.of());
    }
  }

  private static final String TOKEN_AUTH_MODULE = """
      # Written by gradsweep's MlflowTestServer: bearer tokens (from a JSON file: token -> user name) besides
      # MLflow's own HTTP Basic authentication.
      import json
      import os

      from flask import Response, request
      from werkzeug.datastructures import Authorization

      from mlflow.server.auth import authenticate_request_basic_auth

      with open(os.environ["GRADSWEEP_TEST_TOKENS_FILE"], encoding="utf-8") as f:
          _TOKENS = json.load(f)


      def authenticate():
          scheme, _, value = request.headers.get("Authorization", "").partition(" ")
          if scheme.lower() != "bearer":
              return authenticate_request_basic_auth()
          user = _TOKENS.get(value.strip())
          if user is None:
              return Response("invalid token", 401, {"WWW-Authenticate": 'Bearer realm="mlflow"'})
          return Authorization("basic", {"username": user, "password": ""})
      """;

  private final Path mlflowBin;
  private final Path dir;
  private final int port;
  private final Auth auth;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final Thread shutdownHook;

  private Process process;
  private Process watchdog;
  private boolean closed;

  private MlflowTestServer(Path mlflowBin, Path dir, int port, Auth auth) {
    this.mlflowBin = mlflowBin;
    this.dir = dir;
    this.port = port;
    this.auth = auth;
    this.shutdownHook = new Thread(this::destroyQuietly, "mlflow-test-server-cleanup");
  }

  /**
   * Starts a fresh server and waits until {@code /health} answers.
   *
   * @throws IllegalStateException if the mlflow executable is missing (the message says how to install it) or the
   *     server does not come up (the message has the end of its log)
   */
  public static MlflowTestServer start() {
    return start(null);
  }

  /**
   * Starts a fresh server with MLflow's basic-auth app: every request but {@code /health} needs credentials; the
   * admin user is {@code auth.adminUser()}; other users are created with {@link #createUser}.
   *
   * @throws IllegalStateException as {@link #start()}; the basic-auth app needs Flask-WTF in the venv
   *     ({@code jobs/bin/mlflow-local install} installs it)
   */
  public static MlflowTestServer startWithAuth(Auth auth) {
    return start(java.util.Objects.requireNonNull(auth, "auth"));
  }

  private static MlflowTestServer start(Auth auth) {
    Path bin = findMlflowBin();
    Path dir;
    try {
      dir = Files.createTempDirectory("gradsweep-mlflow-");
      Files.createDirectories(dir.resolve("artifacts"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    IllegalStateException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      MlflowTestServer s = new MlflowTestServer(bin, dir, freePort(), auth);
      Runtime.getRuntime().addShutdownHook(s.shutdownHook);
      long logOffset = s.logSize();
      try {
        s.launch();
        return s;
      } catch (IllegalStateException e) {
        last = e;
        boolean portTaken = s.portTakenSince(logOffset);
        s.killProcesses();
        removeHook(s.shutdownHook);
        if (!portTaken) {
          deleteTree(dir);
          throw e;
        }
      }
    }
    deleteTree(dir);
    throw last;
  }

  /** Base URI, e.g. {@code http://127.0.0.1:41234}. Stays the same across {@link #stop()}/{@link #restart()}. */
  public String uri() {
    return "http://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** The authentication it was started with, or null. */
  public Auth auth() {
    return auth;
  }

  /**
   * Creates a (non-admin) user through the basic-auth app's REST API, as the admin.
   *
   * @throws IllegalStateException if the server has no authentication or refuses
   */
  public void createUser(String username, String password) {
    if (auth == null) {
      throw new IllegalStateException("this server was started without authentication");
    }
    String body = "{\"username\": \"" + username + "\", \"password\": \"" + password + "\"}";
    HttpRequest req = HttpRequest.newBuilder(URI.create(uri() + "/api/2.0/mlflow/users/create"))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", basicAuthorization(auth.adminUser(), auth.adminPassword()))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    try {
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("creating user " + username + ": HTTP " + r.statusCode() + " " + r.body());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The value of an HTTP Basic Authorization header. */
  public static String basicAuthorization(String user, String password) {
    return "Basic " + java.util.Base64.getEncoder().encodeToString((user + ":" + password)
        .getBytes(StandardCharsets.UTF_8));
  }

  /** Pid of the {@code mlflow server} process (the root of its tree), or -1 while stopped. */
  public synchronized long pid() {
    return process != null && process.isAlive() ? process.pid() : -1;
  }

  /** The server's directory (database, artifacts, log). */
  public Path directory() {
    return dir;
  }

  /** Whether the server process is running. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** Stops the server (its whole process tree), keeping its data; requests then fail with connection refused. */
  public synchronized void stop() {
    checkOpen();
    killProcesses();
  }

  /** Starts the server again on the same port with the same data (stops it first if it runs). */
  public synchronized void restart() {
    checkOpen();
    killProcesses();
    IllegalStateException last = null;
    // The port was ours a moment ago; if someone took it meanwhile, wait a little for it to be free again.
    for (int attempt = 0; attempt < 5; attempt++) {
      long logOffset = logSize();
      try {
        launch();
        return;
      } catch (IllegalStateException e) {
        last = e;
        killProcesses();
        if (!portTakenSince(logOffset)) {
          throw e;
        }
        sleep(1000);
      }
    }
    throw last;
  }

  /** Ends the server's process tree and deletes its directory. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    killProcesses();
    deleteTree(dir);
    removeHook(shutdownHook);
  }

  /** The last {@code lines} lines of the server log. */
  public String logTail(int lines) {
    Path log = dir.resolve("server.log");
    try {
      if (!Files.exists(log)) {
        return "";
      }
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  private long logSize() {
    try {
      Path log = dir.resolve("server.log");
      return Files.exists(log) ? Files.size(log) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** Whether the log written since {@code offset} says the port was in use. */
  private boolean portTakenSince(long offset) {
    try {
      byte[] all = Files.readAllBytes(dir.resolve("server.log"));
      int from = (int) Math.min(offset, all.length);
      return new String(all, from, all.length - from, StandardCharsets.UTF_8).toLowerCase()
          .contains("address already in use");
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "MlflowTestServer[" + uri() + ", pid " + pid() + ", " + dir + "]";
  }

  // ---------------------------------------------------------------- process handling

  private synchronized void launch() {
    List<String> cmd = new ArrayList<>();
    boolean ownGroup = Files.isExecutable(SETSID);
    if (ownGroup) {
      // Its own process group, so that the watchdog can end uvicorn and its workers with one signal.
      cmd.add(SETSID.toString());
    }
    cmd.add(mlflowBin.toString());
    cmd.add("server");
    if (auth != null) {
      cmd.addAll(List.of("--app-name", "basic-auth"));
    }
    cmd.addAll(List.of(
        "--backend-store-uri", "sqlite:///" + dir.resolve("mlflow.db").toAbsolutePath(),
        "--serve-artifacts", "--artifacts-destination", dir.resolve("artifacts").toAbsolutePath().toString(),
        "--host", "127.0.0.1", "--port", Integer.toString(port), "--workers", "1"));
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    // The job runner (huey consumers, 7 extra processes) is not needed for tracking.
    pb.environment().put("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false");
    pb.environment().remove("MLFLOW_TRACKING_URI");
    if (auth != null) {
      writeAuthConfig(pb.environment());
    }
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start " + mlflowBin + ": " + e.getMessage(), e);
    }
    if (ownGroup) {
      startWatchdog(process.pid());
    }
    waitHealthy();
  }

  /** The basic-auth app's ini file (and the token module) in the server's directory, and its environment. */
  private void writeAuthConfig(Map<String, String> env) {
    boolean tokens = !auth.bearerTokens().isEmpty();
    String ini = "[mlflow]\n"
        + "default_permission = READ\n"
        + "database_uri = sqlite:///" + dir.resolve("auth.db").toAbsolutePath() + "\n"
        + "admin_username = " + auth.adminUser() + "\n"
        + "admin_password = " + auth.adminPassword() + "\n"
        + "authorization_function = "
        + (tokens ? "gradsweep_test_token_auth:authenticate" : "mlflow.server.auth:authenticate_request_basic_auth")
        + "\n";
    // auth_cache_ttl_seconds stays at its default (0, no cache): with the cache on, MLflow 3.17.2's basic-auth app
    // answers a Bearer header with HTTP 500 instead of 401
    try {
      Files.writeString(dir.resolve("auth.ini"), ini);
      if (tokens) {
        StringBuilder json = new StringBuilder("{");
        auth.bearerTokens().forEach((t, u) -> json.append(json.length() > 1 ? ", " : "").append('"').append(t)
            .append("\": \"").append(u).append('"'));
        Files.writeString(dir.resolve("tokens.json"), json.append('}'));
        Files.writeString(dir.resolve("gradsweep_test_token_auth.py"), TOKEN_AUTH_MODULE);
        env.put("GRADSWEEP_TEST_TOKENS_FILE", dir.resolve("tokens.json").toAbsolutePath().toString());
        env.put("PYTHONPATH", dir.toAbsolutePath().toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    env.put("MLFLOW_AUTH_CONFIG_PATH", dir.resolve("auth.ini").toAbsolutePath().toString());
    env.put("MLFLOW_FLASK_SERVER_SECRET_KEY", java.util.UUID.randomUUID().toString());
  }

  /**
   * A shell loop that ends the server's process group when this JVM is gone (killed without running shutdown
   * hooks). Ended by {@link #killProcesses()} in the normal case.
   */
  private void startWatchdog(long serverPid) {
    long jvm = ProcessHandle.current().pid();
    String script = "while kill -0 " + jvm + " 2>/dev/null && kill -0 " + serverPid + " 2>/dev/null; do sleep 2; "
        + "done; if ! kill -0 " + jvm + " 2>/dev/null; then kill -TERM -" + serverPid + " 2>/dev/null; "
        + "sleep 5; kill -KILL -" + serverPid + " 2>/dev/null; fi; exit 0";
    try {
      watchdog = new ProcessBuilder("/bin/sh", "-c", script)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException e) {
      watchdog = null; // best effort
    }
  }

  private void waitHealthy() {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    HttpRequest req = HttpRequest.newBuilder(URI.create(uri() + "/health")).timeout(Duration.ofSeconds(2)).GET()
        .build();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("mlflow server exited with code " + process.exitValue()
            + " during start-up on port " + port + "; end of " + dir.resolve("server.log") + ":\n" + logTail(30));
      }
      try {
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not up yet
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the mlflow server", e);
      }
      sleep(250);
    }
    throw new IllegalStateException("mlflow server did not answer " + uri() + "/health within "
        + START_TIMEOUT.toSeconds() + " s; end of " + dir.resolve("server.log") + ":\n" + logTail(30));
  }

  /** Ends the server's process tree: SIGTERM to every process, SIGKILL to those left after a grace period. */
  private synchronized void killProcesses() {
    if (watchdog != null) {
      watchdog.destroyForcibly();
      watchdog = null;
    }
    Process p = process;
    process = null;
    if (p == null) {
      return;
    }
    List<ProcessHandle> tree = new ArrayList<>();
    p.descendants().forEach(tree::add);
    tree.add(p.toHandle());
    tree.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
    for (ProcessHandle h : tree) {
      long left = deadline - System.nanoTime();
      try {
        h.onExit().get(Math.max(1, left), TimeUnit.NANOSECONDS);
      } catch (Exception e) {
        // still alive: forced below
      }
    }
    // Workers started after the snapshot (uvicorn restarting one) are children of a process we just ended; look
    // again, then force whatever is left.
    p.descendants().forEach(tree::add);
    for (ProcessHandle h : tree) {
      if (h.isAlive()) {
        h.destroyForcibly();
      }
    }
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void destroyQuietly() {
    try {
      synchronized (this) {
        if (!closed) {
          closed = true;
          killProcesses();
          deleteTree(dir);
        }
      }
    } catch (RuntimeException e) {
      // shutdown: nothing to report to
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("MlflowTestServer is closed");
    }
  }

  // ---------------------------------------------------------------- helpers

  /** The mlflow executable: {@code $GRADSWEEP_MLFLOW_BIN}, else the project venv's. */
  static Path findMlflowBin() {
    String env = System.getenv(BIN_ENV);
    if (env != null && !env.isBlank()) {
      Path p = Paths.get(env);
      if (!Files.isExecutable(p)) {
        throw new IllegalStateException(BIN_ENV + "=" + env + " is not an executable file");
      }
      return p;
    }
    Path repo = repoRoot();
    Path p = repo.resolve(".gradsweep/venv/bin/mlflow");
    if (!Files.isExecutable(p)) {
      throw new IllegalStateException("no mlflow executable at " + p + ": run `jobs/bin/mlflow-local install` in "
          + repo + " (or set " + BIN_ENV + " to an mlflow executable)");
    }
    return p;
  }

  /** The repository root: the first directory above the working directory with pom.xml and conf/. */
  static Path repoRoot() {
    Path start = Paths.get("").toAbsolutePath();
    for (Path d = start; d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("pom.xml"))
          && (Files.isDirectory(d.resolve("conf")) || Files.isRegularFile(d.resolve("jobs/bin/mlflow-local")))) {
        return d;
      }
    }
    throw new IllegalStateException("cannot find the gradsweep repository (a directory with pom.xml and conf/) "
        + "above " + start + "; set " + BIN_ENV + " to an mlflow executable");
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void removeHook(Thread hook) {
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // already shutting down
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // best effort
        }
      });
    } catch (IOException e) {
      // best effort
    }
  }
}
