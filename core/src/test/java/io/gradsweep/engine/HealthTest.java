package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradsweep.task.Batch;
import io.gradsweep.task.SequenceTask;
import io.gradsweep.task.SequenceTasks;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The one-pass Java health statistics agree with the same statistics computed by ND4J ops. */
class HealthTest {

  private static double frac(INDArray mask) {
    return mask.castTo(DataType.DOUBLE).meanNumber().doubleValue();
  }

  @ParameterizedTest
  @CsvSource({"TANH,FLOAT", "TANH,DOUBLE", "SIGMOID,FLOAT", "RELU,FLOAT", "RELU,DOUBLE", "IDENTITY,FLOAT"})
  void vanillaRnnHealthMatchesNd4j(Activation act, DataType dtype) {
    SequenceTask task = SequenceTasks.byName("adding");
    // large initial weights so that tanh/sigmoid saturate and some relu units die
    RecurrentNet net = new RecurrentNet(new NetSpec("rnn", act, task.inputSize(), 12, 1, task.outputSize(),
        InitScheme.fromWord("default:rho=3"), 1.0), 5, dtype);
    Batch b = task.sample(15, 8, new SplittableRandom(2), dtype);
    net.computeGradient(b.x(), b.y(), 15, 8, 0);
    RecurrentLayer l = net.layers().get(0);
    INDArray h = l.hiddenStates();
    Map<String, Double> got = l.health();
    switch (act) {
      case TANH -> assertEquals(frac(Transforms.abs(h, true).gt(0.99)), got.get("saturated_frac"), 1e-12);
      case SIGMOID -> assertEquals(frac(h.lt(0.01)) + frac(h.gt(0.99)), got.get("saturated_frac"), 1e-12);
      case RELU -> {
        INDArray alive = h.gt(0.0).castTo(DataType.DOUBLE).max(0);
        assertEquals(1.0 - alive.meanNumber().doubleValue(), got.get("dead_frac"), 1e-12);
        assertEquals(frac(h.eq(0.0)), got.get("zero_frac"), 1e-12);
      }
      case IDENTITY -> assertEquals(h.ameanNumber().doubleValue(), got.get("mean_abs_h"),
          1e-6 * h.ameanNumber().doubleValue());
    }
  }

  @Test
  void blockMeansMatchTheMeanOfEachBlock() {
    INDArray g = Nd4j.rand(DataType.FLOAT, 37, 4 * 9);
    double[] means = RecurrentLayer.blockMeans(g, 4, 9);
    for (int k = 0; k < 4; k++) {
      assertEquals(blockMean(g, k, 9), means[k], 1e-6);
    }
  }

  /** Reference: the mean of gate block k by ND4J. */
  private static double blockMean(INDArray gates, int k, int hidden) {
    return gates.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
        org.nd4j.linalg.indexing.NDArrayIndex.interval((long) k * hidden, (long) (k + 1) * hidden))
        .meanNumber().doubleValue();
  }
}
