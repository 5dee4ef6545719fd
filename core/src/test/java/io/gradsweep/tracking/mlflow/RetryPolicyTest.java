package io.gradsweep.tracking.mlflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.mlflow.RetryPolicy.Verdict;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Test
  void statusCodes() {
    for (int s : new int[] {200, 201, 204}) {
      assertEquals(Verdict.SUCCESS, RetryPolicy.classify(s), "" + s);
    }
    for (int s : new int[] {429, 500, 502, 503, 504, 507, 599}) {
      assertEquals(Verdict.RETRY, RetryPolicy.classify(s), "" + s);
    }
    for (int s : new int[] {301, 302, 400, 401, 403, 404, 409, 413, 422, 501, 505}) {
      assertEquals(Verdict.FAIL, RetryPolicy.classify(s), "" + s);
    }
  }

  @Test
  void ioErrors() {
    assertTrue(RetryPolicy.isRetryable(new ConnectException("refused")));
    assertTrue(RetryPolicy.isRetryable(new HttpTimeoutException("timeout")));
    assertTrue(RetryPolicy.isRetryable(new IOException("Connection reset")));
    assertFalse(RetryPolicy.isRetryable(new UnknownHostException("nohost")));
    ConnectException unresolved = new ConnectException();
    unresolved.initCause(new UnresolvedAddressException());
    assertFalse(RetryPolicy.isRetryable(unresolved));
    assertTrue(RetryPolicy.neverSent(new ConnectException()));
    assertFalse(RetryPolicy.neverSent(new IOException("reset")));
  }

  @Test
  void delaysGrowExponentiallyWithJitterUpToTheCap() {
    RetryPolicy p = new RetryPolicy(Duration.ofMinutes(2), Duration.ofMillis(250), Duration.ofSeconds(10));
    Random r = new Random(3);
    long[] caps = {250, 500, 1000, 2000, 4000, 8000, 10000, 10000, 10000};
    for (int retry = 1; retry <= caps.length; retry++) {
      for (int k = 0; k < 50; k++) {
        long d = p.delay(retry, OptionalLong.empty(), r).toMillis();
        assertTrue(d >= caps[retry - 1] / 2 && d <= caps[retry - 1], "retry " + retry + ": " + d);
      }
    }
    long late = p.delay(1000, OptionalLong.empty(), r).toMillis();
    assertTrue(late >= 5000 && late <= 10000, "capped at maxBackoff: " + late);
  }

  @Test
  void retryAfterIsHonouredWithinTheCap() {
    RetryPolicy p = RetryPolicy.DEFAULT;
    assertEquals(3000, p.delay(1, OptionalLong.of(3000), new Random()).toMillis());
    assertEquals(10000, p.delay(1, OptionalLong.of(600_000), new Random()).toMillis());
  }

  @Test
  void budgetBoundsTheTotalTime() {
    RetryPolicy p = new RetryPolicy(Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofSeconds(1));
    assertTrue(p.withinBudget(Duration.ofSeconds(4), Duration.ofMillis(900)));
    assertFalse(p.withinBudget(Duration.ofSeconds(4), Duration.ofMillis(1100)));
    assertFalse(RetryPolicy.NONE.withinBudget(Duration.ZERO, Duration.ofMillis(1)));
    // Simulated: the sum of delays before giving up never exceeds the budget.
    Random r = new Random(5);
    long elapsed = 0;
    int retries = 0;
    while (true) {
      Duration d = p.delay(retries + 1, OptionalLong.empty(), r);
      if (!p.withinBudget(Duration.ofMillis(elapsed), d)) {
        break;
      }
      elapsed += d.toMillis();
      retries++;
    }
    assertTrue(elapsed <= 5000 && retries >= 5, elapsed + " ms, " + retries + " retries");
  }

  @Test
  void invalidPoliciesAreRejected() {
    assertThrows(IllegalArgumentException.class,
        () -> new RetryPolicy(Duration.ofSeconds(-1), Duration.ofMillis(1), Duration.ofMillis(1)));
    assertThrows(IllegalArgumentException.class,
        () -> new RetryPolicy(Duration.ofSeconds(1), Duration.ZERO, Duration.ofMillis(1)));
    assertThrows(IllegalArgumentException.class,
        () -> new RetryPolicy(Duration.ofSeconds(1), Duration.ofMillis(10), Duration.ofMillis(1)));
  }
}
