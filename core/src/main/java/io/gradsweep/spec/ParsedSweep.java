package io.gradsweep.spec;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A sweep spec read and validated by {@link SweepSpecParser}, before its search space is expanded into trials: the
 * names, the original YAML, the {@code search.strategy} word and the search space. A search strategy turns
 * {@link #space()} into trials and {@link #withTrials(List)} makes the runnable {@link SweepSpec}.
 *
 * @param source where the spec came from (file path, or the name given to the parser)
 * @param name the sweep's {@code name}
 * @param experiment the MLflow experiment
 * @param yaml the spec text exactly as given
 * @param strategy the {@code search.strategy} word, one of the words given to the parser
 * @param space the validated grid blocks, template and max_trials
 * @param sweepParams the parent run's params except {@code trials} (see {@link SweepSpec#sweepParams()})
 * @param scheduling checkpoints and scheduler ({@link Scheduling#NONE} if null)
 */
public record ParsedSweep(String source, String name, String experiment, String yaml, String strategy,
    SearchSpace space, Map<String, String> sweepParams, Scheduling scheduling) {

  /** A sweep without checkpoints or scheduler. */
  public ParsedSweep(String source, String name, String experiment, String yaml, String strategy, SearchSpace space,
      Map<String, String> sweepParams) {
    this(source, name, experiment, yaml, strategy, space, sweepParams, Scheduling.NONE);
  }

  public ParsedSweep {
    scheduling = scheduling == null ? Scheduling.NONE : scheduling;
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(experiment, "experiment");
    Objects.requireNonNull(yaml, "yaml");
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(space, "space");
    if (sweepParams.containsKey("trials")) {
      throw new IllegalArgumentException("sweep params before expansion must not have the trial count");
    }
    sweepParams = Collections.unmodifiableMap(new LinkedHashMap<>(sweepParams));
  }

  /**
   * The runnable sweep with these trials, as the search strategy produced them; {@code trials} is added to the
   * params.
   *
   * @throws IllegalStateException if there are more trials than {@code search.max_trials} (a strategy that
   *     breaks its contract)
   */
  public SweepSpec withTrials(List<TrialSpec> trials) {
    if (trials.size() > space.maxTrials()) {
      throw new IllegalStateException("search strategy " + strategy + " returned " + trials.size()
          + " trials, more than max_trials " + space.maxTrials());
    }
    Map<String, String> params = new LinkedHashMap<>(sweepParams);
    params.put("trials", Integer.toString(trials.size()));
    return new SweepSpec(source, name, experiment, yaml, strategy, space, trials, params, scheduling);
  }
}
