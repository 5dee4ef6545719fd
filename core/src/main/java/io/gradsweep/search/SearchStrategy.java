package io.gradsweep.search;

import io.gradsweep.plugin.Plugin;
import io.gradsweep.spec.SearchSpace;
import io.gradsweep.spec.SpecException;
import io.gradsweep.spec.TrialSpec;
import java.util.List;

/**
 * Decides which trials a sweep runs: turns a validated {@link SearchSpace} into a list of {@link TrialSpec}s.
 * <em>What</em> runs is decided here, on the driver, before anything is launched; <em>where</em> it runs is the
 * Spark job's business. Registered in {@code META-INF/services/io.gradsweep.search.SearchStrategy}; found through
 * {@link SearchStrategies}; {@link Sweeps} parses a spec and expands it with the strategy it names.
 *
 * <p>Contract (checked for every registered strategy by the {@code SearchStrategyContractTest} suite):
 * <ul>
 *   <li>{@link #name()} is the word users write as {@code search.strategy}, lower case, and
 *       {@link SearchStrategies#byName(String)} finds the strategy by it.
 *   <li>{@link #expand(SearchSpace)} is deterministic: the same space gives an equal list, in the same order,
 *       in any JVM (strategies that sample must derive their randomness from the space, e.g. from seeds in it).
 *   <li>Every returned trial is built with {@link io.gradsweep.spec.TrialTemplate#trial} from one value of each
 *       axis of one block of the space (a listed value, or one drawn from the axis's distribution), so it
 *       satisfies all the spec's rules.
 *   <li>No two returned trials have the same {@link TrialSpec#id()}.
 *   <li>At most {@link SearchSpace#maxTrials()} trials are returned; a strategy that would need more fails with a
 *       {@link SpecException} whose path is {@code search.max_trials} and whose message gives the count and the
 *       limit. All problems are reported as {@link SpecException}s, before any trial runs.
 *   <li>The returned list is unmodifiable.
 *   <li>A strategy that {@link #samples()} requires {@code search.num_samples} and draws from
 *       {@link SearchSpace#seedOrDefault()}; one that does not rejects {@code num_samples}, {@code seed} and
 *       distributions ({@link io.gradsweep.spec.GridBlock#sampled}), naming the key path.
 * </ul>
 * Implementations are stateless and thread-safe; {@link SearchStrategies} hands out shared instances.
 */
public interface SearchStrategy extends Plugin {

  /** The YAML word for this strategy, e.g. {@code grid}. */
  @Override
  String name();

  /**
   * The trials to run, in the order they should be launched and listed.
   *
   * @throws SpecException if the space cannot be searched within its limits (e.g. more than max_trials points)
   */
  List<TrialSpec> expand(SearchSpace space);

  /**
   * Whether this strategy draws a sample ({@code search.num_samples}, {@code search.seed}, distributions on axes)
   * rather than enumerating listed values. A strategy that does not sample rejects those keys.
   */
  default boolean samples() {
    return false;
  }
}
