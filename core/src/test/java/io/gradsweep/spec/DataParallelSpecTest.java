package io.gradsweep.spec;

import static io.gradsweep.spec.SpecFixtures.assertError;
import static io.gradsweep.spec.SpecFixtures.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code training.data_parallel}: parsing, the checks against batch_size, clip and tbptt, params and ids. */
class DataParallelSpecTest {
  private static String spec(String dp, String grid) {
    return "name: t\nexperiment: e\ntask: {name: adding}\ntraining: {max_steps: 10" + dp + "}\ngrid: " + grid
        + "\n";
  }

  private static final String GRID = "{cell: [lstm], seq_len: [20]}";

  @Test
  void parsesAndSetsTheGlobalBatch() {
    List<TrialSpec> trials = parse(spec(", data_parallel: {workers: 2, averaging_frequency: 5, batch_per_worker: 8}",
        GRID)).trials();
    TrialSpec t = trials.get(0);
    assertEquals(new DataParallel(2, 5, 8), t.dataParallel());
    assertEquals(16, t.batchSize());
    assertEquals("workers=2,averaging_frequency=5,batch_per_worker=8", t.params().get("data_parallel"));
    assertTrue(t.displayName().endsWith(" dp=2x8/5"), t.displayName());
  }

  @Test
  void idsOfTrialsWithoutItAreUnchangedAndItChangesTheId() {
    TrialSpec plain = parse(spec(", batch_size: 16", GRID)).trials().get(0);
    assertNull(plain.dataParallel());
    assertTrue(!plain.params().containsKey("data_parallel"));
    TrialSpec dp = parse(spec(", data_parallel: {workers: 2, averaging_frequency: 1, batch_per_worker: 8}", GRID))
        .trials().get(0);
    assertNotEquals(plain.id(), dp.id());
    assertEquals(plain.id(), dp.asOneTask().id());
  }

  @Test
  void batchSizeMustBeTheWorkersTogether() {
    assertError(spec(", batch_size: 32, data_parallel: {workers: 2, averaging_frequency: 1, batch_per_worker: 8}",
        GRID), "training.batch_size", "is not workers * batch_per_worker = 2 * 8 = 16");
  }

  @Test
  void everyKeyIsRequiredAndChecked() {
    assertError(spec(", data_parallel: {workers: 2, batch_per_worker: 8}", GRID),
        "training.data_parallel.averaging_frequency", "required key is missing");
    assertError(spec(", data_parallel: {workers: 0, averaging_frequency: 1, batch_per_worker: 8}", GRID),
        "training.data_parallel.workers", "1..1024");
    assertError(spec(", data_parallel: {workers: 2, averaging_frequency: 1, batch_per_worker: 8, gpus: 1}", GRID),
        "training.data_parallel.gpus", "unknown key", "workers, averaging_frequency, batch_per_worker");
    assertError(spec(", data_parallel: 2", GRID), "training.data_parallel", "a mapping with keys");
  }

  @Test
  void earlyStoppingCheckpointsAndSchedulersAreRefused() {
    String dp = ", data_parallel: {workers: 2, averaging_frequency: 1, batch_per_worker: 8}";
    assertError(spec(dp + ", eval_every: 2, stop: {plateau: {evals: 2}}", GRID), "training.stop",
        "cannot be combined with training.data_parallel");
    assertError(spec(dp + ", checkpoint_every: 5", GRID), "training.data_parallel", "training.checkpoint_every");
    assertError(spec(dp + ", eval_every: 5", GRID).replace("grid:", "search: {scheduler: {asha: {min_steps: 5}}}\ngrid:"),
        "training.data_parallel", "search.scheduler");
  }

  @Test
  void clipAndTbpttAreRefused() {
    String dp = ", data_parallel: {workers: 2, averaging_frequency: 1, batch_per_worker: 8}";
    assertError(spec(dp, "{cell: [lstm], seq_len: [20], clip: [none, {mode: global_norm, threshold: 1}]}"), "grid.clip",
        "cannot be used with training.data_parallel");
    assertError(spec(dp, "{cell: [lstm], seq_len: [20], tbptt: [5]}"), "grid.tbptt",
        "cannot be used with training.data_parallel");
  }

  @Test
  void theRecordChecksItsValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DataParallel(2, 0, 8));
    assertTrue(e.getMessage().contains("averaging_frequency must be an integer 1..10000, got 0"), e.getMessage());
  }
}
