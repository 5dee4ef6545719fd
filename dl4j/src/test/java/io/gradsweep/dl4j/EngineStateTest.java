package io.gradsweep.dl4j;

import static io.gradsweep.dl4j.Dl4jTestSupport.layer;
import static io.gradsweep.dl4j.Dl4jTestSupport.net;
import static io.gradsweep.dl4j.Dl4jTestSupport.random;
import static io.gradsweep.dl4j.Dl4jTestSupport.vec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;

/**
 * Stored state: {@code rnnTimeStep} over a sequence, one step (or a few) at a time, gives the outputs of one full
 * forward pass; the state can be read, cleared and set; the TBPTT state carried from one segment changes the next
 * segment's output, and carrying it gives the outputs of the unsegmented sequence.
 */
class EngineStateTest {
  private static final int N_IN = 3;
  private static final int HIDDEN = 5;

  private static MultiLayerNetwork twoLayers(String cell, DataType dt, WorkspaceMode ws) {
    return net(7, dt, new NoOp(), ws, N_IN, 2, layer(cell, Activation.TANH, N_IN, HIDDEN),
        layer(cell, Activation.TANH, HIDDEN, HIDDEN));
  }

  private static INDArray steps(INDArray x, long from, long to) {
    return x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(from, to));
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @CsvSource({"rnn,DOUBLE,ENABLED", "lstm,DOUBLE,ENABLED", "gru,DOUBLE,ENABLED", "rnn,FLOAT,NONE",
      "lstm,FLOAT,NONE", "gru,FLOAT,ENABLED", "lstm,DOUBLE,NONE"})
  void rnnTimeStepEqualsFullForwardPass(String cell, DataType dt, WorkspaceMode ws) {
    String combo = cell + " " + dt + " " + ws;
    MultiLayerNetwork net = twoLayers(cell, dt, ws);
    int batch = 3;
    int steps = 7;
    INDArray x = random(dt, new SplittableRandom(1), batch, N_IN, steps);
    INDArray full = net.output(x);

    net.rnnClearPreviousState();
    for (int t = 0; t < steps; t++) {
      INDArray out = net.rnnTimeStep(steps(x, t, t + 1));
      assertArrayEquals(vec(steps(full, t, t + 1)), vec(out), 0.0, combo + ": step " + t);
    }
    // 2d input [batch, nIn] is one step too; chunks of several steps continue the same state
    net.rnnClearPreviousState();
    INDArray a = net.rnnTimeStep(x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(0)));
    assertArrayEquals(vec(steps(full, 0, 1)), vec(a), 0.0, combo + ": 2d step");
    INDArray b = net.rnnTimeStep(steps(x, 1, 4));
    INDArray c = net.rnnTimeStep(steps(x, 4, steps));
    assertArrayEquals(vec(steps(full, 1, 4)), vec(b), 0.0, combo + ": chunk 1..3");
    assertArrayEquals(vec(steps(full, 4, steps)), vec(c), 0.0, combo + ": chunk 4..");

    // the stored state: read, clear, set back
    Map<String, INDArray> state = net.rnnGetPreviousState(0);
    assertEquals(cell.equals("lstm") ? 2 : 1, state.size(), combo + ": state keys " + state.keySet());
    assertEquals(List.of(batch, HIDDEN), List.of((int) state.get("prevAct").size(0),
        (int) state.get("prevAct").size(1)), combo);
    Map<String, INDArray> state1 = net.rnnGetPreviousState(1);
    INDArray next = random(dt, new SplittableRandom(2), batch, N_IN, 1);
    INDArray continued = net.rnnTimeStep(next);
    net.rnnClearPreviousState();
    assertTrue(net.rnnGetPreviousState(0).isEmpty(), combo);
    INDArray fresh = net.rnnTimeStep(next);
    assertNotEquals(0.0, fresh.sub(continued).norm2Number().doubleValue(), combo + ": state matters");
    net.rnnSetPreviousState(0, state);
    net.rnnSetPreviousState(1, state1);
    assertArrayEquals(vec(continued), vec(net.rnnTimeStep(next)), 0.0, combo + ": restored state");

    // a different minibatch size without clearing the state is an error naming the cause
    Exception e = assertThrows(Exception.class, () -> net.rnnTimeStep(random(dt, new SplittableRandom(3), 2,
        N_IN, 1)));
    assertTrue(String.valueOf(e.getMessage()).contains("rnnClearPreviousState"), e.toString());
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"rnn,ENABLED", "lstm,ENABLED", "gru,ENABLED", "rnn,NONE", "lstm,NONE", "gru,NONE"})
  void tbpttStateCarriesAcrossSegments(String cell, WorkspaceMode ws) {
    String combo = cell + " " + ws;
    MultiLayerNetwork net = twoLayers(cell, DataType.DOUBLE, ws);
    int batch = 2;
    INDArray x = random(DataType.DOUBLE, new SplittableRandom(5), batch, N_IN, 10);
    INDArray full = net.output(x);

    net.rnnClearPreviousState();
    List<INDArray> seg1 = net.rnnActivateUsingStoredState(steps(x, 0, 6), true, true);
    List<INDArray> seg2 = net.rnnActivateUsingStoredState(steps(x, 6, 10), true, true);
    INDArray out1 = seg1.get(seg1.size() - 1);
    INDArray out2 = seg2.get(seg2.size() - 1);
    assertArrayEquals(vec(steps(full, 0, 6)), vec(out1), 0.0, combo + ": segment 1");
    assertArrayEquals(vec(steps(full, 6, 10)), vec(out2), 0.0, combo + ": segment 2 continues segment 1");

    // without the carried state the second segment's output differs
    net.rnnClearPreviousState();
    List<INDArray> alone = net.rnnActivateUsingStoredState(steps(x, 6, 10), true, true);
    assertNotEquals(0.0, alone.get(alone.size() - 1).sub(out2).norm2Number().doubleValue(), combo);

    // storeLastForTBPTT=false leaves the stored state as it was
    net.rnnClearPreviousState();
    net.rnnActivateUsingStoredState(steps(x, 0, 6), true, false);
    assertNull(((EngineRecurrentLayer) net.getLayer(0)).rnnGetTBPTTState().get("prevAct"), combo);
  }
}
