package io.gradsweep.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The notebooks in notebooks/ are committed clean (no outputs, no execution counts) and open with a papermill
 * {@code parameters} cell that sets tracking_uri, sweep and experiment. AnalysisIT runs them.
 */
class NotebooksTest {
  static final Path NOTEBOOKS = Path.of("../notebooks");

  static List<Path> notebooks() throws IOException {
    try (Stream<Path> s = Files.list(NOTEBOOKS)) {
      return s.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
    }
  }

  @Test
  void notebooksAreCommittedWithoutOutputs() throws IOException {
    List<Path> nbs = notebooks();
    assertEquals(3, nbs.size(), nbs.toString());
    List<String> dirty = new ArrayList<>();
    for (Path nb : nbs) {
      int i = 0;
      for (JsonNode cell : new ObjectMapper().readTree(nb.toFile()).path("cells")) {
        if ("code".equals(cell.path("cell_type").asText())) {
          if (cell.path("outputs").size() > 0) {
            dirty.add(nb.getFileName() + " cell " + i + " has outputs");
          }
          if (!cell.path("execution_count").isNull()) {
            dirty.add(nb.getFileName() + " cell " + i + " has execution_count " + cell.path("execution_count"));
          }
        }
        i++;
      }
    }
    assertTrue(dirty.isEmpty(), "clear the outputs before committing (Jupyter: Edit > Clear Outputs of All Cells; "
        + "or jupyter nbconvert --clear-output --inplace notebooks/*.ipynb): " + dirty);
  }

  @Test
  void firstCodeCellIsTheParametersCell() throws IOException {
    for (Path nb : notebooks()) {
      JsonNode first = null;
      for (JsonNode cell : new ObjectMapper().readTree(nb.toFile()).path("cells")) {
        if ("code".equals(cell.path("cell_type").asText())) {
          first = cell;
          break;
        }
      }
      assertFalse(first == null, nb + " has no code cell");
      List<String> tags = new ArrayList<>();
      first.path("metadata").path("tags").forEach(t -> tags.add(t.asText()));
      assertTrue(tags.contains("parameters"), nb + ": the first code cell is not tagged 'parameters': " + tags);
      StringBuilder src = new StringBuilder();
      first.path("source").forEach(l -> src.append(l.asText()));
      for (String name : List.of("tracking_uri", "sweep", "experiment")) {
        assertTrue(src.toString().lines().anyMatch(l -> l.startsWith(name + " = ")), nb + " sets no " + name + ":\n"
            + src);
      }
      assertTrue(src.toString().lines().anyMatch(l -> l.equals("tracking_uri = \"\"")), nb + ": tracking_uri "
          + "defaults to empty (sweepreader.connect: $MLFLOW_TRACKING_URI, else the server jobs/bin/mlflow-local "
          + "runs)");
      assertTrue(src.toString().contains("MLFLOW_TRACKING_URI") && src.toString().contains("mlflow-local"),
          nb + ": the parameter's comment says where the default comes from");
      assertFalse(Files.readString(nb).contains("127.0.0.1:5000"), nb + " names no fixed server address");
    }
  }
}
