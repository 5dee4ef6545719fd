package io.gradsweep.tracking;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Credentials for the tracking server, read once on the driver from the environment and carried to the executors
 * inside the serialized Spark task ({@link TrackingTarget}).
 *
 * <p>Why in the task and not in {@code spark.executorEnv.MLFLOW_TRACKING_*}: Spark's configuration is shown on the
 * UI's environment page, written to event logs and sent to the cluster manager, and only keys matching
 * {@code spark.redaction.regex} are hidden there (by default not a user name); executor environment variables are
 * also readable in {@code /proc/PID/environ}. The serialized task reaches only the executors that run it and is
 * neither shown nor logged by Spark. Nothing here is ever written out: {@link #toString()} names the kind of
 * credentials only, and no message of this package contains the password, the token or the header.
 *
 * <p>Precedence, as in MLflow's Python client: {@code MLFLOW_TRACKING_USERNAME} + {@code MLFLOW_TRACKING_PASSWORD}
 * (HTTP Basic) win over {@code MLFLOW_TRACKING_TOKEN} (Bearer). Exactly one of username and password set is an
 * error. Empty values count as unset.
 */
public final class TrackingCredentials implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String USERNAME_ENV = "MLFLOW_TRACKING_USERNAME";
  public static final String PASSWORD_ENV = "MLFLOW_TRACKING_PASSWORD";
  public static final String TOKEN_ENV = "MLFLOW_TRACKING_TOKEN";

  private static final TrackingCredentials NONE = new TrackingCredentials(null, null, null);

  private final String username;
  private final String password;
  private final String token;

  private TrackingCredentials(String username, String password, String token) {
    this.username = username;
    this.password = password;
    this.token = token;
  }

  /** No credentials: requests carry no Authorization header. */
  public static TrackingCredentials none() {
    return NONE;
  }

  /** HTTP Basic with a user name and password (both non-empty). */
  public static TrackingCredentials basic(String username, String password) {
    if (username == null || username.isEmpty() || password == null || password.isEmpty()) {
      throw new IllegalArgumentException("basic credentials need a non-empty user name and password");
    }
    if (username.indexOf(':') >= 0) {
      throw new IllegalArgumentException(USERNAME_ENV + ": a user name for HTTP Basic cannot contain ':'");
    }
    return new TrackingCredentials(username, password, null);
  }

  /** A Bearer token (non-empty). */
  public static TrackingCredentials bearer(String token) {
    if (token == null || token.isEmpty()) {
      throw new IllegalArgumentException("a bearer token must not be empty");
    }
    return new TrackingCredentials(null, null, token);
  }

  /**
   * The credentials the environment gives: Basic when {@value #USERNAME_ENV} and {@value #PASSWORD_ENV} are both
   * set, else Bearer when {@value #TOKEN_ENV} is set, else none.
   *
   * @throws IllegalArgumentException when only one of {@value #USERNAME_ENV} and {@value #PASSWORD_ENV} is set (the
   *     message names the variables, never their values)
   */
  public static TrackingCredentials fromEnv(Function<String, String> env) {
    String user = nonEmpty(env.apply(USERNAME_ENV));
    String password = nonEmpty(env.apply(PASSWORD_ENV));
    String token = nonEmpty(env.apply(TOKEN_ENV));
    if ((user == null) != (password == null)) {
      String set = user != null ? USERNAME_ENV : PASSWORD_ENV;
      String missing = user != null ? PASSWORD_ENV : USERNAME_ENV;
      throw new IllegalArgumentException(set + " is set but " + missing + " is not: set both for HTTP Basic "
          + "authentication, or neither (" + TOKEN_ENV + " alone sends a Bearer token)");
    }
    if (user != null) {
      return basic(user, password);
    }
    return token != null ? bearer(token) : NONE;
  }

  private static String nonEmpty(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  public boolean isPresent() {
    return username != null || token != null;
  }

  /** The value of the HTTP Authorization header, if any. Never log it. */
  public Optional<String> authorizationHeader() {
    if (username != null) {
      String pair = username + ":" + password;
      return Optional.of("Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
    }
    return token == null ? Optional.empty() : Optional.of("Bearer " + token);
  }

  /**
   * Who is asking, for error messages: {@code user 'NAME' (MLFLOW_TRACKING_USERNAME/_PASSWORD)}, {@code the token
   * in MLFLOW_TRACKING_TOKEN} or {@code no credentials}. Has the user name, never the password or the token.
   */
  public String describe() {
    if (username != null) {
      return "user '" + username + "' (" + USERNAME_ENV + "/" + PASSWORD_ENV + ")";
    }
    return token != null ? "the token in " + TOKEN_ENV : "no credentials";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrackingCredentials c && Objects.equals(username, c.username)
        && Objects.equals(password, c.password) && Objects.equals(token, c.token);
  }

  @Override
  public int hashCode() {
    return Objects.hash(username, password, token);
  }

  /** Only the kind of credentials: {@code basic(redacted)}, {@code bearer(redacted)} or {@code none}. */
  @Override
  public String toString() {
    return username != null ? "basic(redacted)" : token != null ? "bearer(redacted)" : "none";
  }

  private Object readResolve() {
    return isPresent() ? this : NONE;
  }
}
