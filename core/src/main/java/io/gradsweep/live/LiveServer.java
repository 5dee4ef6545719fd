package io.gradsweep.live;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The live view's web server (the JDK's {@code com.sun.net.httpserver}: no dependency that could clash with
 * Spark's Jetty): one static page, its script, the chart library (ECharts, from its WebJar on the class path: no
 * CDN) and {@code /api/state?since=V} ({@link LiveModel#since}). Read-only: GET and HEAD only, nothing else is
 * routed. It serves only what the model holds; the tracking backend's address and credentials stay in the driver
 * (the poller reads the backend server-side).
 *
 * <p>Bound to 127.0.0.1 unless another host is asked for. On a loopback address, requests must name a loopback
 * host ({@code Host: 127.0.0.1:P} or {@code localhost:P}), which keeps a web page from elsewhere from reading the
 * view through DNS rebinding.
 */
public final class LiveServer implements AutoCloseable {
  /** The default port of {@code --live}. */
  public static final int DEFAULT_PORT = 4545;
  /** The default address of {@code --live}: loopback only. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  static final String PAGE = "index.html";
  static final String SCRIPT = "live.js";
  static final String CHARTS = "echarts.min.js";
  private static final String RESOURCES = "/io/gradsweep/live/";
  private static final String ECHARTS_POM = "/META-INF/maven/org.webjars.npm/echarts/pom.properties";

  private final HttpServer server;
  private final ExecutorService pool;
  private final LiveModel model;
  private final boolean loopback;
  private final Map<String, Asset> assets;

  private record Asset(byte[] body, String type) {}

  private LiveServer(HttpServer server, ExecutorService pool, LiveModel model, boolean loopback,
      Map<String, Asset> assets) {
    this.server = server;
    this.pool = pool;
    this.model = model;
    this.loopback = loopback;
    this.assets = assets;
  }

  /**
   * Binds {@code host:port} (port 0: any free port) and starts serving {@code model}.
   *
   * @throws IllegalArgumentException naming the address when the port is taken, the host unknown or not local
   */
  public static LiveServer start(LiveModel model, String host, int port) {
    Objects.requireNonNull(model, "model");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--live-port " + port + ": not a port (0 to 65535; 0 picks a free one)");
    }
    InetAddress address;
    try {
      address = InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--live-host '" + host + "': unknown host (127.0.0.1, the default, serves "
          + "this machine only; 0.0.0.0 every interface)");
    }
    Map<String, Asset> assets = Map.of(
        "/", new Asset(resource(RESOURCES + PAGE), "text/html; charset=utf-8"),
        "/" + SCRIPT, new Asset(resource(RESOURCES + SCRIPT), "text/javascript; charset=utf-8"),
        "/" + CHARTS, new Asset(resource(echartsPath()), "text/javascript; charset=utf-8"));
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(address, port), 0);
    } catch (BindException e) {
      throw new IllegalArgumentException("--live: port " + port + " on " + host + " is taken (" + e.getMessage()
          + "): another program, or another gradsweep --live, listens there. Pass --live-port with a free port, "
          + "or --live-port 0 to let the system pick one", e);
    } catch (IOException e) {
      throw new IllegalArgumentException("--live: cannot serve on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "gradsweep-live-http");
      t.setDaemon(true);
      return t;
    });
    LiveServer live = new LiveServer(server, pool, model, address.isLoopbackAddress(), assets);
    server.createContext("/", live::handle);
    server.setExecutor(pool);
    server.start();
    return live;
  }

  /** The port served (the one picked when asked for 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The page's address, for the user: http://host:port/ (127.0.0.1 for a wildcard bind). */
  public String url() {
    InetAddress a = server.getAddress().getAddress();
    String host = a.isAnyLocalAddress() ? "127.0.0.1" : a.getHostAddress();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return "http://" + host + ":" + port() + "/";
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String method = ex.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        ex.getResponseHeaders().set("Allow", "GET, HEAD");
        send(ex, 405, "text/plain; charset=utf-8", "read-only: GET and HEAD only\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      if (loopback && !loopbackHost(ex.getRequestHeaders().getFirst("Host"))) {
        send(ex, 403, "text/plain; charset=utf-8", ("this view answers requests to 127.0.0.1 or localhost only "
            + "(gradsweep --live-host serves other addresses)\n").getBytes(StandardCharsets.UTF_8));
        return;
      }
      String path = ex.getRequestURI().getPath();
      if (path.equals("/api/state")) {
        long since = since(ex.getRequestURI());
        byte[] body = model.since(since).toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        send(ex, 200, "application/json", body);
        return;
      }
      Asset a = assets.get(path.equals("/" + PAGE) ? "/" : path);
      if (a == null) {
        send(ex, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      send(ex, 200, a.type(), a.body());
    }
  }

  private static long since(URI uri) {
    String q = uri.getRawQuery();
    if (q == null) {
      return 0;
    }
    for (String part : q.split("&")) {
      if (part.startsWith("since=")) {
        try {
          return Math.max(0, Long.parseLong(part.substring("since=".length())));
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 0;
  }

  private static final Set<String> LOOPBACK_NAMES = Set.of("127.0.0.1", "localhost", "[::1]");

  /** Whether a Host header names this machine's loopback (any port: the port is ours anyway). */
  static boolean loopbackHost(String host) {
    if (host == null) {
      return false;
    }
    String h = host.trim().toLowerCase(Locale.ROOT);
    int colon = h.lastIndexOf(':');
    if (colon > h.lastIndexOf(']')) {
      h = h.substring(0, colon);
    }
    return LOOPBACK_NAMES.contains(h);
  }

  private void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    var h = ex.getResponseHeaders();
    h.set("Content-Type", type);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("Referrer-Policy", "no-referrer");
    h.set("X-Frame-Options", "DENY");
    h.set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        + "connect-src 'self'; frame-ancestors 'none'");
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
    if (!head && body.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** The minified ECharts bundle of the WebJar on the class path. */
  static String echartsPath() {
    Properties p = new Properties();
    try (InputStream in = LiveServer.class.getResourceAsStream(ECHARTS_POM)) {
      if (in == null) {
        throw new IllegalStateException("the ECharts WebJar (org.webjars.npm:echarts) is not on the class path: "
            + ECHARTS_POM + " is missing");
      }
      p.load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "/META-INF/resources/webjars/echarts/" + p.getProperty("version") + "/dist/" + CHARTS;
  }

  private static byte[] resource(String path) {
    try (InputStream in = LiveServer.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + path + " (a broken build of gradsweep)");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops serving (requests in flight get a second to finish). */
  @Override
  public void close() {
    server.stop(1);
    pool.shutdownNow();
  }
}
