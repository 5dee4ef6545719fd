package io.gradsweep.jobs;

import io.gradsweep.conf.ConfKey;
import io.gradsweep.conf.ConfKeys;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Column;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The overview {@code gradsweep --help}, made from the commands' own declarations so that every option is
 * described once: the synopsis of each command, each command's description, the options of all commands (each
 * once), then what the launcher and the JVM read from the environment, and the exit statuses. The help of one
 * command ({@code gradsweep run --help}) is picocli's, from the same declarations.
 */
final class HelpText {
  /** Characters per line of every help text. */
  static final int WIDTH = 118;
  private static final int NAME_COLUMN = 14;

  private static String[] footer() {
    java.util.List<String> lines = new java.util.ArrayList<>(java.util.List.of(FOOTER_START));
    lines.add("");
    lines.add("Settings (--conf spark.gradsweep.KEY=VALUE, with gradsweep or spark-submit; README: Settings):");
    for (ConfKey<?> k : ConfKeys.ALL) {
      lines.addAll(wrap(k.sparkKey() + " (" + k.allowed() + "; default " + k.defaultText().replace("`", "") + ")",
          2, 6));
      lines.addAll(wrap(k.description().replace("`", ""), 6, 6));
    }
    lines.addAll(java.util.List.of(FOOTER_END));
    return lines.toArray(String[]::new);
  }

  /**
   * {@code text} in lines of fewer than {@link #WIDTH} characters (picocli wraps longer ones itself, to column 0),
   * the first indented by {@code first} blanks, the others by {@code indent}.
   */
  static java.util.List<String> wrap(String text, int first, int indent) {
    java.util.List<String> out = new java.util.ArrayList<>();
    StringBuilder line = new StringBuilder(" ".repeat(first));
    for (String word : text.split(" ")) {
      if (line.toString().strip().length() > 0 && line.length() + 1 + word.length() >= WIDTH) {
        out.add(line.toString());
        line = new StringBuilder(" ".repeat(indent));
      }
      line.append(line.toString().isBlank() ? "" : " ").append(word);
    }
    out.add(line.toString());
    return out;
  }

  private static final String[] FOOTER_START = {
      "",
      "Environment:",
      "  MLFLOW_TRACKING_URI        MLflow server address when --tracking-uri is not given",
      "  MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD",
      "                             credentials for an MLflow server with authentication (HTTP Basic); or",
      "  MLFLOW_TRACKING_TOKEN      a Bearer token. Read by the driver and passed to the executors inside the",
      "                             Spark tasks (never in Spark settings or logs). For an https URI with a private",
      "                             CA: -Djavax.net.ssl.trustStore=FILE in GRADSWEEP_JAVA_OPTS and in",
      "                             --conf spark.executor.extraJavaOptions (README: Credentials and TLS)",
      "  JAVA_HOME                  the Java 17+ to use (default: java on the PATH)",
      "  GRADSWEEP_JAVA_OPTS        extra JVM options of the driver, e.g. -Xmx8g (--driver-memory; default a quarter",
      "                             of this machine's memory). gradsweep's own settings are Spark conf keys: see",
      "                             Settings below; -Dgradsweep.KEY=VALUE of earlier versions still works, with a",
      "                             note naming the new key",
      "  GRADSWEEP_OMP_NUM_THREADS  OpenMP threads of ND4J in the driver JVM (default 1; in local mode every trial",
      "                             runs in that JVM, and more threads per trial make concurrent trials slower).",
      "                             Executors get 1 too (spark.executorEnv); a trial uses spark.task.cpus cores",
      "                             through the engine's own threads (docs/engine.md, Multi-core trials)",
      "  GRADSWEEP_NO_BUILD=1       never run Maven; use the uber jar as it is (it must exist)",
      "  GRADSWEEP_MLFLOW_BACKEND   store of the local MLflow server that jobs/bin/mlflow-local start starts when",
      "                             no tracking URI is given: sqlite (default) or postgres (a PostgreSQL of the",
      "                             checkout; for many trials and parallel writers; docs/mlflow.md)",
      "  SPARK_LOCAL_IP             address the driver binds to (default 127.0.0.1 for run and for a loopback",
      "                             master)",
      "  SPARK_HOME                 the Spark distribution whose bin/spark-submit starts the driver (default: the",
      "                             project's, .gradsweep/spark/3.5.8/pyspark; a Spark 4 home takes",
      "                             jobs/target-spark4/gradsweep-spark4.jar)"};

