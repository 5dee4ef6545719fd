package io.gradsweep.tracking.mlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.sun.net.httpserver.HttpServer;
import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.spool.SpoolClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * The JVM's MLflow transports share one HTTP client per connect timeout: a trial's sink and run reuse the
 * connections earlier trials opened (a trial used to open its own, and leave a selector thread behind).
 */
class MlflowHttpSharingTest {

  @Test
  void transportsOfSeveralSinksShareOneClientAndItsKeptAliveConnection() throws Exception {
    Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/api/2.0/mlflow/ping", exchange -> {
      clientPorts.add(exchange.getRemoteAddress().getPort());
      byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    try {
      String uri = "http://127.0.0.1:" + server.getAddress().getPort();
      Duration connect = Duration.ofSeconds(7);
      // what two trials' sinks make (each a client with retries and a sender's client without)
      List<MlflowHttp> transports = List.of(
          new MlflowHttp(uri, RetryPolicy.DEFAULT, connect, Duration.ofSeconds(30), TrackingCredentials.none(),
              SpoolClock.system()),
          new MlflowHttp(uri, RetryPolicy.NONE, connect, Duration.ofSeconds(30), TrackingCredentials.none(),
              SpoolClock.system()),
          new MlflowHttp(uri, RetryPolicy.DEFAULT, connect, Duration.ofSeconds(30), TrackingCredentials.none(),
              SpoolClock.system()));
      for (MlflowHttp t : transports) {
        t.call("ping", HttpRequest.newBuilder(URI.create(uri + "/api/2.0/mlflow/ping")).GET()
            .timeout(Duration.ofSeconds(30)).build());
      }
      assertEquals(1, clientPorts.size(), "one connection for all, one after the other: " + clientPorts);
      assertSame(MlflowHttp.sharedClient(connect), MlflowHttp.sharedClient(Duration.ofSeconds(7)));
      assertNotSame(MlflowHttp.sharedClient(connect), MlflowHttp.sharedClient(Duration.ofSeconds(8)),
          "another connect timeout is another client");
    } finally {
      server.stop(0);
    }
  }
}
