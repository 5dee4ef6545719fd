package io.gradsweep.jobs;

import io.gradsweep.tracking.TrackingCredentials;
import io.gradsweep.tracking.TrackingTarget;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import io.gradsweep.tracking.TrackingSinks;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;

/** {@code --tracking-uri} and {@code --tracking-backend}, shared by the commands that log or read runs. */
final class TrackingOptions {
  /** The registered tracking backends (the test jar adds {@code memory}). */
  static final List<String> BACKENDS = TrackingSinks.NAMES;

  @Option(names = "--tracking-uri", paramLabel = "URI", description = {
      "MLflow server address, e.g. http://127.0.0.1:5000. Default: $MLFLOW_TRACKING_URI; with jobs/bin/gradsweep, "
          + "when neither is given (and the backend is mlflow), jobs/bin/mlflow-local start starts (or reuses) a "
          + "local MLflow server and its address is used. (replay) default: the server each spool was written for"})
  String uri;

  @Option(names = "--tracking-backend", paramLabel = "NAME", defaultValue = "mlflow", converter = Backend.class,
      description = "a registered tracking backend: mlflow (default) or none (log nothing)")
  String backend = "mlflow";

  /** The backends {@code --tracking-backend} accepts. */
  static final class Backend implements ITypeConverter<String> {
    @Override
    public String convert(String s) {
      if (!BACKENDS.contains(s)) {
        throw new TypeConversionException("unknown backend '" + s + "'; known: " + String.join(", ", BACKENDS));
      }
      return s;
    }
  }

  /** The URI given, else {@code $MLFLOW_TRACKING_URI}; null when neither is set. */
  String uriOrEnvironment(Map<String, String> env) {
    String u = uri;
    if (u == null || u.isBlank()) {
      u = env.get("MLFLOW_TRACKING_URI");
    }
    return u == null || u.isBlank() ? null : u;
  }

  /**
   * Where {@code command} logs or reads: the mlflow backend needs a URI ({@code localServerNote} says what
   * jobs/bin/gradsweep does when there is none) and reads the credentials from the environment.
   */
  TrackingTarget target(CommandSpec command, Map<String, String> env, String localServerNote) {
    String u = uriOrEnvironment(env);
    if (backend.equals("mlflow") && u == null) {
      throw new ParameterException(command.commandLine(), command.name() + ": no tracking URI; pass --tracking-uri "
          + "URI or set MLFLOW_TRACKING_URI (" + localServerNote + ")");
    }
    return new TrackingTarget(backend, backend.equals("mlflow") ? u : null, credentials(command, env));
  }

  /** MLflow credentials from the environment (none for the other backends); a half-given pair is a usage error. */
  TrackingCredentials credentials(CommandSpec command, Map<String, String> env) {
    if (!backend.equals("mlflow")) {
      return TrackingCredentials.none();
    }
    try {
      return TrackingCredentials.fromEnv(env::get);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage());
    }
  }
}
