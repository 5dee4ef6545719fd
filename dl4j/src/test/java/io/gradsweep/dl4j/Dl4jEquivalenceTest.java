package io.gradsweep.dl4j;

import static io.gradsweep.dl4j.Dl4jTestSupport.mask;
import static io.gradsweep.dl4j.Dl4jTestSupport.maxRelDiff;
import static io.gradsweep.dl4j.Dl4jTestSupport.net;
import static io.gradsweep.dl4j.Dl4jTestSupport.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * With the same weights, {@link EngineRnn} and {@link EngineLstm} compute what DL4J's own {@code SimpleRnn} and
 * {@code LSTM} (sigmoid gates, tanh activation) compute: layer outputs, the parameter gradients of every layer of
 * the network, and the gradient at the network input, to 1e-6 relative in double precision. Two stacked layers,
 * several minibatch sizes and lengths, without a mask and with trailing padding masked (where DL4J's masking and
 * ours agree on the gradients and on the outputs of the real steps). The worst relative difference seen is
 * printed per combination.
 */
class Dl4jEquivalenceTest {
  private static final double TOL = 1e-6;
  private static final int N_IN = 3;
  private static final int HIDDEN = 5;
  private static final int N_OUT = 2;

  /** Our LSTM gate block k (i, f, g, o) is DL4J's block DL4J_BLOCK[k] (DL4J orders them g, f, o, i). */
  private static final int[] DL4J_BLOCK = {3, 1, 0, 2};

  static Stream<Arguments> combos() {
    List<Arguments> out = new ArrayList<>();
    for (String cell : List.of("rnn/tanh", "rnn/relu", "rnn/sigmoid", "rnn/identity", "lstm")) {
      for (int batch : new int[] {1, 4}) {
        for (int steps : new int[] {1, 6}) {
          for (boolean trailingMask : new boolean[] {false, true}) {
            out.add(Arguments.of(cell, batch, steps, trailingMask));
          }
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} batch={1} T={2} trailingMask={3}")
  @MethodSource("combos")
  void sameOutputsAndGradientsAsDl4j(String cell, int batch, int steps, boolean trailingMask) {
    String combo = cell + " batch=" + batch + " T=" + steps + " trailingMask=" + trailingMask;
    boolean lstm = cell.equals("lstm");
    Activation act = lstm ? Activation.TANH : Activation.valueOf(cell.substring(4).toUpperCase());
    MultiLayerNetwork ours;
    MultiLayerNetwork theirs;
    if (lstm) {
      ours = net(1, N_IN, N_OUT, new EngineLstm.Builder().nOut(HIDDEN).build(),
          new EngineLstm.Builder().nOut(HIDDEN).build());
      theirs = net(2, N_IN, N_OUT, dl4jLstm(), dl4jLstm());
    } else {
      ours = net(1, N_IN, N_OUT, new EngineRnn.Builder().nOut(HIDDEN).activation(act).build(),
          new EngineRnn.Builder().nOut(HIDDEN).activation(act).build());
      theirs = net(2, N_IN, N_OUT, new SimpleRnn.Builder().nOut(HIDDEN).activation(act).build(),
          new SimpleRnn.Builder().nOut(HIDDEN).activation(act).build());
    }
    // DL4J's initial weights (biases made non-zero) copied into ours, gate blocks mapped
    theirs.params().addi(random(DataType.DOUBLE, new SplittableRandom(3), theirs.params().shape()).muli(0.2));
    for (int l = 0; l < 3; l++) {
      for (String key : theirs.getLayer(l).paramTable().keySet()) {
        INDArray p = theirs.getLayer(l).getParam(key).dup();
        ours.getLayer(l).setParam(key, lstm && l < 2 ? toOurs(p) : p);
      }
    }

    SplittableRandom rng = new SplittableRandom(7 + batch * 10L + steps);
    INDArray x = random(DataType.DOUBLE, rng, batch, N_IN, steps);
    INDArray y = random(DataType.DOUBLE, rng, batch, N_OUT, steps);
    INDArray m = null;
    if (trailingMask) {
      m = mask(DataType.DOUBLE, batch, steps);
      for (int i = 0; i < batch; i++) {
        // keep only trailing padding: a complete example, then examples shorter by i steps
        for (int t = 0; t < steps; t++) {
          m.putScalar(i, t, t < Math.max(1, steps - i) ? 1.0 : 0.0);
        }
      }
    }

    List<INDArray> oursFf = ours.feedForward(x, m, m);
    List<INDArray> theirsFf = theirs.feedForward(x, m, m);
    for (int l = 1; l <= 3; l++) {
      INDArray a = oursFf.get(l);
      INDArray b = theirsFf.get(l);
      if (m != null) {
        // DL4J's LSTM computes the masked (padding) steps too and leaves their masking to the loss; ours outputs
        // zero there. Present steps must agree.
        INDArray m3 = m.reshape(batch, 1, steps);
        a = a.mul(m3);
        b = b.mul(m3);
      }
      double d = maxRelDiff(a, b, 1e-12);
      assertTrue(d < TOL, combo + ": activations of layer " + (l - 1) + " differ by " + d + "\nours   "
          + a + "\ntheirs " + b);
    }

    Pair<Gradient, INDArray> go = ours.calculateGradients(x, y, m, m);
    Pair<Gradient, INDArray> gt = theirs.calculateGradients(x, y, m, m);
    double worst = 0;
    for (String key : gt.getFirst().gradientForVariable().keySet()) {
      INDArray t = gt.getFirst().getGradientFor(key);
      INDArray o = go.getFirst().getGradientFor(key);
      boolean recurrent = !key.startsWith("2_");
      INDArray expected = lstm && recurrent ? toOurs(t.dup()) : t;
      double d = maxRelDiff(o, expected, 1e-12);
      worst = Math.max(worst, d);
      assertTrue(d < TOL, combo + ": gradient " + key + " differs by " + d + "\nours   " + o + "\ntheirs "
          + expected);
    }
    double dIn = maxRelDiff(go.getSecond(), gt.getSecond(), 1e-12);
    assertTrue(dIn < TOL, combo + ": input gradient differs by " + dIn);
    assertEquals(gt.getFirst().gradientForVariable().size(), go.getFirst().gradientForVariable().size(), combo);
    System.out.printf("equivalence %s: worst relative difference %.2e (parameter gradients), %.2e (input gradient)%n",
        combo, worst, dIn);
  }

  private static LSTM dl4jLstm() {
    return new LSTM.Builder().nOut(HIDDEN).activation(Activation.TANH).gateActivationFunction(Activation.SIGMOID)
        .build();
  }

  /** DL4J's LSTM parameter [rows, 4H] (blocks g, f, o, i) in our block order (i, f, g, o). */
  static INDArray toOurs(INDArray dl4j) {
    INDArray src = dl4j.dup('c');
    INDArray dst = src.dup('c');
    for (int k = 0; k < 4; k++) {
      int from = DL4J_BLOCK[k];
      dst.get(NDArrayIndex.all(), NDArrayIndex.interval((long) k * HIDDEN, (long) (k + 1) * HIDDEN))
          .assign(src.get(NDArrayIndex.all(), NDArrayIndex.interval((long) from * HIDDEN,
              (long) (from + 1) * HIDDEN)));
    }
    return dst;
  }
}
