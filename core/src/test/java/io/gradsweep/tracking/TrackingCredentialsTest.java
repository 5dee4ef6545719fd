package io.gradsweep.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TrackingCredentialsTest {
  static final String USER = "gs-alice";
  static final String PASSWORD = "pa:ss w\u00f6rd-91";
  static final String TOKEN = "tok-5ecret-77";

  private static TrackingCredentials env(Map<String, String> vars) {
    return TrackingCredentials.fromEnv(vars::get);
  }

  @Test
  void basicHeaderIsBase64OfUserColonPassword() {
    String header = env(Map.of("MLFLOW_TRACKING_USERNAME", USER, "MLFLOW_TRACKING_PASSWORD", PASSWORD))
        .authorizationHeader().orElseThrow();
    assertTrue(header.startsWith("Basic "), header);
    assertEquals(USER + ":" + PASSWORD,
        new String(Base64.getDecoder().decode(header.substring(6)), StandardCharsets.UTF_8));
  }

  @Test
  void tokenGivesABearerHeader() {
    assertEquals(Optional.of("Bearer " + TOKEN), env(Map.of("MLFLOW_TRACKING_TOKEN", TOKEN)).authorizationHeader());
  }

  @Test
  void userAndPasswordWinOverATokenAsInMlflowsClient() {
    TrackingCredentials c = env(Map.of("MLFLOW_TRACKING_TOKEN", TOKEN, "MLFLOW_TRACKING_USERNAME", USER,
        "MLFLOW_TRACKING_PASSWORD", PASSWORD));
    assertTrue(c.authorizationHeader().orElseThrow().startsWith("Basic "));
  }

  @Test
  void nothingSetOrEmptyMeansNoHeader() {
    assertSame(TrackingCredentials.none(), env(Map.of()));
    assertSame(TrackingCredentials.none(), env(Map.of("MLFLOW_TRACKING_TOKEN", "", "MLFLOW_TRACKING_USERNAME", "",
        "MLFLOW_TRACKING_PASSWORD", "")));
    assertEquals(Optional.empty(), TrackingCredentials.none().authorizationHeader());
    assertFalse(TrackingCredentials.none().isPresent());
  }

  @Test
  void onlyOneOfUserAndPasswordIsAnErrorNamingTheVariablesNotTheValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> env(Map.of("MLFLOW_TRACKING_USERNAME", USER)));
    assertEquals("MLFLOW_TRACKING_USERNAME is set but MLFLOW_TRACKING_PASSWORD is not: set both for HTTP Basic "
        + "authentication, or neither (MLFLOW_TRACKING_TOKEN alone sends a Bearer token)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> env(Map.of("MLFLOW_TRACKING_PASSWORD", PASSWORD, "MLFLOW_TRACKING_TOKEN", TOKEN)));
    assertTrue(e.getMessage().startsWith("MLFLOW_TRACKING_PASSWORD is set but MLFLOW_TRACKING_USERNAME is not"),
        e.getMessage());
    assertFalse(e.getMessage().contains(PASSWORD) || e.getMessage().contains(TOKEN), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> env(Map.of("MLFLOW_TRACKING_USERNAME", "a:b", "MLFLOW_TRACKING_PASSWORD", PASSWORD)));
  }

  @Test
  void toStringAndDescribeNeverShowTheSecret() {
    TrackingCredentials basic = TrackingCredentials.basic(USER, PASSWORD);
    TrackingCredentials bearer = TrackingCredentials.bearer(TOKEN);
    String b64 = basic.authorizationHeader().orElseThrow().substring(6);
    for (Object o : new Object[] {basic, bearer, new TrackingTarget("mlflow", "http://h:1", basic),
        new TrackingTarget("mlflow", "http://h:1", bearer)}) {
      String s = o.toString();
      for (String secret : new String[] {USER, PASSWORD, TOKEN, b64}) {
        assertFalse(s.contains(secret), s);
      }
      assertTrue(s.contains("redacted"), s);
    }
    assertEquals("TrackingTarget[backend=mlflow, uri=http://h:1, credentials=basic(redacted), conf={}]",
        new TrackingTarget("mlflow", "http://h:1", basic).toString());
    assertEquals("user 'gs-alice' (MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD)", basic.describe());
    assertEquals("the token in MLFLOW_TRACKING_TOKEN", bearer.describe());
    assertFalse(bearer.describe().contains(TOKEN));
  }

  @Test
  void travelsInTheSerializedTarget() throws Exception {
    TrackingTarget t = new TrackingTarget("mlflow", "http://h:1", TrackingCredentials.basic(USER, PASSWORD));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(t);
    }
    Object back;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = in.readObject();
    }
    assertEquals(t, back);
    assertEquals(t.credentials().authorizationHeader(), ((TrackingTarget) back).credentials().authorizationHeader());
    assertEquals(TrackingCredentials.none(), new TrackingTarget("mlflow", "http://h:1").credentials());
  }
}
