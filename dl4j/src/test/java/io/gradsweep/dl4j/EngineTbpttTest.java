package io.gradsweep.dl4j;

import static io.gradsweep.dl4j.Dl4jTestSupport.layer;
import static io.gradsweep.dl4j.Dl4jTestSupport.random;
import static io.gradsweep.dl4j.Dl4jTestSupport.vec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Truncated BPTT: within a segment of length T, with a loss at every step, gradients flow back at most
 * {@code backLength} steps: the gradient reaching an input further back than that from every loss (steps
 * {@code t < T - backLength}) is exactly zero, the output gradients of those steps change nothing, and a back length
 * as long as the segment is full BPTT. Checked on the layer ({@code tbpttBackpropGradient}, the
 * {@code ComputationGraph} path) and on a {@code MultiLayerNetwork} trained with truncated BPTT (which, in DL4J
 * 1.0.0-M2.1, goes through {@code backpropGradient} and the layers' configured back length).
 */
class EngineTbpttTest {
  private static final int N_IN = 3;
  private static final int HIDDEN = 5;
  private static final int SEGMENT = 12;
  private static final int BACK = 4;

  /** Two engine layers and no output layer, with truncated BPTT configured on the network. */
  private static MultiLayerNetwork recurrentOnly(String cell, WorkspaceMode ws) {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(3).dataType(DataType.DOUBLE).updater(new NoOp())
        .trainingWorkspaceMode(ws).inferenceWorkspaceMode(ws)
        .list()
        .layer(layer(cell, Activation.TANH, N_IN, HIDDEN))
        .layer(layer(cell, Activation.TANH, HIDDEN, HIDDEN))
        .setInputType(InputType.recurrent(N_IN))
        .backpropType(BackpropType.TruncatedBPTT).tBPTTForwardLength(SEGMENT).tBPTTBackwardLength(BACK)
        .build();
    MultiLayerNetwork net = new MultiLayerNetwork(EngineRecurrent.inheritTbpttBackLength(conf));
    net.init();
    return net;
  }

  private static double stepNorm(INDArray a, int t) {
    return a.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(t)).norm2Number().doubleValue();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"rnn,ENABLED", "lstm,ENABLED", "gru,ENABLED", "rnn,NONE", "lstm,NONE", "gru,NONE"})
  void networkGradientStopsBackLengthStepsBeforeTheSegmentEnd(String cell, WorkspaceMode ws) {
    String combo = cell + " " + ws;
    MultiLayerNetwork net = recurrentOnly(cell, ws);
    assertEquals(BACK, ((EngineRecurrent) net.getLayerWiseConfigurations().getConf(0).getLayer())
        .getTbpttBackLength(), combo);
    SplittableRandom rng = new SplittableRandom(9);
    INDArray x = random(DataType.DOUBLE, rng, 2, N_IN, 2 * SEGMENT);
    INDArray eps = random(DataType.DOUBLE, rng, 2, HIDDEN, SEGMENT); // a loss at every step

    net.rnnClearPreviousState();
    net.rnnActivateUsingStoredState(x.get(NDArrayIndex.all(), NDArrayIndex.all(),
        NDArrayIndex.interval(0, SEGMENT)), true, true);
    net.updateRnnStateWithTBPTTState();
    INDArray seg2 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(SEGMENT, 2 * SEGMENT));
    net.rnnActivateUsingStoredState(seg2, true, true);
    Pair<Gradient, INDArray> g = net.backpropGradient(eps, LayerWorkspaceMgr.noWorkspaces());
    INDArray dx = g.getSecond().dup();
    INDArray grads = g.getFirst().gradient().dup();
    for (int t = 0; t < SEGMENT; t++) {
      if (t < SEGMENT - BACK) {
        assertEquals(0.0, stepNorm(dx, t), 0.0, combo + ": input gradient at step " + t);
      } else {
        assertNotEquals(0.0, stepNorm(dx, t), combo + ": input gradient at step " + t);
      }
    }
    // the output gradients of steps outside the window change nothing
    INDArray eps2 = eps.dup();
    eps2.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, SEGMENT - BACK)).muli(-3.0);
    net.rnnClearPreviousState();
    net.rnnActivateUsingStoredState(x.get(NDArrayIndex.all(), NDArrayIndex.all(),
        NDArrayIndex.interval(0, SEGMENT)), true, true);
    net.updateRnnStateWithTBPTTState();
    net.rnnActivateUsingStoredState(seg2, true, true);
    Pair<Gradient, INDArray> g2 = net.backpropGradient(eps2, LayerWorkspaceMgr.noWorkspaces());
    assertArrayEquals(vec(grads), vec(g2.getFirst().gradient()), 0.0, combo + ": parameter gradients");
    assertArrayEquals(vec(dx), vec(g2.getSecond()), 0.0, combo + ": input gradients");

    // the carried state matters: from a zero state the same segment gives other gradients
    net.rnnClearPreviousState();
    net.rnnActivateUsingStoredState(seg2, true, true);
    INDArray fromZero = net.backpropGradient(eps, LayerWorkspaceMgr.noWorkspaces()).getFirst().gradient();
    assertNotEquals(0.0, fromZero.sub(grads).norm2Number().doubleValue(), combo);

    // a forward pass that does not store the state for TBPTT is followed by full BPTT
    net.rnnActivateUsingStoredState(seg2, true, false);
    INDArray full = net.backpropGradient(eps, LayerWorkspaceMgr.noWorkspaces()).getSecond();
    assertNotEquals(0.0, stepNorm(full, 0), combo + ": full BPTT reaches step 0");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"rnn", "lstm", "gru"})
  void layerTbpttBackpropGradient(String cell) {
    MultiLayerNetwork net = recurrentOnly(cell, WorkspaceMode.NONE);
    net.initGradientsView();
    EngineRecurrentLayer l = (EngineRecurrentLayer) net.getLayer(0);
    SplittableRandom rng = new SplittableRandom(4);
    INDArray x = random(DataType.DOUBLE, rng, 3, N_IN, SEGMENT);
    INDArray eps = random(DataType.DOUBLE, rng, 3, HIDDEN, SEGMENT);
    LayerWorkspaceMgr mgr = LayerWorkspaceMgr.noWorkspaces();
    l.rnnClearPreviousState();
    l.rnnActivateUsingStoredState(x, true, true, mgr);
    for (int back : new int[] {1, BACK, SEGMENT - 1}) {
      INDArray dx = l.tbpttBackpropGradient(eps, back, mgr).getSecond().dup();
      for (int t = 0; t < SEGMENT; t++) {
        if (t < SEGMENT - back) {
          assertEquals(0.0, stepNorm(dx, t), 0.0, cell + " back=" + back + ": step " + t);
        } else {
          assertTrue(stepNorm(dx, t) > 0, cell + " back=" + back + ": step " + t);
        }
      }
      // the engine's per-step gradient profile shows the same window
      INDArray dh = l.engineLayer().hiddenGradients();
      assertEquals(0.0, dh.get(NDArrayIndex.interval(0, (long) (SEGMENT - back) * 3), NDArrayIndex.all())
          .norm2Number().doubleValue(), 0.0, cell + " back=" + back);
    }
    // a back length as long as the segment (or none) is full BPTT
    INDArray fullGrad = l.tbpttBackpropGradient(eps, SEGMENT, mgr).getFirst().gradient().dup();
    INDArray noneGrad = l.tbpttBackpropGradient(eps, 0, mgr).getFirst().gradient().dup();
    INDArray bpGrad = l.backpropGradient(eps, mgr).getFirst().gradient().dup();
    assertArrayEquals(vec(fullGrad), vec(noneGrad), 0.0, cell);
    // backpropGradient after a TBPTT forward pass uses the configured back length (4), not full BPTT
    assertNotEquals(0.0, bpGrad.sub(fullGrad).norm2Number().doubleValue(), cell);
    assertArrayEquals(vec(l.tbpttBackpropGradient(eps, BACK, mgr).getFirst().gradient()), vec(bpGrad), 0.0, cell);
  }
}
