package io.gradsweep.task;

import io.gradsweep.plugin.Registry;
import io.gradsweep.plugin.UnknownPluginException;
import java.util.List;
import java.util.Map;

/**
 * The registered {@link SequenceTask}s, by the word users write as {@code task.name}, in the order of
 * {@code META-INF/services/io.gradsweep.task.SequenceTask}. Thread-safe.
 */
public final class SequenceTasks {
  private static final Registry<SequenceTask> REGISTRY = Registry.load(SequenceTask.class, "task", "tasks");

  private SequenceTasks() {}

  /** The registry itself. */
  public static Registry<SequenceTask> registry() {
    return REGISTRY;
  }

  /** The names of all tasks, e.g. {@code [adding]}. */
  public static List<String> names() {
    return REGISTRY.names();
  }

  /** All tasks, in registry order. */
  public static List<SequenceTask> all() {
    return REGISTRY.all();
  }

  /**
   * The task with this name (a shared, stateless instance).
   *
   * @throws UnknownPluginException if no task has this name (the message lists them and suggests the closest)
   */
  public static SequenceTask byName(String name) {
    return REGISTRY.byName(name);
  }

  /**
   * The task with this name and these options ({@link SequenceTask#configure}; empty = the defaults).
   *
   * @throws UnknownPluginException if no task has this name
   * @throws IllegalArgumentException if an option is unknown to the task or out of range
   */
  public static SequenceTask configured(String name, Map<String, String> options) {
    SequenceTask t = REGISTRY.byName(name);
    return options == null || options.isEmpty() ? t : t.configure(options);
  }
}
