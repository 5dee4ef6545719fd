package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.testkit.MlflowRestReader;
import io.gradsweep.testkit.MlflowTestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every malformed spec of {@code src/test/resources/bad-specs/} is refused by {@code run} against a real MLflow
 * server: exit status 2, one clear message (the file, the problem and, from EXPECTED.tsv, the key or the problem
 * it names), no stack trace, and nothing written to MLflow.
 */
class BadSpecCorpusIT {
  static final Path CORPUS = Path.of("src/test/resources/bad-specs");

  @Test
  void everyMalformedSpecIsRefusedClearlyAndNothingIsLogged() throws IOException {
    Map<String, String> expected = new LinkedHashMap<>();
    for (String line : Files.readAllLines(CORPUS.resolve("EXPECTED.tsv"))) {
      if (!line.startsWith("#") && !line.isBlank()) {
        String[] f = line.split("\t", -1);
        expected.put(f[0], f.length > 1 ? f[1] : "");
      }
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(CORPUS)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertTrue(files.size() >= 40, "a corpus of at least 40 malformed specs, found " + files.size());
    assertEquals(expected.keySet(), files.stream().map(p -> p.getFileName().toString())
        .collect(java.util.stream.Collectors.toCollection(java.util.LinkedHashSet::new)), "EXPECTED.tsv covers the corpus");

    try (MlflowTestServer server = MlflowTestServer.start()) {
      MlflowRestReader reader = new MlflowRestReader(server.uri());
      List<String> before = reader.experimentNames();
      List<String> problems = new ArrayList<>();
      for (Path file : files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = SweepJob.run(new String[] {"run", file.toString(), "--tracking-uri", server.uri()},
            Map.of("OMP_NUM_THREADS", "1"), new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
        String msg = err.toString(StandardCharsets.UTF_8).strip();
        String name = file.getFileName().toString();
        String want = expected.get(name);
        String why = null;
        if (status != SweepJob.USAGE_ERROR) {
          why = "exit " + status;
        } else if (!msg.startsWith("gradsweep: invalid sweep spec " + file)) {
          why = "message does not name the file";
        } else if (!want.isEmpty() && !msg.toLowerCase(Locale.ROOT).contains(want.toLowerCase(Locale.ROOT))) {
          why = "message does not mention '" + want + "'";
        } else if (msg.contains("Exception") || msg.contains("\tat ") || msg.lines().count() > 3) {
          why = "message is a stack trace or too long";
        } else if (!out.toString(StandardCharsets.UTF_8).isEmpty()) {
          why = "printed to stdout";
        }
        System.out.println(name + " -> " + msg);
        if (why != null) {
          problems.add(name + ": " + why + ": " + msg);
        }
      }
      assertTrue(problems.isEmpty(), String.join("\n", problems));
      assertEquals(before, reader.experimentNames(), "no experiment was created");
      assertFalse(reader.experimentNames().contains("gradsweep-bad-specs"));
    }
  }
}
