package io.gradsweep.dl4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.engine.ParamBlock;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.task.Batch;
import io.gradsweep.task.SequenceTask;
import io.gradsweep.task.SequenceTasks;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;

/** A trial as a DL4J network: the same parameters from the same seed, DL4J's data layout, the engine's names. */
class TrialNetworksTest {
  private static TrialSpec trial(String task, String cell, int layers, long seed) {
    return new TrialSpec("e", "s", task, 16, 1, 6, cell, cell.equals("rnn") ? "tanh" : null, ClipSpec.NONE, 0,
        "sgd", 0.1, 5, layers, "default", seed, 4, 10, 10, 0.01, 10, 100, Map.of());
  }

  @Test
  void theSameSeedGivesTheSameNetworkAndAnotherSeedAnother() {
    TrialSpec t = trial("adding", "lstm", 2, 3);
    SequenceTask task = SequenceTasks.configured("adding", Map.of());
    MultiLayerNetwork a = TrialNetworks.network(t, task);
    MultiLayerNetwork b = TrialNetworks.network(t, task);
    assertTrue(a.params().equals(b.params()), "two networks of one trial differ");
    MultiLayerNetwork c = TrialNetworks.network(trial("adding", "lstm", 2, 4), task);
    assertTrue(!a.params().equals(c.params()));
    assertEquals(DataType.FLOAT, a.params().dataType());
  }

  @Test
  void aLastStepTaskIsLabelledAtItsLastStepOnly() {
    TrialSpec t = trial("adding", "gru", 1, 1);
    SequenceTask task = SequenceTasks.configured("adding", Map.of());
    Batch batch = task.sample(6, 3, new SplittableRandom(2), DataType.FLOAT);
    DataSet d = TrialNetworks.dataSet(batch, task);
    assertArrayEquals(new long[] {3, task.inputSize(), 6}, d.getFeatures().shape());
    assertArrayEquals(new long[] {3, task.outputSize(), 6}, d.getLabels().shape());
    // step t of example i is row t*B + i of the time-major batch
    assertEquals(batch.x().getDouble(4 * 3 + 2, 1), d.getFeatures().getDouble(2, 1, 4), 0.0);
    assertEquals(batch.y().getDouble(1, 0), d.getLabels().getDouble(1, 0, 5), 0.0);
    assertEquals(0.0, d.getLabels().getDouble(1, 0, 4), 0.0);
    assertEquals(1.0, d.getLabelsMaskArray().sumNumber().doubleValue() / 3, 0.0);
    assertEquals(1.0, d.getLabelsMaskArray().getDouble(0, 5), 0.0);
    MultiLayerNetwork net = TrialNetworks.network(t, task);
    assertArrayEquals(batch.y().shape(), TrialNetworks.output(net, batch, task).shape(),
        "the output has the shape SequenceTask.evaluate takes");
    assertTrue(Double.isFinite(task.evaluate(batch, TrialNetworks.output(net, batch, task)).get("loss")));
  }

  @Test
  void aTaskWithTargetsAtEveryStepHasNoMask() {
    SequenceTask task = SequenceTasks.configured("copy", Map.of());
    TrialSpec t = trial("copy", "lstm", 1, 1);
    Batch batch = task.sample(6, 2, new SplittableRandom(2), DataType.FLOAT);
    DataSet d = TrialNetworks.dataSet(batch, task);
    assertNull(d.getLabelsMaskArray());
    assertEquals(batch.steps(), d.getLabels().size(2));
    assertArrayEquals(batch.y().shape(), TrialNetworks.output(TrialNetworks.network(t, task), batch, task).shape());
  }

  @Test
  void blocksAndProfileUseTheEngineNames() {
    TrialSpec t = trial("adding", "lstm", 2, 1);
    SequenceTask task = SequenceTasks.configured("adding", Map.of());
    MultiLayerNetwork net = TrialNetworks.network(t, task);
    List<ParamBlock> blocks = TrialNetworks.blocks(net, TrialNetworks.copyParams(net));
    assertEquals(List.of("layer0/W", "layer0/R", "layer0/b", "layer1/W", "layer1/R", "layer1/b", "head/W", "head/b"),
        blocks.stream().map(ParamBlock::key).toList());
    Batch batch = task.sample(6, 3, new SplittableRandom(2), DataType.FLOAT);
    Map<String, double[]> profile = TrialNetworks.profile(net, TrialNetworks.dataSet(batch, task));
    assertEquals(List.of("layer0/dh", "layer0/dc", "layer1/dh", "layer1/dc", "input/dx"),
        List.copyOf(profile.keySet()));
    double[] top = profile.get("layer1/dh");
    assertEquals(task.steps(6), top.length);
    assertTrue(top[top.length - 1] > 0, "the last step's loss reaches the last hidden state");
  }
}
