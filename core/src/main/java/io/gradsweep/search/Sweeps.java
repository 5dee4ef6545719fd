package io.gradsweep.search;

import io.gradsweep.spec.ParsedSweep;
import io.gradsweep.spec.SpecException;
import io.gradsweep.spec.SweepSpec;
import io.gradsweep.spec.SweepSpecParser;
import java.nio.file.Path;

/**
 * Reads a sweep spec and expands it into its trials: {@link SweepSpecParser} validates the text against the
 * registered strategy names, then the strategy the spec names ({@link SearchStrategies}) turns its search space
 * into trials. The entry point for anything that runs or plans a sweep.
 *
 * <p>Everything is checked before returning: every problem, in the text or in the expansion (too many trials, a
 * trial produced twice, an unknown {@code search.strategy} listing the known ones), is a {@link SpecException}
 * naming the key path. Stateless and thread-safe.
 */
public final class Sweeps {
  private Sweeps() {}

  /**
   * Reads, parses and expands a spec file (UTF-8).
   *
   * @throws SpecException for every problem, I/O errors included (the message names the file)
   */
  public static SweepSpec parseFile(Path file) {
    return expand(SweepSpecParser.parseFile(file, SearchStrategies.names()));
  }

  /**
   * Parses and expands spec text.
   *
   * @param yamlText the YAML text
   * @param sourceName where the text comes from, used in messages ({@code (sourceName:line:column)}); may be null
   * @throws SpecException for every problem
   */
  public static SweepSpec parse(String yamlText, String sourceName) {
    return expand(SweepSpecParser.parse(yamlText, sourceName, SearchStrategies.names()));
  }

  /**
   * Expands a parsed spec with the strategy it names.
   *
   * @throws SpecException if the strategy is unknown (path {@code search.strategy}) or cannot expand the space
   *     within its limits
   */
  public static SweepSpec expand(ParsedSweep parsed) {
    return parsed.withTrials(SearchStrategies.byName(parsed.strategy()).expand(parsed.space()));
  }
}
