package io.gradsweep.jobs.dataparallel;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.dl4j.EngineLstm;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

class Dl4jSparkProbeTest {
  @Test
  void parameterAveragingTrainsEngineLstmOnLocal2() {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().seed(1).dataType(DataType.FLOAT)
        .updater(new Sgd(0.1)).list()
        .layer(new EngineLstm.Builder().nIn(2).nOut(8).build())
        .layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY).nOut(1)
            .build())
        .setInputType(InputType.recurrent(2)).build();
    SparkConf sc = new SparkConf().setMaster("local[2]").setAppName("probe").set("spark.ui.enabled", "false");
    try (JavaSparkContext jsc = new JavaSparkContext(sc)) {
      List<DataSet> data = new ArrayList<>();
      Nd4j.getRandom().setSeed(3);
      for (int i = 0; i < 8; i++) {
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 2, 5);
        INDArray y = x.sum(true, 1);
        data.add(new DataSet(x, y));
      }
      JavaRDD<DataSet> rdd = jsc.parallelize(data, 2);
      ParameterAveragingTrainingMaster tm = new ParameterAveragingTrainingMaster.Builder(4)
          .batchSizePerWorker(4).averagingFrequency(1).workerPrefetchNumBatches(0).build();
      SparkDl4jMultiLayer net = new SparkDl4jMultiLayer(jsc, conf, tm);
      INDArray before = net.getNetwork().params().dup();
      net.fit(rdd);
      INDArray after = net.getNetwork().params();
      assertFalse(before.equalsWithEps(after, 1e-7), "parameters did not move");
      assertTrue(Double.isFinite(net.getScore()));
      System.out.println("probe score " + net.getScore());
    }
  }
}
