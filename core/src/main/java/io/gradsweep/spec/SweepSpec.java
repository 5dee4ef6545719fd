package io.gradsweep.spec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A validated sweep: its names, the original YAML, the search space and the trials the search strategy expanded it
 * to. Immutable; built by {@link ParsedSweep#withTrials} once a search strategy has expanded what
 * {@link SweepSpecParser} read (the search package's {@code Sweeps} does both, checking everything before
 * returning), so a SweepSpec always runs. This package names no class of the search package: search depends on
 * spec, never the reverse.
 */
public final class SweepSpec {
  private final String source;
  private final String name;
  private final String experiment;
  private final String yaml;
  private final String strategy;
  private final SearchSpace space;
  private final List<TrialSpec> trials;
  private final Map<String, String> sweepParams;
  private final Scheduling scheduling;

  SweepSpec(String source, String name, String experiment, String yaml, String strategy, SearchSpace space,
      List<TrialSpec> trials, Map<String, String> sweepParams, Scheduling scheduling) {
    this.scheduling = Objects.requireNonNull(scheduling);
    this.source = Objects.requireNonNull(source);
    this.name = Objects.requireNonNull(name);
    this.experiment = Objects.requireNonNull(experiment);
    this.yaml = Objects.requireNonNull(yaml);
    this.strategy = Objects.requireNonNull(strategy);
    this.space = Objects.requireNonNull(space);
    this.trials = List.copyOf(trials);
    this.sweepParams = Collections.unmodifiableMap(new LinkedHashMap<>(sweepParams));
  }

  /** Where the spec came from (the file path, or the name given to the parser). */
  public String source() {
    return source;
  }

  /** The sweep's {@code name}: 1-64 characters of A-Z a-z 0-9 . _ -, not starting with '.'. */
  public String name() {
    return name;
  }

  /** The MLflow experiment the sweep logs to. */
  public String experiment() {
    return experiment;
  }

  /** The spec text exactly as given, to be stored with the sweep. */
  public String yaml() {
    return yaml;
  }

  /** The {@code search.strategy} word, e.g. {@code grid}. */
  public String strategy() {
    return strategy;
  }

  /** {@code search.max_trials}. */
  public int maxTrials() {
    return space.maxTrials();
  }

  /** The settings all trials share. */
  public TrialTemplate template() {
    return space.template();
  }

  /** Checkpoints ({@code training.checkpoint_every}) and scheduler ({@code search.scheduler}). */
  public Scheduling scheduling() {
    return scheduling;
  }

  /** The validated grid blocks the trials were drawn from. */
  public SearchSpace space() {
    return space;
  }

  /** The trials, in the order the search strategy produced them (deterministic); ids are unique. Unmodifiable. */
  public List<TrialSpec> trials() {
    return trials;
  }

  /**
   * Flat parameters for the sweep's parent run: {@code name}, {@code task.*}, {@code training.*}, {@code search.*},
   * {@code grid.<axis>} for each axis written in the grid (values as canonical text, e.g. {@code [rnn, lstm]}),
   * {@code variants} (when present) and {@code trials} (the count). Fewer than 100 entries, keys of at most 40
   * characters, values of at most 500 characters (longer lists are cut with "..."), as MLflow requires.
   * Unmodifiable, in a fixed order.
   */
  public Map<String, String> sweepParams() {
    return sweepParams;
  }

  @Override
  public String toString() {
    return "SweepSpec[" + name + " from " + source + ", " + strategy + ", " + trials.size() + " trials]";
  }
}