  private static final String[] FOOTER_END = {
      "",
      "Files:",
      "  jobs/target/gradsweep-spark3.jar       the uber jar for Spark 3.5; jobs/bin/gradsweep builds it with",
      "                                         'mvn -B -q -DskipTests package' when it is missing or older than the",
      "                                         sources (Maven is needed only then). Your own spark-submit:",
      "                                         $SPARK_HOME/bin/spark-submit --master URL JAR run SPEC ...",
      "  .gradsweep/spark/3.5.8/pyspark         the Spark distribution used when SPARK_HOME is not set",
      "                                         (jobs/bin/spark-dist installs it on first use, about 320 MB)",
      "  jobs/bin/lib/log4j2-driver.properties  the driver's logging (warnings only)",
      "",
      "Exit status: 0 the sweep completed (diverged or unsolved trials are results), 2 usage or spec error (report:",
      "also no such sweep), 3 tracking backend unreachable or credentials refused (at the start, or records left to",
      "replay at the end), 4 Spark could not run one or more trials, 5 the sweep completed and was logged but the",
      "--results table could not be written, 1 other errors."};

  /** The end of the overview: environment, gradsweep's settings (from ConfKeys), files, exit statuses. */
  static final String[] FOOTER = footer();

  private HelpText() {}

  /** The end of each command's own help. */
  static final String[] COMMAND_FOOTER = {"", "gradsweep --help lists the environment variables and files the commands "
      + "read, and the exit statuses."};

  /** Makes {@code top}'s help the overview of all commands, and gives each command's help its headings. */
  static void install(CommandLine top) {
    for (CommandLine sub : top.getSubcommands().values()) {
      sub.getCommandSpec().usageMessage().descriptionHeading("%n").parameterListHeading("%nParameters:%n")
          .optionListHeading("%nOptions:%n").footer(COMMAND_FOOTER);
    }
    top.getCommandSpec().usageMessage().footer(FOOTER);
    Map<String, CommandLine.IHelpSectionRenderer> sections = top.getHelpSectionMap();
    sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_SYNOPSIS, HelpText::synopses);
    sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST, HelpText::commandList);
    sections.put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST, HelpText::allOptions);
    top.getCommandSpec().usageMessage().commandListHeading("%nCommands:%n").descriptionHeading("%n");
    top.setHelpSectionKeys(java.util.List.of(
        CommandLine.Model.UsageMessageSpec.SECTION_KEY_SYNOPSIS_HEADING,
        CommandLine.Model.UsageMessageSpec.SECTION_KEY_SYNOPSIS,
        CommandLine.Model.UsageMessageSpec.SECTION_KEY_DESCRIPTION_HEADING,
        CommandLine.Model.UsageMessageSpec.SECTION_KEY_DESCRIPTION,
        CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST_HEADING,
        CommandLine.Model.UsageMessageSpec.SECTION_KEY_COMMAND_LIST,
        CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST_HEADING,
        CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST,
        CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER_HEADING,
        CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER));
    top.getCommandSpec().usageMessage().optionListHeading("%nOptions:%n");
  }

  /** One synopsis per command, as picocli writes it from the command's declaration. */
  private static String synopses(Help help) {
    StringBuilder sb = new StringBuilder();
    String heading = "Usage: "; // printed before the first line
    for (CommandLine sub : byName(help).values()) {
      sb.append(sb.length() == 0 ? "" : " ".repeat(heading.length()));
      sb.append(sub.getHelp().synopsis(heading.length()));
    }
    sb.append(" ".repeat(heading.length())).append(help.commandSpec().qualifiedName())
        .append(" --help | COMMAND --help").append(System.lineSeparator());
    return sb.toString();
  }

  /** Each command with its whole description. */
  private static String commandList(Help help) {
    Help.TextTable table = Help.TextTable.forColumns(help.colorScheme(),
        new Column(NAME_COLUMN, 2, Column.Overflow.SPAN),
        new Column(WIDTH - NAME_COLUMN, 1, Column.Overflow.WRAP));
    byName(help).forEach((name, sub) -> table.addRowValues(name,
        String.join(" ", sub.getCommandSpec().usageMessage().description())));
    return table.toString();
  }

  /** The options of every command, each once, in the order the commands declare them. */
  private static String allOptions(Help help) {
    CommandSpec merged = CommandSpec.create();
    merged.usageMessage().width(WIDTH).sortOptions(false);
    Map<String, OptionSpec> seen = new LinkedHashMap<>();
    for (CommandLine sub : byName(help).values()) {
      for (OptionSpec o : sub.getCommandSpec().options()) {
        if (!o.hidden() && !o.usageHelp()) {
          seen.putIfAbsent(o.longestName(), o);
        }
      }
    }
    help.commandSpec().options().forEach(o -> seen.putIfAbsent(o.longestName(), o));
    seen.values().forEach(o -> merged.addOption(OptionSpec.builder(o).build()));
    return new Help(merged, help.colorScheme()).optionList();
  }

  /** The commands in help order (without picocli's {@code help} command). */
  private static Map<String, CommandLine> byName(Help help) {
    Map<String, CommandLine> out = new LinkedHashMap<>();
    Map<String, CommandLine> all = help.commandSpec().subcommands();
    for (String name : SweepJob.COMMANDS) {
      out.put(name, all.get(name));
    }
    return out;
  }
}
