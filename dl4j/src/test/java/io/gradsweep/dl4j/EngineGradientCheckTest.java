package io.gradsweep.dl4j;

import static io.gradsweep.dl4j.Dl4jTestSupport.layer;
import static io.gradsweep.dl4j.Dl4jTestSupport.mask;
import static io.gradsweep.dl4j.Dl4jTestSupport.net;
import static io.gradsweep.dl4j.Dl4jTestSupport.random;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DL4J's {@link GradientCheckUtil} on networks of engine layers, as DL4J's own {@code RnnGradientChecks}: double
 * precision, NoOp updater, every parameter perturbed; for each cell (and each activation of {@code rnn}) over
 * minibatch sizes, sequence lengths, feature masks (trailing and leading padding, gaps) and one or two stacked
 * layers. The combination is in the failure message.
 */
class EngineGradientCheckTest {
  private static final double EPS = 1e-6;
  private static final double MAX_REL_ERROR = 1e-5;
  private static final double MIN_ABS_ERROR = 1e-9;
  private static final int N_IN = 3;
  private static final int HIDDEN = 4;
  private static final int N_OUT = 2;

  private static DataType savedDefault;
  private static DataType savedFloatDefault;

  /** GradientCheckUtil requires ND4J's default data type to be DOUBLE; restored afterwards for other tests. */
  @BeforeAll
  static void doubleDefaults() {
    savedDefault = Nd4j.dataType();
    savedFloatDefault = Nd4j.defaultFloatingPointType();
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  @AfterAll
  static void restoreDefaults() {
    Nd4j.setDefaultDataTypes(savedDefault, savedFloatDefault);
  }

  static Stream<Arguments> combos() {
    List<Arguments> out = new ArrayList<>();
    for (String cell : List.of("rnn", "lstm", "gru")) {
      List<Activation> acts = cell.equals("rnn")
          ? List.of(Activation.TANH, Activation.RELU, Activation.SIGMOID, Activation.IDENTITY)
          : List.of(Activation.TANH);
      for (Activation act : acts) {
        for (int batch : new int[] {1, 3}) {
          for (int steps : new int[] {1, 5}) {
            for (boolean masked : new boolean[] {false, true}) {
              for (int layers : new int[] {1, 2}) {
                if (masked && steps == 1) {
                  continue; // nothing to mask in one step
                }
                out.add(Arguments.of(cell, act, batch, steps, masked, layers));
              }
            }
          }
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}/{1} batch={2} T={3} masked={4} layers={5}")
  @MethodSource("combos")
  void gradientsMatchFiniteDifferences(String cell, Activation act, int batch, int steps, boolean masked,
      int layers) {
    String combo = cell + "/" + act + " batch=" + batch + " T=" + steps + " masked=" + masked + " layers=" + layers;
    Layer[] stack = new Layer[layers];
    for (int l = 0; l < layers; l++) {
      stack[l] = layer(cell, act, l == 0 ? N_IN : HIDDEN, HIDDEN);
    }
    MultiLayerNetwork net = net(12345, N_IN, N_OUT, stack);
    // non-zero biases and larger weights, so that every path carries a visible gradient
    SplittableRandom rng = new SplittableRandom(31L * batch + steps);
    net.params().addi(random(DataType.DOUBLE, rng, net.params().shape()).muli(0.3));
    INDArray x = random(DataType.DOUBLE, rng, batch, N_IN, steps);
    INDArray y = random(DataType.DOUBLE, rng, batch, N_OUT, steps);
    INDArray m = masked ? mask(DataType.DOUBLE, batch, steps) : null;

    boolean ok = GradientCheckUtil.checkGradients(new GradientCheckUtil.MLNConfig().net(net).input(x).labels(y)
        .inputMask(m).epsilon(EPS).maxRelError(MAX_REL_ERROR).minAbsoluteError(MIN_ABS_ERROR)
        .print(GradientCheckUtil.PrintMode.FAILURES_ONLY).exitOnFirstError(false));
    assertTrue(ok, "gradient check failed for " + combo + " (failing parameters are logged above)");
  }
}
