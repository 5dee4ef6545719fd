package io.gradsweep.dl4j;

import static io.gradsweep.dl4j.Dl4jTestSupport.layer;
import static io.gradsweep.dl4j.Dl4jTestSupport.mask;
import static io.gradsweep.dl4j.Dl4jTestSupport.net;
import static io.gradsweep.dl4j.Dl4jTestSupport.random;
import static io.gradsweep.dl4j.Dl4jTestSupport.vec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * Parameter layout and initialisation, data formats, validation messages, workspaces (ENABLED and NONE train
 * identically and leave nothing open), training with and without truncated BPTT in a MultiLayerNetwork and a
 * ComputationGraph.
 */
class EngineLayerTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource({"rnn,1,W RW b", "lstm,4,W RW b", "gru,3,W RW b Rb"})
  void parameterKeysShapesAndViews(String cell, int blocks, String keys) {
    int h = 4;
    MultiLayerNetwork net = net(1, 3, 2, layer(cell, Activation.TANH, 3, h), layer(cell, Activation.TANH, h, h));
    EngineRecurrent conf = (EngineRecurrent) net.getLayerWiseConfigurations().getConf(1).getLayer();
    EngineParamInitializer init = EngineParamInitializer.getInstance();
    assertEquals(List.of(keys.split(" ")), init.paramKeys(conf));
    long g = (long) h * blocks;
    long expected = h * g + h * g + g + (cell.equals("gru") ? h : 0);
    assertEquals(expected, init.numParams(conf));
    assertEquals(expected, net.getLayer(1).numParams());
    assertTrue(init.isWeightParam(conf, "RW") && init.isBiasParam(conf, "b") && !init.isBiasParam(conf, "W"));

    // the views of layer 1 (not at the start of the network's vector) are row-major slices in key order
    INDArray flat = net.getLayer(1).params();
    long offset = 0;
    for (String key : keys.split(" ")) {
      INDArray p = net.getLayer(1).getParam(key);
      long cols = p.columns();
      p.putScalar(p.rows() - 1, cols - 1, 42.0);
      assertEquals(42.0, flat.getDouble(offset + p.length() - 1), 0.0, cell + " " + key);
      p.putScalar(0, 0, -42.0);
      assertEquals(-42.0, flat.getDouble(offset), 0.0, cell + " " + key);
      if (p.rows() > 1) {
        p.putScalar(1, 0, 7.0);
        assertEquals(7.0, flat.getDouble(offset + cols), 0.0, cell + " " + key + " row-major");
      }
      offset += p.length();
    }
    // the gradient views follow the same layout
    net.initGradientsView();
    INDArray gflat = net.getLayer(1).getGradientsViewArray();
    Map<String, INDArray> gv = init.getGradientsFromFlattened(net.getLayerWiseConfigurations().getConf(1), gflat);
    gv.get("b").putScalar(0, 1, 5.0);
    assertEquals(5.0, gflat.getDouble(h * g + h * g + 1), 0.0);
  }

  @Test
  void initSchemeAndForgetBiasAreApplied() {
    int h = 3;
    MultiLayerNetwork net = net(1, 2, 1,
        new EngineLstm.Builder().nIn(2).nOut(h).forgetGateBiasInit(2.0).initScheme("identity").build(),
        new EngineRnn.Builder().nOut(h).initScheme("orthogonal:rho=0.5").build());
    INDArray rw = net.getLayer(0).getParam("RW");
    INDArray b = net.getLayer(0).getParam("b");
    for (int k = 0; k < 4; k++) {
      for (int i = 0; i < h; i++) {
        for (int j = 0; j < h; j++) {
          assertEquals(i == j ? 1.0 : 0.0, rw.getDouble(i, k * h + j), 0.0, "identity block " + k);
        }
        assertEquals(k == 1 ? 2.0 : 0.0, b.getDouble(0, k * h + i), 0.0, "bias block " + k);
      }
    }
    double rho = io.gradsweep.engine.Spectral.spectralRadius(net.getLayer(1).getParam("RW").dup());
    assertEquals(0.5, rho, 1e-6);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"rnn", "lstm", "gru"})
  void nwcGivesTheTransposeOfNcw(String cell) {
    MultiLayerNetwork ncw = net(3, 3, 2, layer(cell, Activation.TANH, 3, 4));
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(3).dataType(DataType.DOUBLE)
        .updater(new NoOp()).list()
        .layer(switch (cell) {
          case "lstm" -> new EngineLstm.Builder().nIn(3).nOut(4).dataFormat(RNNFormat.NWC).build();
          case "gru" -> new EngineGru.Builder().nIn(3).nOut(4).dataFormat(RNNFormat.NWC).build();
          default -> new EngineRnn.Builder().nIn(3).nOut(4).dataFormat(RNNFormat.NWC).build();
        })
        .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).nIn(4)
            .nOut(2).dataFormat(RNNFormat.NWC).build())
        .build();
    MultiLayerNetwork nwc = new MultiLayerNetwork(conf);
    nwc.init();
    nwc.setParams(ncw.params().dup());
    SplittableRandom rng = new SplittableRandom(1);
    INDArray x = random(DataType.DOUBLE, rng, 2, 3, 5);
    INDArray y = random(DataType.DOUBLE, rng, 2, 2, 5);
    INDArray m = mask(DataType.DOUBLE, 2, 5);
    INDArray outNcw = ncw.output(x, false, m, m);
    INDArray outNwc = nwc.output(x.permute(0, 2, 1).dup(), false, m, m);
    assertArrayEquals(vec(outNcw), vec(outNwc.permute(0, 2, 1)), 1e-15, cell);
    Pair<Gradient, INDArray> gNcw = ncw.calculateGradients(x, y, m, m);
    Pair<Gradient, INDArray> gNwc = nwc.calculateGradients(x.permute(0, 2, 1).dup(), y.permute(0, 2, 1).dup(), m, m);
    assertArrayEquals(vec(gNcw.getFirst().gradient()), vec(gNwc.getFirst().gradient()), 1e-15, cell);
    assertArrayEquals(vec(gNcw.getSecond()), vec(gNwc.getSecond().permute(0, 2, 1)), 1e-15, cell);
  }

  @Test
  @SuppressWarnings("deprecation") // DataType.HALF, to show it is rejected
  void invalidConfigurationsAndInputsAreRejectedWithTheirValues() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new EngineLstm.Builder().nIn(2).nOut(3).activation(Activation.RELU).build());
    assertTrue(e.getMessage().contains("tanh") && e.getMessage().contains("relu"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new EngineRnn.Builder().nIn(2).nOut(3).activation(Activation.SOFTMAX).build());
    assertTrue(e.getMessage().contains("allowed: tanh, relu (plain), sigmoid, identity"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new EngineGru.Builder().nIn(2).nOut(3).initScheme("xavier").build());
    assertTrue(e.getMessage().contains("'xavier'") && e.getMessage().contains("default, identity, orthogonal"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> new EngineGru.Builder().nIn(2).nOut(3).tbpttBackLength(-1).build());
    assertTrue(e.getMessage().contains("-1"), e.getMessage());

    MultiLayerNetwork net = net(1, 2, 1, layer("gru", Activation.TANH, 2, 3));
    INDArray x = Nd4j.zeros(DataType.DOUBLE, 2, 2, 4);
    INDArray half = Nd4j.ones(DataType.DOUBLE, 2, 4).muli(0.5);
    Exception ex = assertThrows(Exception.class, () -> net.output(x, false, half, null));
    assertTrue(String.valueOf(ex.getMessage()).contains("0 or 1"), ex.toString());
    Exception wrongSize = assertThrows(Exception.class, () -> net.output(Nd4j.zeros(DataType.DOUBLE, 2, 5, 4)));
    assertTrue(String.valueOf(wrongSize.getMessage()).contains("nIn"), wrongSize.toString());

    MultiLayerConfiguration halfConf = new NeuralNetConfiguration.Builder().dataType(DataType.HALF).list()
        .layer(new EngineRnn.Builder().nIn(2).nOut(3).build())
        .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).nIn(3)
            .nOut(1).build())
        .build();
    Exception h = assertThrows(Exception.class, () -> new MultiLayerNetwork(halfConf).init());
    assertTrue(String.valueOf(h.getMessage()).contains("FLOAT or DOUBLE"), h.toString());
  }

  private static MultiLayerNetwork trainable(String cell, WorkspaceMode ws, boolean tbptt) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(21).dataType(DataType.FLOAT).updater(new Adam(2e-2))
        .trainingWorkspaceMode(ws).inferenceWorkspaceMode(ws)
        .list()
        .layer(layer(cell, Activation.TANH, 1, 8))
        .layer(layer(cell, Activation.TANH, 8, 8))
        .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).nOut(1)
            .build())
        .setInputType(InputType.recurrent(1));
    MultiLayerConfiguration conf = tbptt
        ? b.backpropType(BackpropType.TruncatedBPTT).tBPTTForwardLength(6).tBPTTBackwardLength(3).build()
        : b.build();
    MultiLayerNetwork net = new MultiLayerNetwork(EngineRecurrent.inheritTbpttBackLength(conf));
    net.init();
    return net;
  }

  /** Echo task: y_t = x_{t-2}, a two-step memory. */
  private static INDArray[] echo(SplittableRandom rng, int batch, int steps) {
    INDArray x = random(DataType.FLOAT, rng, batch, 1, steps);
    INDArray y = Nd4j.zeros(DataType.FLOAT, batch, 1, steps);
    y.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(2, steps))
        .assign(x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, steps - 2)));
    return new INDArray[] {x, y};
  }

  @ParameterizedTest(name = "{0} tbptt={1}")
  @CsvSource({"rnn,false", "lstm,false", "gru,false", "rnn,true", "lstm,true", "gru,true"})
  void workspacesEnabledAndNoneTrainIdenticallyAndLearn(String cell, boolean tbptt) {
    String combo = cell + " tbptt=" + tbptt;
    MultiLayerNetwork withWs = trainable(cell, WorkspaceMode.ENABLED, tbptt);
    MultiLayerNetwork without = trainable(cell, WorkspaceMode.NONE, tbptt);
    assertArrayEquals(vec(withWs.params()), vec(without.params()), 0.0, combo);
    SplittableRandom rng = new SplittableRandom(8);
    INDArray[] test = echo(new SplittableRandom(99), 16, 12);
    double before = withWs.score(new org.nd4j.linalg.dataset.DataSet(test[0], test[1]));
    for (int i = 0; i < 60; i++) {
      INDArray[] d = echo(rng, 16, 12);
      INDArray m = i % 2 == 0 ? null : mask(DataType.FLOAT, 16, 12);
      withWs.fit(d[0], d[1], m, m);
      without.fit(d[0], d[1], m, m);
      assertFalse(Nd4j.getWorkspaceManager().anyWorkspaceActiveForCurrentThread(), combo + ": open workspace");
    }
    assertArrayEquals(vec(withWs.params()), vec(without.params()), 0.0, combo + ": parameters after training");
    if (tbptt) {
      // the last backward pass (second segment of 6 steps, back length 3 inherited from the network) stopped
      // 3 steps before the segment end, in both layers
      for (int l = 0; l < 2; l++) {
        INDArray dh = ((EngineRecurrentLayer) withWs.getLayer(l)).engineLayer().hiddenGradients();
        assertEquals(6 * 16, dh.rows(), combo);
        assertEquals(0.0, dh.get(NDArrayIndex.interval(0, 3 * 16), NDArrayIndex.all()).norm2Number()
            .doubleValue(), 0.0, combo + ": layer " + l + " beyond the back length");
        assertTrue(dh.get(NDArrayIndex.interval(3 * 16, 6 * 16), NDArrayIndex.all()).norm2Number()
            .doubleValue() > 0, combo + ": layer " + l + " inside the window");
      }
    }
    double after = withWs.score(new org.nd4j.linalg.dataset.DataSet(test[0], test[1]));
    assertTrue(after < 0.6 * before, combo + ": test loss " + before + " -> " + after);

    // stored states and engine buffers are outside workspaces
    withWs.rnnClearPreviousState();
    withWs.rnnTimeStep(test[0]);
    INDArray state = withWs.rnnGetPreviousState(0).get("prevAct");
    assertFalse(state.isAttached(), combo);
    EngineRecurrentLayer l0 = (EngineRecurrentLayer) withWs.getLayer(0);
    assertNotNull(l0.engineLayer().hiddenGradients(), combo);
    assertFalse(l0.engineLayer().hiddenGradients().isAttached(), combo);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"ENABLED", "NONE"})
  void computationGraphTrainsWithTruncatedBptt(WorkspaceMode ws) {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(4).dataType(DataType.FLOAT).updater(new Adam(2e-2))
        .trainingWorkspaceMode(ws).inferenceWorkspaceMode(ws)
        .graphBuilder()
        .addInputs("in")
        .addLayer("lstm", new EngineLstm.Builder().nIn(1).nOut(8).build(), "in")
        .addLayer("gru", new EngineGru.Builder().nIn(8).nOut(8).build(), "lstm")
        .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
            .nIn(8).nOut(1).build(), "gru")
        .setOutputs("out")
        .setInputTypes(InputType.recurrent(1))
        .backpropType(BackpropType.TruncatedBPTT).tBPTTForwardLength(6).tBPTTBackwardLength(3)
        .build();
    ComputationGraph g = new ComputationGraph(conf);
    g.init();
    SplittableRandom rng = new SplittableRandom(3);
    INDArray[] test = echo(new SplittableRandom(99), 16, 12);
    double before = g.score(new org.nd4j.linalg.dataset.DataSet(test[0], test[1]));
    for (int i = 0; i < 60; i++) {
      INDArray[] d = echo(rng, 16, 12);
      g.fit(new INDArray[] {d[0]}, new INDArray[] {d[1]});
    }
    double after = g.score(new org.nd4j.linalg.dataset.DataSet(test[0], test[1]));
    assertTrue(after < 0.6 * before, ws + ": test loss " + before + " -> " + after);
    assertFalse(Nd4j.getWorkspaceManager().anyWorkspaceActiveForCurrentThread());
  }
}
