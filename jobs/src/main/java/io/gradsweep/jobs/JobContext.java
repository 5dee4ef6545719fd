package io.gradsweep.jobs;

import java.io.PrintStream;
import java.util.Map;
import java.util.Objects;

/**
 * What every command works with: the environment it reads (tracking URI and credentials, OMP_NUM_THREADS), where
 * results go ({@code out}) and where messages go ({@code err}).
 */
record JobContext(Map<String, String> env, PrintStream out, PrintStream err) {

  JobContext {
    env = Map.copyOf(Objects.requireNonNull(env, "env"));
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(err, "err");
  }
}
