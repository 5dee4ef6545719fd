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

  // ---------------------------------------------------------------- in a variant

  private static final String DP = "data_parallel: {workers: 2, averaging_frequency: 1, batch_per_worker: 8}";

  /** batch_size 16, one grid point, and the given variants. */
  private static String mixed(String training, String variants) {
    return "name: t\nexperiment: e\ntask: {name: adding}\ntraining: {max_steps: 10, batch_size: 16" + training
        + "}\ngrid: " + GRID + "\nvariants:\n" + variants;
  }

  private static final String MIXED = "  - {}\n  - {" + DP + "}\n";

  @Test
  void aVariantWithDataParallelMixesWithOneTaskTrials() {
    SweepSpec spec = parse(mixed("", MIXED));
    List<TrialSpec> trials = spec.trials();
    assertEquals(2, trials.size());
    TrialSpec plain = trials.get(0);
    TrialSpec dp = trials.get(1);
    assertNull(plain.dataParallel());
    assertEquals(new DataParallel(2, 1, 8), dp.dataParallel());
    assertEquals("workers=2,averaging_frequency=1,batch_per_worker=8", dp.params().get("data_parallel"));
    assertEquals(16, dp.batchSize());
    // the one-task trial is exactly the trial of the same grid without variants; the other differs only by dp
    TrialSpec alone = parse(spec(", batch_size: 16", GRID)).trials().get(0);
    assertEquals(alone, plain);
    assertEquals(alone.id(), plain.id());
    assertEquals(plain, dp.asOneTask());
    assertNotEquals(plain.id(), dp.id());
    assertEquals(spec.space().blocks().get(1).dataParallel().orElseThrow(), dp.dataParallel());
    assertTrue(spec.space().blocks().get(0).dataParallel().isEmpty());
    assertEquals("[{}, {data_parallel: {workers=2,averaging_frequency=1,batch_per_worker=8}}]",
        spec.sweepParams().get("variants"));
    assertTrue(!spec.sweepParams().containsKey("training.data_parallel"));
  }

  @Test
  void theDocsExample() {
    SweepSpec spec = parse("""
        name: t
        experiment: e
        task: {name: adding}
        training: {batch_size: 64, max_steps: 200}
        grid: {cell: [lstm], seq_len: [100], seeds: [1, 2]}
        variants:
          - {}                           # the grid as it is: 2 trials of one task each
          - seeds: [1]                   # the same LSTM, seed 1, on 2 executors: 1 trial
            data_parallel: {workers: 2, averaging_frequency: 1, batch_per_worker: 32}
        """);
    assertEquals(List.of("lstm T100 h32 adam 0.001 s1", "lstm T100 h32 adam 0.001 s2",
        "lstm T100 h32 adam 0.001 s1 dp=2x32/1"), spec.trials().stream().map(TrialSpec::displayName).toList());
    assertEquals("[{}, {seeds: [1], data_parallel: {workers=2,averaging_frequency=1,batch_per_worker=32}}]",
        spec.sweepParams().get("variants"));
  }

  @Test
  void aVariantMayCarryAxesAndDataParallelTogether() {
    List<TrialSpec> trials = parse(mixed("", "  - {seeds: [1, 2]}\n  - {seeds: [3], " + DP + "}\n")).trials();
    assertEquals(List.of(1L, 2L, 3L), trials.stream().map(TrialSpec::seed).toList());
    assertEquals(List.of(false, false, true), trials.stream().map(t -> t.dataParallel() != null).toList());
  }

  @Test
  void aVariantsBatchMustBeTrainingBatchSize() {
    assertError(mixed("", "  - {}\n  - {data_parallel: {workers: 4, averaging_frequency: 1, batch_per_worker: 8}}\n"),
        "variants[1].data_parallel", "workers * batch_per_worker = 4 * 8 = 32 is not training.batch_size 16",
        "set training.batch_size: 32");
    // the default batch_size (32) counts too
    assertError(spec("", GRID) + "variants: [{" + DP + "}]\n", "variants[0].data_parallel",
        "is not training.batch_size 32");
  }

  @Test
  void aVariantsDataParallelIsCheckedLikeTrainings() {
    assertError(mixed("", "  - {data_parallel: {workers: 2, batch_per_worker: 8}}\n"),
        "variants[0].data_parallel.averaging_frequency", "required key is missing");
    assertError(mixed("", "  - {data_parallel: {workers: 2, averaging_frequency: 1, batch_per_worker: 8, gpus: 1}}\n"),
        "variants[0].data_parallel.gpus", "unknown key", "workers, averaging_frequency, batch_per_worker");
    assertError(mixed("", "  - {data_parallel: [{workers: 2, averaging_frequency: 1, batch_per_worker: 8}]}\n"),
        "variants[0].data_parallel", "one mapping with keys", "not an axis");
    assertError(mixed("", "  - {data_paralel: {}}\n"), "variants[0].data_paralel", "unknown key",
        "data_parallel");
    assertError(mixed("", "  - {}\n").replace("grid: {", "grid: {" + DP + ", "), "grid.data_parallel",
        "not an axis of grid", "in training", "or in a variant");
  }

  @Test
  void trainingAndVariantDataParallelTogetherAreRefused() {
    assertError(mixed(", " + DP, MIXED), "variants[1].data_parallel", "training.data_parallel is set too",
        "not both");
  }

  @Test
  void aDataParallelVariantRefusesClipAndTbpttButOtherVariantsKeepThem() {
    String clip = "clip: [{mode: global_norm, threshold: 1}]";
    SweepSpec ok = parse(mixed("", "  - {" + clip + ", tbptt: [5]}\n  - {" + DP + "}\n"));
    assertTrue(ok.trials().get(0).clip().enabled());
    assertEquals(5, ok.trials().get(0).tbptt());
    assertError(mixed("", "  - {}\n  - {" + clip + ", " + DP + "}\n"), "variants[1].clip",
        "cannot be used with variants[1].data_parallel", "drop variants[1].data_parallel");
    assertError(mixed("", "  - {}\n  - {tbptt: [5], " + DP + "}\n"), "variants[1].tbptt",
        "cannot be used with variants[1].data_parallel");
  }

  @Test
  void aDataParallelVariantRefusesEarlyStoppingCheckpointsAndSchedulers() {
    assertError(mixed(", eval_every: 2, stop: {plateau: {evals: 2}}", MIXED), "variants[1].data_parallel",
        "cannot be combined with training.stop");
    assertError(mixed(", checkpoint_every: 5", MIXED), "variants[1].data_parallel", "training.checkpoint_every");
    assertError(mixed(", eval_every: 5", MIXED).replace("grid:", "search: {scheduler: {asha: {min_steps: 5}}}\ngrid:"),
        "variants[1].data_parallel", "search.scheduler");
  }

  @Test
  void theRecordChecksItsValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DataParallel(2, 0, 8));
    assertTrue(e.getMessage().contains("averaging_frequency must be an integer 1..10000, got 0"), e.getMessage());
  }
}
