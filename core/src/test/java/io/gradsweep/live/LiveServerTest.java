package io.gradsweep.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.gradsweep.tracking.SweepRun;
import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingSink;
import io.gradsweep.tracking.TrackingSinks;
import io.gradsweep.tracking.TrackingTarget;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class LiveServerTest {
  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesThePageItsScriptAndTheChartLibraryFromTheClassPath() throws Exception {
    try (LiveServer s = LiveServer.start(new LiveModel(), "127.0.0.1", 0)) {
      assertTrue(s.url().startsWith("http://127.0.0.1:"), s.url());
      HttpResponse<String> page = get(s.url());
      assertEquals(200, page.statusCode());
      assertTrue(page.body().contains("<script src=\"echarts.min.js\"></script>") && page.body().contains("live.js"));
      assertFalse(page.body().contains("http://") || page.body().contains("https://"), "no CDN: nothing remote");
      HttpResponse<String> charts = get(s.url() + "echarts.min.js");
      assertEquals(200, charts.statusCode());
      assertTrue(charts.body().length() > 500_000 && charts.body().contains("Apache"), "the minified ECharts");
      assertTrue(get(s.url() + "live.js").body().contains("api/state?since="));
      assertEquals(404, get(s.url() + "../../etc/passwd").statusCode());
      HttpResponse<String> state = get(s.url() + "api/state?since=0");
      assertEquals("application/json", state.headers().firstValue("content-type").orElse(""));
      assertTrue(state.headers().firstValue("content-security-policy").orElse("").contains("default-src 'self'"));
    }
  }

  @Test
  void readOnlyAndOnLoopbackOnlyForRequestsNamingALoopbackHost() throws Exception {
    try (LiveServer s = LiveServer.start(new LiveModel(), LiveServer.DEFAULT_HOST, 0)) {
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(s.url() + "api/state"))
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
      assertEquals("GET, HEAD", post.headers().firstValue("allow").orElse(""));
      // a page of another site that made its name resolve to 127.0.0.1 (DNS rebinding) sends its own Host
      String answer = raw(s.port(), "GET /api/state HTTP/1.1\r\nHost: evil.example:" + s.port()
          + "\r\nConnection: close\r\n\r\n");
      assertTrue(answer.startsWith("HTTP/1.1 403"), answer);
      assertTrue(raw(s.port(), "GET /api/state HTTP/1.1\r\nHost: localhost:" + s.port()
          + "\r\nConnection: close\r\n\r\n").startsWith("HTTP/1.1 200"));
    }
    assertTrue(LiveServer.loopbackHost("127.0.0.1:4545") && LiveServer.loopbackHost("LOCALHOST")
        && LiveServer.loopbackHost("[::1]:80"));
    assertFalse(LiveServer.loopbackHost("127.0.0.1.evil.example") || LiveServer.loopbackHost(null));
  }

  private static String raw(int port, String request) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aTakenPortIsAClearMessage() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> LiveServer.start(new LiveModel(), "127.0.0.1", taken.getLocalPort()));
      assertTrue(e.getMessage().startsWith("--live: port " + taken.getLocalPort() + " on 127.0.0.1 is taken")
          && e.getMessage().contains("--live-port 0"), e.getMessage());
    }
    IllegalArgumentException host = assertThrows(IllegalArgumentException.class,
        () -> LiveServer.start(new LiveModel(), "no-such-host.invalid", 0));
    assertTrue(host.getMessage().contains("--live-host 'no-such-host.invalid': unknown host"), host.getMessage());
  }

  /**
   * A token configured for MLflow is sent by the driver to MLflow, and appears in nothing the view serves: not in
   * the page, its script or the state, not even when MLflow's answers are shown (an error message).
   */
  @Test
  void theCredentialsStayInTheDriver() throws Exception {
    String token = "tok-S3cr3t-4f9a";
    List<String> authorizations = new CopyOnWriteArrayList<>();
    HttpServer mlflow = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    mlflow.createContext("/", ex -> {
      authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
      String path = ex.getRequestURI().getPath();
      String body;
      if (path.endsWith("/runs/get")) {
        body = "{\"run\":{\"info\":{\"run_id\":\"parent\",\"experiment_id\":\"1\",\"status\":\"RUNNING\"},"
            + "\"data\":{}}}";
      } else if (path.endsWith("/runs/search")) {
        body = "{\"runs\":[{\"info\":{\"run_id\":\"t1\",\"experiment_id\":\"1\",\"run_name\":\"trial-1\","
            + "\"status\":\"RUNNING\"},\"data\":{\"metrics\":[{\"key\":\"profile/layer0/dh_b00\",\"value\":0.5,"
            + "\"step\":3}],\"params\":[{\"key\":\"lr\",\"value\":\"0.1\"}],\"tags\":[{\"key\":"
            + "\"mlflow.parentRunId\",\"value\":\"parent\"}]}}]}";
      } else if (path.endsWith("/metrics/get-history-bulk-interval")) {
        String key = ex.getRequestURI().getQuery().replaceAll(".*metric_key=([^&]*).*", "$1");
        body = "{\"metrics\":[{\"key\":\"" + key + "\",\"value\":0.5,\"step\":3,\"timestamp\":1,\"run_id\":\"t1\"}]}";
      } else {
        body = "{\"error_code\":\"ENDPOINT_NOT_FOUND\",\"message\":\"no " + path + "\"}";
      }
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(body.contains("error_code") ? 404 : 200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    mlflow.start();
    String uri = "http://127.0.0.1:" + mlflow.getAddress().getPort();
    try (TrackingSink sink = TrackingSinks.open(new TrackingTarget("mlflow", uri, TrackingCredentials.bearer(token)));
        LiveView view = LiveView.start(sink, "s", new SweepRun("1", "parent", uri + "/#/experiments/1/runs/parent"),
            "127.0.0.1", 0)) {
      String state = "";
      for (int i = 0; i < 50 && !state.contains("\"rows\":[[3,"); i++) {
        Thread.sleep(100);
        state = get(view.url() + "api/state?since=0").body();
      }
      assertTrue(state.contains("\"rows\":[[3,0.5"), "the view shows what MLflow answered: " + state);
      assertTrue(authorizations.contains("Bearer " + token), "the driver authenticated: " + authorizations);
      for (String page : List.of("", "live.js", "api/state?since=0", "api/state?since=1")) {
        HttpResponse<String> r = get(view.url() + page);
        assertFalse(r.body().contains(token) || r.headers().map().toString().contains(token), page);
        assertFalse(r.body().contains("Bearer") || r.body().contains("Authorization"), page);
      }
    } finally {
      mlflow.stop(0);
    }
  }
}
