package io.gradsweep.testkit;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * PLACEHOLDER (spark worktree only; the tracking engineer owns the real one). A real {@code mlflow server} on a
 * free loopback port with a SQLite store in a temp directory. The executable is {@code $GRADSWEEP_MLFLOW}, else
 * {@code <repo>/.gradsweep/mlflow-venv/bin/mlflow}, else {@code mlflow} on the PATH.
 */
public final class MlflowTestServer implements AutoCloseable {
  private final Process process;
  private final String uri;

  private MlflowTestServer(Process process, String uri) {
    this.process = process;
    this.uri = uri;
  }

  public static MlflowTestServer start() {
    try {
      Path dir = Files.createTempDirectory("mlflow-test");
      int port;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = s.getLocalPort();
      }
      ProcessBuilder pb = new ProcessBuilder(executable(), "server", "--host", "127.0.0.1", "--port",
          Integer.toString(port), "--workers", "1", "--backend-store-uri", "sqlite:///" + dir.resolve("mlflow.db"),
          "--artifacts-destination", dir.resolve("artifacts").toString());
      pb.redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile());
      Process p = pb.start();
      String uri = "http://127.0.0.1:" + port;
      MlflowTestServer server = new MlflowTestServer(p, uri);
      HttpClient http = HttpClient.newHttpClient();
      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (System.nanoTime() < deadline) {
        if (!p.isAlive()) {
          throw new IllegalStateException("mlflow server exited: " + Files.readString(dir.resolve("server.log")));
        }
        try {
          if (http.send(HttpRequest.newBuilder(URI.create(uri + "/health")).build(),
              HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            return server;
          }
        } catch (IOException e) {
          // not up yet
        }
        Thread.sleep(250);
      }
      server.close();
      throw new IllegalStateException("mlflow server did not answer within 120 s; log in " + dir);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String executable() {
    String env = System.getenv("GRADSWEEP_MLFLOW");
    if (env != null && !env.isEmpty()) {
      return env;
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      File f = d.resolve(".gradsweep/mlflow-venv/bin/mlflow").toFile();
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    return "mlflow";
  }

  public String uri() {
    return uri;
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
