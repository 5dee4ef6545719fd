package io.gradsweep.task;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/** The known tasks by their spec word. */
public final class SequenceTasks {
  private static final Map<String, Supplier<SequenceTask>> KNOWN = new TreeMap<>(Map.of("adding", AddingTask::new));

  private SequenceTasks() {}

  public static List<String> names() {
    return List.copyOf(KNOWN.keySet());
  }

  public static SequenceTask byName(String name) {
    Supplier<SequenceTask> s = KNOWN.get(name);
    if (s == null) {
      throw new IllegalArgumentException("unknown task '" + name + "'; known tasks: " + String.join(", ", names()));
    }
    return s.get();
  }
}
