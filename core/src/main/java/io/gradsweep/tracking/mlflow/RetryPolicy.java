package io.gradsweep.tracking.mlflow;

import io.gradsweep.tracking.Names;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.random.RandomGenerator;

/**
 * When and how long the MLflow sink retries a request.
 *
 * <ul>
 *   <li>HTTP 429 (rate limited) and 5xx other than 501/505 (server busy, restarting, database locked): retried.
 *   <li>Connection errors (refused, reset, timed out, closed mid-response): retried; the server may be restarting.
 *   <li>Other 4xx (bad request, not found, unauthorized, ...), 501, 505 and redirects (3xx; requests are not
 *       redirected, the URI should name the server itself): not retried; reported at once with the server's
 *       message.
 * </ul>
 * Delays grow exponentially from {@code initialBackoff}, doubling up to {@code maxBackoff}, with jitter (each delay
 * is drawn from [d/2, d]); a {@code Retry-After} header in seconds is honoured within {@code maxBackoff}. A request
 * gives up when the next delay would take it past {@code budget} since its first attempt.
 *
 * <p>Retrying is safe for every request the sink makes: set-tag, update-run and artifact PUT overwrite; the server
 * drops a metric point identical to a stored one (same key, value, timestamp and step), params may be logged again
 * with the same value; experiment creation handles "already exists"; run creation looks for its
 * {@link Names.Tag#CREATE_TOKEN} before creating again.
 *
 * @param budget total time a request may spend, first attempt to last retry
 * @param initialBackoff first delay
 * @param maxBackoff largest delay
 */
public record RetryPolicy(Duration budget, Duration initialBackoff, Duration maxBackoff) {

  /** 2 minutes in total, 250 ms first delay, 10 s at most between attempts. */
  public static final RetryPolicy DEFAULT =
      new RetryPolicy(Duration.ofMinutes(2), Duration.ofMillis(250), Duration.ofSeconds(10));

  /** No retries: one attempt. */
  public static final RetryPolicy NONE = new RetryPolicy(Duration.ZERO, Duration.ofMillis(1), Duration.ofMillis(1));

  /** What to do with an HTTP answer. */
  public enum Verdict {
    /** 2xx: done. */
    SUCCESS,
    /** Transient: try again after a delay. */
    RETRY,
    /** Permanent: report now. */
    FAIL
  }

  public RetryPolicy {
    Objects.requireNonNull(budget, "budget");
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    if (budget.isNegative() || initialBackoff.isNegative() || initialBackoff.isZero()
        || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("invalid retry policy: budget=" + budget + " initialBackoff="
          + initialBackoff + " maxBackoff=" + maxBackoff);
    }
  }

  /** Classifies an HTTP status code. */
  public static Verdict classify(int status) {
    if (status >= 200 && status < 300) {
      return Verdict.SUCCESS;
    }
    if (status == 429) {
      return Verdict.RETRY;
    }
    if (status >= 500 && status <= 599 && status != 501 && status != 505) {
      return Verdict.RETRY;
    }
    return Verdict.FAIL;
  }

  /**
   * Whether an I/O error talking to the server is worth retrying: everything but an unknown host name (a
   * misconfigured URI does not heal by waiting).
   */
  public static boolean isRetryable(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
        return false;
      }
    }
    return true;
  }

  /** True for a connection error where the request cannot have reached the server (so it was not processed). */
  static boolean neverSent(IOException e) {
    return e instanceof ConnectException;
  }

  /**
   * The delay before retry number {@code retry} (1 = first retry): {@code initialBackoff * 2^(retry-1)}, capped at
   * {@code maxBackoff}, then drawn uniformly from [d/2, d]. A {@code Retry-After} value (ms) replaces it, capped
   * at {@code maxBackoff}.
   */
  public Duration delay(int retry, OptionalLong retryAfterMillis, RandomGenerator random) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry must be >= 1: " + retry);
    }
    long max = maxBackoff.toMillis();
    if (retryAfterMillis.isPresent()) {
      return Duration.ofMillis(Math.max(0, Math.min(max, retryAfterMillis.getAsLong())));
    }
    long d = initialBackoff.toMillis();
    for (int i = 1; i < retry && d < max; i++) {
      d *= 2;
    }
    d = Math.min(d, max);
    long half = d / 2;
    return Duration.ofMillis(half + (d - half == 0 ? 0 : random.nextLong(d - half + 1)));
  }

  /** Whether waiting {@code delay} more after {@code elapsed} since the first attempt stays within the budget. */
  public boolean withinBudget(Duration elapsed, Duration delay) {
    return elapsed.plus(delay).compareTo(budget) <= 0;
  }
}
