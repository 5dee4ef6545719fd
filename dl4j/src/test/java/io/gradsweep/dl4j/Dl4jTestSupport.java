package io.gradsweep.dl4j;

import java.util.SplittableRandom;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** Networks, data and comparisons shared by the DL4J layer tests. */
final class Dl4jTestSupport {
  private Dl4jTestSupport() {}

  /** A recurrent layer of the given cell word; {@code act} applies to rnn only. */
  static EngineRecurrent layer(String cell, Activation act, int nIn, int nOut) {
    return switch (cell) {
      case "lstm" -> new EngineLstm.Builder().nIn(nIn).nOut(nOut).build();
      case "gru" -> new EngineGru.Builder().nIn(nIn).nOut(nOut).build();
      default -> new EngineRnn.Builder().nIn(nIn).nOut(nOut).activation(act).build();
    };
  }

  /** Stacked recurrent layers and an identity/MSE RnnOutputLayer. */
  static MultiLayerNetwork net(long seed, DataType dt, IUpdater updater, WorkspaceMode ws, int nIn, int nOutputs,
      Layer... recurrent) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(seed).dataType(dt).updater(updater)
        .trainingWorkspaceMode(ws).inferenceWorkspaceMode(ws)
        .list();
    for (Layer l : recurrent) {
      b.layer(l);
    }
    b.layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MSE).activation(Activation.IDENTITY)
        .nOut(nOutputs).build());
    MultiLayerConfiguration conf = b.setInputType(InputType.recurrent(nIn)).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }

  static MultiLayerNetwork net(long seed, int nIn, int nOutputs, Layer... recurrent) {
    return net(seed, DataType.DOUBLE, new NoOp(), WorkspaceMode.ENABLED, nIn, nOutputs, recurrent);
  }

  /** Uniform values in [-1, 1), [d0, d1, ...]. */
  static INDArray random(DataType dt, SplittableRandom rng, long... shape) {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    double[] v = new double[(int) n];
    for (int i = 0; i < v.length; i++) {
      v[i] = rng.nextDouble(-1, 1);
    }
    return Nd4j.create(v, shape, DataType.DOUBLE).castTo(dt);
  }

  /**
   * A [batch, steps] 0/1 mask: example 0 complete; then trailing padding, leading padding and a gap in the
   * middle for the following examples (with one example: a gap).
   */
  static INDArray mask(DataType dt, int batch, int steps) {
    double[][] m = new double[batch][steps];
    for (int i = 0; i < batch; i++) {
      java.util.Arrays.fill(m[i], 1.0);
    }
    if (steps > 1) {
      if (batch == 1) {
        m[0][steps / 2] = 0.0;
      }
      for (int i = 1; i < batch; i++) {
        switch (i % 3) {
          case 1 -> m[i][steps - 1] = 0.0; // trailing
          case 2 -> m[i][0] = 0.0; // leading
          default -> m[i][steps / 2] = 0.0; // gap
        }
      }
    }
    return Nd4j.create(m).castTo(dt);
  }

  /** Largest element-wise relative difference |a-b| / max(|a|, |b|), over elements not both below {@code floor}. */
  static double maxRelDiff(INDArray a, INDArray b, double floor) {
    double[] x = a.castTo(DataType.DOUBLE).dup('c').reshape(a.length()).toDoubleVector();
    double[] y = b.castTo(DataType.DOUBLE).dup('c').reshape(b.length()).toDoubleVector();
    if (x.length != y.length) {
      throw new AssertionError("lengths differ: " + x.length + " vs " + y.length);
    }
    double worst = 0;
    for (int i = 0; i < x.length; i++) {
      double scale = Math.max(Math.abs(x[i]), Math.abs(y[i]));
      double diff = Math.abs(x[i] - y[i]);
      if (scale < floor) {
        if (diff > floor) {
          worst = Math.max(worst, 1.0);
        }
        continue;
      }
      worst = Math.max(worst, diff / scale);
    }
    return worst;
  }

  /** All elements in row-major order, as doubles. */
  static double[] vec(INDArray a) {
    return a.castTo(DataType.DOUBLE).dup('c').reshape(a.length()).toDoubleVector();
  }
}
