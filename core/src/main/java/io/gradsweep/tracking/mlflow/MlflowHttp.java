package io.gradsweep.tracking.mlflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gradsweep.tracking.TrackingAuthException;
import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingException;
import io.gradsweep.tracking.spool.SpoolClock;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SSLHandshakeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP transport under {@link MlflowRestClient} (as the MLflow Java client keeps its {@code MlflowHttpCaller}
 * apart from {@code MlflowClient}): an {@link HttpClient} shared by the JVM (HTTP/1.1, kept-alive connections, no
 * redirects, connect and request timeouts, TLS through the JVM's trust store), the {@code Authorization} header
 * from {@link TrackingCredentials}, retries with backoff per {@link RetryPolicy}, and error messages that name the
 * server (never the credentials). It knows nothing of MLflow's endpoints: it sends requests and classifies
 * answers.
 *
 * <p>Contract: {@link #call} returns the JSON answer of a 2xx; throws {@link ApiException} for an answer that
 * retrying will not change (4xx other than 429, 501, 505, 3xx), {@link TrackingAuthException} for a 401, and
 * {@link TrackingException} when the retry budget is used up or the host is unknown. Thread-safe.
 */
final class MlflowHttp {
  private static final Logger LOG = LoggerFactory.getLogger(MlflowHttp.class);
  private static final int MAX_SERVER_MESSAGE = 2000;
  private static final java.util.concurrent.ConcurrentMap<Duration, HttpClient> CLIENTS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** The server refused a request (a non-retryable HTTP status). */
  static final class ApiException extends TrackingException {
    final int status;
    final String errorCode;

    ApiException(String message, int status, String errorCode) {
      super(message);
      this.status = status;
      this.errorCode = errorCode;
    }
  }

  /** A retryable HTTP status. */
  static final class RetryableStatus extends Exception {
    final int status;
    final OptionalLong retryAfterMillis;

    RetryableStatus(int status, String message, OptionalLong retryAfterMillis) {
      super("HTTP " + status + (message.isEmpty() ? "" : ": " + message), null, false, false);
      this.status = status;
      this.retryAfterMillis = retryAfterMillis;
    }
  }

  @FunctionalInterface
  interface Attempt<T> {
    /** One try; {@code ambiguous} is true when an earlier try may have reached the server and been processed. */
    T run(boolean ambiguous) throws IOException, InterruptedException, RetryableStatus;
  }

  private final String base;
  private final HttpClient http;
  private final RetryPolicy retry;
  private final Duration requestTimeout;
  private final String authorization;
  private final TrackingCredentials credentials;
  private final ObjectMapper json = new ObjectMapper();
  private final SpoolClock clock;

  MlflowHttp(String trackingUri, RetryPolicy retry, Duration connectTimeout, Duration requestTimeout,
      TrackingCredentials credentials, SpoolClock clock) {
    this.base = normalizeUri(trackingUri);
    this.retry = retry;
    this.requestTimeout = requestTimeout;
    this.credentials = credentials;
    this.clock = clock;
    this.authorization = credentials.authorizationHeader().orElse(null);
    this.http = sharedClient(connectTimeout);
  }

  /**
   * The JVM's HTTP client for {@code connectTimeout}, made once: every sink and run of an executor (a trial is one
   * sink and two REST clients) shares its connection pool and threads, instead of opening new connections and
   * leaving a selector thread and a worker pool behind for each trial.
   */
  static HttpClient sharedClient(Duration connectTimeout) {
    return CLIENTS.computeIfAbsent(connectTimeout, t -> HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(t)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build());
  }

  /** The tracking URI without a trailing slash. */
  String uri() {
    return base;
  }

  /**
   * Validates a tracking URI ({@code http} or {@code https} with a host) and removes trailing slashes.
   *
   * @throws IllegalArgumentException naming the URI when it is not usable
   */
  static String normalizeUri(String uri) {
    if (uri == null || uri.isBlank()) {
      throw new IllegalArgumentException("the mlflow backend needs a tracking URI, e.g. http://127.0.0.1:5000");
    }
    String u = uri.strip();
    while (u.endsWith("/")) {
      u = u.substring(0, u.length() - 1);
    }
    URI parsed;
    try {
      parsed = URI.create(u);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid MLflow tracking URI '" + uri + "': " + e.getMessage(), e);
    }
    if (parsed.getRawUserInfo() != null) {
      // the URI is printed, logged and shown by Spark: credentials in it would be too (this message omits them)
      throw new IllegalArgumentException("invalid MLflow tracking URI '" + parsed.getScheme() + "://***@"
          + parsed.getRawAuthority().substring(parsed.getRawAuthority().indexOf('@') + 1)
          + "...': no user name or password in the URI; set " + TrackingCredentials.USERNAME_ENV + " and "
          + TrackingCredentials.PASSWORD_ENV + " (or " + TrackingCredentials.TOKEN_ENV + ") instead");
    }
    String scheme = parsed.getScheme();
    if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
        || parsed.getHost() == null) {
      throw new IllegalArgumentException("invalid MLflow tracking URI '" + uri
          + "': expected http://host:port or https://host[:port][/path]");
    }
    if (parsed.getQuery() != null || parsed.getFragment() != null) {
      throw new IllegalArgumentException("invalid MLflow tracking URI '" + uri + "': no query or fragment allowed");
    }
    return u;
  }

  /**
   * Address of a run in the MLflow UI, opened in its model-training view (MLflow 3 opens in its GenAI view
   * otherwise, where runs and metric charts are not shown).

  /** Whether credentials are sent. */
  boolean authenticates() {
    return authorization != null;
  }

  ObjectMapper json() {
    return json;
  }

  Duration requestTimeout() {
    return requestTimeout;
  }

  /** One request and its answer as bytes, no retries, no classification. */
  HttpResponse<byte[]> sendOnce(HttpRequest req) throws IOException, InterruptedException {
    return http.send(req, HttpResponse.BodyHandlers.ofByteArray());
  }

  /** {@link #exchange} with retries: the JSON answer of a 2xx. */
  JsonNode call(String what, HttpRequest req) {
    return withRetries(what, ambiguous -> exchange(what, req));
  }

  <T> T withRetries(String what, Attempt<T> attempt) {
    long start = clock.nanoTime();
    boolean ambiguous = false;
    for (int n = 1; ; n++) {
      String error;
      OptionalLong retryAfter = OptionalLong.empty();
      try {
        return attempt.run(ambiguous);
      } catch (RetryableStatus e) {
        error = e.getMessage();
        retryAfter = e.retryAfterMillis;
        ambiguous |= e.status != 429;
      } catch (IOException e) {
        if (!RetryPolicy.isRetryable(e)) {
          throw new TrackingException("MLflow at " + base + ": " + what + " failed: " + describe(e), e);
        }
        error = describe(e);
        ambiguous |= !RetryPolicy.neverSent(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TrackingException("MLflow at " + base + ": " + what + " interrupted", e);
      }
      Duration elapsed = Duration.ofNanos(clock.nanoTime() - start);
      Duration delay = retry.delay(n, retryAfter, ThreadLocalRandom.current());
      if (!retry.withinBudget(elapsed, delay)) {
        throw new TrackingException(String.format("MLflow at %s: %s failed after %d attempt%s in %.1f s: %s", base,
            what, n, n == 1 ? "" : "s", elapsed.toMillis() / 1000.0, error));
      }
      LOG.warn("MLflow at {}: {} failed ({}); retry {} in {} ms ({} of {} s used)", base, what, error, n,
          delay.toMillis(), elapsed.toSeconds(), retry.budget().toSeconds());
      try {
        clock.sleep(delay);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TrackingException("MLflow at " + base + ": " + what + " interrupted while waiting to retry", e);
      }
    }
  }

  /** Sends one request; returns the JSON answer of a 2xx, throws {@link RetryableStatus} or {@link ApiException}. */
  JsonNode exchange(String what, HttpRequest req) throws IOException, InterruptedException, RetryableStatus {
    HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    int s = r.statusCode();
    String body = new String(r.body(), StandardCharsets.UTF_8);
    switch (RetryPolicy.classify(s)) {
      case SUCCESS:
        if (body.isBlank()) {
          return json.createObjectNode();
        }
        try {
          return json.readTree(body);
        } catch (JsonProcessingException e) {
          throw new TrackingException("MLflow at " + base + ": " + what + ": the answer is not JSON ("
              + r.headers().firstValue("content-type").orElse("no content type") + "); is " + base
              + " an MLflow tracking server? " + snippet(body));
        }
      case RETRY:
        throw new RetryableStatus(s, serverMessage(body), retryAfter(r));
      default:
        if (s == 401) {
          throw new TrackingAuthException("MLflow at " + base + ": " + what + " failed: " + accessDenied(s, r));
        }
        String code = errorCode(body);
        String location = r.headers().firstValue("location").map(l -> " (redirected to " + l + ")").orElse("");
        String denied = s == 403 ? " (permission denied for " + credentials.describe() + ")" : "";
        throw new ApiException("MLflow at " + base + ": " + what + " failed: HTTP " + s
            + (code.isEmpty() ? "" : " " + code) + denied + location + ": " + serverMessage(body), s, code);
    }
  }

  /**
   * What a 401 or 403 means for these credentials: none sent (hint at the environment variables), a user name or
   * token not accepted, or a token sent to a server that asks for HTTP Basic. Names the user, never the secret.
   */
  String accessDenied(int status, HttpResponse<?> r) {
    String how = "set " + TrackingCredentials.USERNAME_ENV + " and " + TrackingCredentials.PASSWORD_ENV + " (or "
        + TrackingCredentials.TOKEN_ENV + ") in the environment of the job";
    if (authorization == null) {
      return "MLflow at " + base + " requires authentication (HTTP " + status + ") and no credentials were given: "
          + how;
    }
    if (status == 403) {
      return "MLflow at " + base + " denied access (HTTP 403) to " + credentials.describe()
          + ": ask an MLflow admin for permission";
    }
    boolean asksBasic = r.headers().firstValue("www-authenticate").orElse("").regionMatches(true, 0, "basic", 0, 5);
    return "authentication failed (HTTP 401) for " + credentials.describe() + " at " + base
        + (authorization.startsWith("Bearer ") && asksBasic
            ? ": the server asks for HTTP Basic (MLflow's basic-auth app accepts no tokens); set "
                + TrackingCredentials.USERNAME_ENV + " and " + TrackingCredentials.PASSWORD_ENV
            : ": check the credentials");
  }

  HttpRequest.Builder request(String pathAndQuery) {
    return authorize(HttpRequest.newBuilder(URI.create(base + pathAndQuery)))
        .timeout(requestTimeout)
        .header("Accept", "application/json");
  }

  HttpRequest postJson(String path, String body) {
    return request(path)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
        .build();
  }

  HttpRequest.Builder authorize(HttpRequest.Builder b) {
    b.header("User-Agent", "gradsweep");
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return b;
  }

  String errorCode(String body) {
    try {
      return json.readTree(body).path("error_code").asText("");
    } catch (JsonProcessingException e) {
      return "";
    }
  }

  String serverMessage(String body) {
    try {
      JsonNode n = json.readTree(body);
      if (n != null && n.hasNonNull("message")) {
        return snippet(n.get("message").asText());
      }
    } catch (JsonProcessingException e) {
      // not JSON: show the text
    }
    return snippet(body);
  }

  static OptionalLong retryAfter(HttpResponse<?> r) {
    Optional<String> v = r.headers().firstValue("retry-after");
    if (v.isPresent()) {
      try {
        return OptionalLong.of(Math.round(Double.parseDouble(v.get().strip()) * 1000));
      } catch (NumberFormatException e) {
        // an HTTP date: ignore, use the backoff
      }
    }
    return OptionalLong.empty();
  }

  static String snippet(String s) {
    String t = s.strip();
    return t.length() <= MAX_SERVER_MESSAGE ? t : t.substring(0, MAX_SERVER_MESSAGE) + "...";
  }

  static boolean isRefused(IOException e) {
    return e instanceof ConnectException && !(rootCause(e) instanceof UnresolvedAddressException);
  }

  /** A short human description of an I/O error. */
  String describe(IOException e) {
    Throwable root = rootCause(e);
    if (root instanceof UnresolvedAddressException || root instanceof UnknownHostException) {
      return "unknown host '" + URI.create(base).getHost() + "'";
    }
    if (e instanceof HttpConnectTimeoutException) {
      return "timed out connecting";
    }
    if (e instanceof HttpTimeoutException) {
      return "no answer within " + requestTimeout.toSeconds() + " s";
    }
    if (e instanceof ConnectException) {
      return "connection refused";
    }
    String msg = root.getMessage();
    String tls = e instanceof SSLHandshakeException || root instanceof CertificateException
        || root instanceof CertPathBuilderException
        ? " (TLS: is the server's certificate issued by a CA this JVM trusts? For a private CA, pass "
            + "-Djavax.net.ssl.trustStore=FILE to the driver and the executors; README: Credentials and TLS)"
        : "";
    return root.getClass().getSimpleName() + (msg == null ? "" : ": " + msg) + tls;
  }

  private static Throwable rootCause(Throwable t) {
    Throwable r = t;
    while (r.getCause() != null && r.getCause() != r) {
      r = r.getCause();
    }
    return r;
  }
}
