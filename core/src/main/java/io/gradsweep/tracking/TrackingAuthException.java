package io.gradsweep.tracking;

/**
 * The tracking server did not accept the credentials (HTTP 401), or needs some and none were given. Retrying does
 * not help; the message names the server and the user (never a password or token) and says what to set.
 */
public class TrackingAuthException extends TrackingException {
  public TrackingAuthException(String message) {
    super(message);
  }
}
