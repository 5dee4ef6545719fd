package io.gradsweep.dl4j;

import static io.gradsweep.dl4j.Dl4jTestSupport.layer;
import static io.gradsweep.dl4j.Dl4jTestSupport.mask;
import static io.gradsweep.dl4j.Dl4jTestSupport.net;
import static io.gradsweep.dl4j.Dl4jTestSupport.random;
import static io.gradsweep.dl4j.Dl4jTestSupport.vec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The layer configurations survive DL4J's JSON and YAML round trips unchanged (every property, including the
 * engine ones), inside a MultiLayerNetwork and a ComputationGraph configuration; a trained network written with
 * {@link ModelSerializer} and restored gives identical outputs and continues training identically.
 */
class EngineSerializationTest {

  private static MultiLayerConfiguration config() {
    return new NeuralNetConfiguration.Builder()
        .seed(11).dataType(DataType.FLOAT).updater(new Adam(1e-2))
        .list()
        .layer(new EngineRnn.Builder().nOut(6).activation(Activation.RELU).initScheme("identity:rho=0.9")
            .tbpttBackLength(3).name("vanilla").build())
        .layer(new EngineLstm.Builder().nOut(5).forgetGateBiasInit(2.5).initScheme("orthogonal").build())
        .layer(new EngineGru.Builder().nOut(4).l2(1e-4).build())
        .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).nOut(2)
            .build())
        .setInputType(InputType.recurrent(3))
        .build();
  }

  @Test
  void multiLayerConfigurationJsonAndYamlRoundTrip() {
    MultiLayerConfiguration conf = config();
    String json = conf.toJson();
    assertTrue(json.contains("\"io.gradsweep.dl4j.EngineLstm\""), json);
    assertTrue(json.contains("\"initScheme\" : \"identity:rho=0.9\""), json);
    assertTrue(json.contains("\"forgetGateBiasInit\" : 2.5"), json);
    MultiLayerConfiguration back = MultiLayerConfiguration.fromJson(json);
    assertEquals(conf, back);
    assertEquals(json, back.toJson());
    EngineRnn rnn = assertInstanceOf(EngineRnn.class, back.getConf(0).getLayer());
    assertEquals("identity:rho=0.9", rnn.getInitScheme());
    assertEquals(3, rnn.getTbpttBackLength());
    assertEquals(3, rnn.getNIn());
    assertEquals(6, rnn.getNOut());
    assertEquals(RNNFormat.NCW, rnn.getRnnDataFormat());
    assertEquals(2.5, ((EngineLstm) back.getConf(1).getLayer()).getForgetGateBiasInit());
    assertInstanceOf(EngineGru.class, back.getConf(2).getLayer());
    // a changed property is not equal
    MultiLayerConfiguration other = MultiLayerConfiguration.fromJson(json);
    ((EngineLstm) other.getConf(1).getLayer()).setForgetGateBiasInit(1.0);
    assertNotEquals(conf, other);

    String yaml = conf.toYaml();
    assertEquals(conf, MultiLayerConfiguration.fromYaml(yaml));
  }

  @Test
  void computationGraphConfigurationJsonRoundTrip() {
    ComputationGraphConfiguration conf = new NeuralNetConfiguration.Builder()
        .seed(1).graphBuilder()
        .addInputs("in")
        .addLayer("gru", new EngineGru.Builder().nIn(3).nOut(4).dataFormat(RNNFormat.NWC).build(), "in")
        .addLayer("out", new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
            .nIn(4).nOut(1).dataFormat(RNNFormat.NWC).build(), "gru")
        .setOutputs("out")
        .build();
    String json = conf.toJson();
    ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(json);
    assertEquals(conf, back);
    assertEquals(json, back.toJson());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"ENABLED", "NONE"})
  void modelSerializerRestoresATrainedNetwork(WorkspaceMode ws, @TempDir Path dir) throws Exception {
    MultiLayerConfiguration conf = config();
    conf.setTrainingWorkspaceMode(ws);
    conf.setInferenceWorkspaceMode(ws);
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    SplittableRandom rng = new SplittableRandom(2);
    INDArray x = random(DataType.FLOAT, rng, 4, 3, 9);
    INDArray y = random(DataType.FLOAT, rng, 4, 2, 9);
    INDArray m = mask(DataType.FLOAT, 4, 9);
    for (int i = 0; i < 5; i++) {
      net.fit(x, y, m, m);
    }
    File file = dir.resolve("net.zip").toFile();
    ModelSerializer.writeModel(net, file, true);
    MultiLayerNetwork restored = ModelSerializer.restoreMultiLayerNetwork(file, true);

    assertEquals(net.getLayerWiseConfigurations(), restored.getLayerWiseConfigurations());
    assertArrayEquals(vec(net.params()), vec(restored.params()), 0.0, "parameters");
    assertArrayEquals(vec(net.getUpdater().getStateViewArray()), vec(restored.getUpdater().getStateViewArray()),
        0.0, "updater state");
    assertArrayEquals(vec(net.output(x, false, m, m)), vec(restored.output(x, false, m, m)), 0.0, "outputs");
    // both continue training the same way
    net.fit(x, y, m, m);
    restored.fit(x, y, m, m);
    assertArrayEquals(vec(net.params()), vec(restored.params()), 0.0, "parameters after one more step");
  }

  @Test
  void sameSeedSameInitialParameters() {
    MultiLayerNetwork a = net(5, 3, 2, layer("lstm", Activation.TANH, 3, 4), layer("gru", Activation.TANH, 4, 4));
    MultiLayerNetwork b = net(5, 3, 2, layer("lstm", Activation.TANH, 3, 4), layer("gru", Activation.TANH, 4, 4));
    MultiLayerNetwork c = net(6, 3, 2, layer("lstm", Activation.TANH, 3, 4), layer("gru", Activation.TANH, 4, 4));
    assertArrayEquals(vec(a.params()), vec(b.params()), 0.0);
    assertNotEquals(0.0, a.params().sub(c.params()).norm2Number().doubleValue());
  }
}
