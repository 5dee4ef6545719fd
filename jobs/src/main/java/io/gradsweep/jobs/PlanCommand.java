package io.gradsweep.jobs;

import io.gradsweep.spec.PlanFormatter;
import io.gradsweep.sweep.ExitStatus;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code plan SPEC}: validates the sweep spec and prints its trials; starts neither Spark nor tracking. */
@Command(name = "plan", usageHelpWidth = HelpText.WIDTH, description = {
    "validate the sweep spec (YAML) and print its trials; starts neither Spark nor MLflow"})
final class PlanCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "SPEC", description = "the sweep spec (YAML)")
  Path spec;

  @Option(names = {"-h", "--help"}, usageHelp = true, description = "print this help")
  boolean help;

  private final JobContext ctx;

  PlanCommand(JobContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    ctx.out().print(PlanFormatter.format(SpecFile.load(spec)));
    return ExitStatus.OK;
  }
}
