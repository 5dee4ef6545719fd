package io.gradsweep.tracking.mlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingException;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS handshake only: our HTTP client (java.net.http with the JVM's default SSLContext) trusts a private CA given
 * the standard way, {@code -Djavax.net.ssl.trustStore=FILE}, and without it fails with a message that says what to
 * do. The server is a JDK HttpsServer with a self-signed certificate made by keytool, answering the one request
 * {@code checkReachable} sends; each check runs in a fresh JVM, because the default SSLContext is made once per JVM.
 */
class TlsTrustStoreTest {
  @TempDir
  Path dir;

  static final Path JAVA_BIN = Path.of(System.getProperty("java.home"), "bin");

  /** Child JVM: checks the tracking server at args[0]; prints the outcome; exit 0 reachable, 3 not. */
  public static void main(String[] args) {
    try {
      new MlflowTrackingSink(args[0], MlflowTrackingSink.Settings.defaults().withRetry(RetryPolicy.NONE),
          TrackingCredentials.none()).checkReachable();
      System.out.println("reachable");
      System.exit(0);
    } catch (TrackingException e) {
      System.out.println(e.getMessage());
      System.exit(3);
    }
  }

  private void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(JAVA_BIN.resolve("keytool").toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "keytool " + cmd + ":\n" + out);
  }

  private record Probe(int status, String out) {}

  private Probe probe(String uri, String... jvmOptions) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(JAVA_BIN.resolve("java").toString()));
    cmd.addAll(List.of(jvmOptions));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), TlsTrustStoreTest.class.getName(), uri));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe JVM ends");
    return new Probe(p.exitValue(), out);
  }

  @Test
  void httpsWithAPrivateCaWorksThroughTheStandardTrustStore() throws Exception {
    Path serverKeys = dir.resolve("server.p12");
    Path cert = dir.resolve("ca.crt");
    Path trustStore = dir.resolve("truststore.p12");
    keytool("-genkeypair", "-alias", "mlflow", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
        "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-keystore", serverKeys.toString(),
        "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit");
    keytool("-exportcert", "-alias", "mlflow", "-keystore", serverKeys.toString(), "-storepass", "changeit",
        "-file", cert.toString());
    keytool("-importcert", "-noprompt", "-alias", "mlflow-ca", "-file", cert.toString(), "-keystore",
        trustStore.toString(), "-storetype", "PKCS12", "-storepass", "changeit");

    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(serverKeys.toFile())) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.createContext("/api/2.0/mlflow/experiments/get-by-name", x -> {
      byte[] body = "{\"experiment\": {\"experiment_id\": \"0\", \"name\": \"Default\"}}"
          .getBytes(StandardCharsets.UTF_8);
      x.getResponseHeaders().add("Content-Type", "application/json");
      x.sendResponseHeaders(200, body.length);
      x.getResponseBody().write(body);
      x.close();
    });
    server.start();
    try {
      String uri = "https://127.0.0.1:" + server.getAddress().getPort();
      Probe trusted = probe(uri, "-Djavax.net.ssl.trustStore=" + trustStore,
          "-Djavax.net.ssl.trustStorePassword=changeit");
      assertEquals(0, trusted.status(), trusted.out());
      // keytool's PKCS12 store protects its certificates with the password: read without it, it trusts nothing
      Probe noPassword = probe(uri, "-Djavax.net.ssl.trustStore=" + trustStore);
      assertEquals(3, noPassword.status(), noPassword.out());
      assertTrue(noPassword.out().contains("the trustAnchors parameter must be non-empty"), noPassword.out());

      Probe untrusted = probe(uri);
      assertEquals(3, untrusted.status(), untrusted.out());
      assertTrue(untrusted.out().contains("cannot reach MLflow at " + uri) && untrusted.out().contains(
          "For a private CA, pass -Djavax.net.ssl.trustStore=FILE to the driver and the executors"), untrusted.out());
    } finally {
      server.stop(0);
    }
  }
}
