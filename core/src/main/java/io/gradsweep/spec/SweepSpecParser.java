package io.gradsweep.spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * PLACEHOLDER (spark worktree only; the spec engineer owns the real one). Grammar: {@code name}, {@code
 * experiment}, and trial fields named as in {@link TrialSpec#params()}; a list value is a grid axis.
 */
public final class SweepSpecParser {
  private static final Set<String> FIELDS = Set.of("task", "seq_len", "cell", "activation", "clip", "tbptt",
      "optimizer", "lr", "hidden", "layers", "init", "seed", "batch_size", "max_steps", "eval_every", "eval_size",
      "eval_seed", "solve_threshold");

  private SweepSpecParser() {}

  public static SweepSpec parseFile(Path file) {
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    } catch (IOException e) {
      throw new SpecException("", "cannot read " + file + ": " + e.getMessage());
    }
  }

  public static SweepSpec parse(String yamlText, String sourceName) {
    Object root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(yamlText);
    } catch (RuntimeException e) {
      throw new SpecException("", sourceName + " is not valid YAML: " + e.getMessage());
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw new SpecException("", sourceName + ": expected a mapping at the top level");
    }
    String name = null;
    String experiment = null;
    Map<String, List<String>> axes = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      String key = String.valueOf(e.getKey());
      Object v = e.getValue();
      if (key.equals("name")) {
        name = String.valueOf(v);
      } else if (key.equals("experiment")) {
        experiment = String.valueOf(v);
      } else if (FIELDS.contains(key)) {
        List<String> values = new ArrayList<>();
        if (v instanceof List<?> l) {
          l.forEach(x -> values.add(String.valueOf(x)));
        } else {
          values.add(String.valueOf(v));
        }
        axes.put(key, values);
      } else {
        throw new SpecException(key, "unknown key '" + key + "'; allowed: name, experiment, "
            + String.join(", ", new java.util.TreeSet<>(FIELDS)));
      }
    }
    if (name == null) {
      throw new SpecException("name", "missing");
    }
    List<Map<String, String>> combos = new ArrayList<>();
    combos.add(new LinkedHashMap<>());
    for (Map.Entry<String, List<String>> axis : axes.entrySet()) {
      List<Map<String, String>> next = new ArrayList<>();
      for (Map<String, String> c : combos) {
        for (String value : axis.getValue()) {
          Map<String, String> m = new LinkedHashMap<>(c);
          m.put(axis.getKey(), value);
          next.add(m);
        }
      }
      combos = next;
    }
    String exp = experiment == null ? name : experiment;
    List<TrialSpec> trials = new ArrayList<>();
    for (Map<String, String> c : combos) {
      trials.add(trial(exp, name, c));
    }
    Map<String, String> sweepParams = new LinkedHashMap<>();
    sweepParams.put("sweep", name);
    sweepParams.put("trials", Integer.toString(trials.size()));
    axes.forEach((k, v) -> sweepParams.put(k, v.size() == 1 ? v.get(0) : v.toString()));
    return new SweepSpec(name, exp, yamlText, trials, sweepParams);
  }

  private static TrialSpec trial(String experiment, String sweep, Map<String, String> c) {
    String clip = c.getOrDefault("clip", "none");
    ClipSpec clipSpec;
    try {
      int colon = clip.indexOf(':');
      clipSpec = colon < 0 ? new ClipSpec(ClipMode.fromWord(clip), 1.0)
          : new ClipSpec(ClipMode.fromWord(clip.substring(0, colon)), Double.parseDouble(clip.substring(colon + 1)));
    } catch (IllegalArgumentException e) {
      throw new SpecException("clip", e.getMessage());
    }
    String cell = c.getOrDefault("cell", "rnn");
    try {
      return new TrialSpec(experiment, sweep, c.getOrDefault("task", "adding"), i(c, "eval_size", 64),
          i(c, "eval_seed", 7), i(c, "seq_len", 10), cell,
          cell.equals("rnn") ? c.getOrDefault("activation", "tanh") : null, clipSpec,
          c.getOrDefault("tbptt", "none").equals("none") ? 0 : i(c, "tbptt", 0), c.getOrDefault("optimizer", "adam"),
          Double.parseDouble(c.getOrDefault("lr", "0.01")), i(c, "hidden", 8), i(c, "layers", 1),
          c.getOrDefault("init", "default"), i(c, "seed", 1), i(c, "batch_size", 16), i(c, "max_steps", 20),
          i(c, "eval_every", 5), Double.parseDouble(c.getOrDefault("solve_threshold", "0.05")));
    } catch (IllegalArgumentException e) {
      throw new SpecException("", e.getMessage());
    }
  }

  private static int i(Map<String, String> c, String key, int dflt) {
    String v = c.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new SpecException(key, "expected an integer, got '" + v + "'");
    }
  }
}
