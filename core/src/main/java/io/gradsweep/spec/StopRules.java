package io.gradsweep.spec;

import io.gradsweep.util.Canon;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The opt-in early-stopping rules of a trial ({@code training.stop} in the spec; see {@code docs/early-stopping.md}).
 * Either rule may be absent (null); with both absent ({@link #NONE}) a trial runs as it always has: to its budget,
 * or until it is solved or diverges.
 *
 * <p>"At the baseline" means the eval loss has not fallen more than {@code baseline_tolerance} below the task's
 * trivial-baseline loss: {@code eval_loss >= (1 - baseline_tolerance) * baseline} (a loss above the baseline counts:
 * the net has learned nothing the baseline does not know).
 *
 * @param vanished stop as VANISHED when the gradient has vanished; null when off
 * @param plateau stop as PLATEAU when the eval loss sits at the baseline without improving; null when off
 */
public record StopRules(Vanished vanished, Plateau plateau) implements Serializable {
  /** No rule: the trial runs to its budget. */
  public static final StopRules NONE = new StopRules(null, null);

  /**
   * The vanished-gradient rule: the top layer's gradient horizon (profile metric {@code _horizon}) is below
   * {@code horizonFraction * T} at {@code profiles} consecutive profile steps, and the eval loss is at the baseline.
   *
   * @param horizonFraction the horizon counts as vanished below this share of the sequence's steps, 0 < f <= 1
   * @param profiles consecutive profiles with a vanished horizon before the trial stops, >= 1
   * @param baselineTolerance the eval loss counts as at the baseline down to {@code (1 - tolerance) * baseline},
   *     0 <= tolerance < 1
   */
  public record Vanished(double horizonFraction, int profiles, double baselineTolerance) implements Serializable {
    public static final double DEFAULT_HORIZON_FRACTION = 0.1;
    public static final int DEFAULT_PROFILES = 5;
    public static final double DEFAULT_BASELINE_TOLERANCE = 0.05;
    /** The rule with every default. */
    public static final Vanished DEFAULTS = new Vanished(DEFAULT_HORIZON_FRACTION, DEFAULT_PROFILES,
        DEFAULT_BASELINE_TOLERANCE);

    public Vanished {
      check(horizonFraction > 0 && horizonFraction <= 1, "training.stop.vanished.horizon_fraction", horizonFraction,
          HORIZON_FRACTION_RULE);
      check(profiles >= 1 && profiles <= MAX_COUNT, "training.stop.vanished.profiles", profiles, COUNT_RULE);
      check(baselineTolerance >= 0 && baselineTolerance < 1, "training.stop.vanished.baseline_tolerance",
          baselineTolerance, TOLERANCE_RULE);
    }

    String canonical() {
      return "vanished(horizon_fraction=" + Canon.num(horizonFraction) + ",profiles=" + profiles
          + ",baseline_tolerance=" + Canon.num(baselineTolerance) + ")";
    }
  }

  /**
   * The plateau rule: the eval loss has been at the baseline at the last {@code evals} evaluations, and none of
   * them improved on the best eval loss before it by more than {@code minDelta} (relative).
   *
   * @param evals evaluations in a row at the baseline without improvement before the trial stops, >= 1
   * @param baselineTolerance as in {@link Vanished}, 0 <= tolerance < 1
   * @param minDelta an evaluation improves when its loss is below {@code (1 - minDelta) * best}, 0 <= d < 1
   */
  public record Plateau(int evals, double baselineTolerance, double minDelta) implements Serializable {
    public static final int DEFAULT_EVALS = 10;
    public static final double DEFAULT_BASELINE_TOLERANCE = 0.05;
    public static final double DEFAULT_MIN_DELTA = 0.01;
    /** The rule with every default. */
    public static final Plateau DEFAULTS = new Plateau(DEFAULT_EVALS, DEFAULT_BASELINE_TOLERANCE, DEFAULT_MIN_DELTA);

    public Plateau {
      check(evals >= 1 && evals <= MAX_COUNT, "training.stop.plateau.evals", evals, COUNT_RULE);
      check(baselineTolerance >= 0 && baselineTolerance < 1, "training.stop.plateau.baseline_tolerance",
          baselineTolerance, TOLERANCE_RULE);
      check(minDelta >= 0 && minDelta < 1, "training.stop.plateau.min_delta", minDelta, MIN_DELTA_RULE);
    }

    String canonical() {
      return "plateau(evals=" + evals + ",baseline_tolerance=" + Canon.num(baselineTolerance) + ",min_delta="
          + Canon.num(minDelta) + ")";
    }
  }

  /** Largest {@code profiles} and {@code evals}. */
  public static final int MAX_COUNT = 1_000_000;
  static final String HORIZON_FRACTION_RULE = "a number 0 < horizon_fraction <= 1";
  static final String COUNT_RULE = "an integer 1.." + MAX_COUNT;
  static final String TOLERANCE_RULE = "a number 0 <= baseline_tolerance < 1";
  static final String MIN_DELTA_RULE = "a number 0 <= min_delta < 1";

  /** True when at least one rule is on. */
  public boolean enabled() {
    return vanished != null || plateau != null;
  }

  /**
   * The rules as text, e.g. {@code vanished(horizon_fraction=0.1,profiles=5,baseline_tolerance=0.05)}, rules
   * joined by a space; {@code none} when off. Param {@code stop} of a trial with rules, and part of its id.
   */
  public String canonical() {
    List<String> parts = new ArrayList<>();
    if (vanished != null) {
      parts.add(vanished.canonical());
    }
    if (plateau != null) {
      parts.add(plateau.canonical());
    }
    return parts.isEmpty() ? "none" : String.join(" ", parts);
  }

  private static void check(boolean ok, String field, Object value, String allowed) {
    if (!ok) {
      throw new IllegalArgumentException(field + ": expected " + allowed + ", got " + value);
    }
  }
}
