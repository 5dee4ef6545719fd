package io.gradsweep.dl4j;

import io.gradsweep.engine.InitScheme;
import io.gradsweep.engine.ParamBlock;
import io.gradsweep.engine.RecurrentLayer;
import io.gradsweep.optim.Optimizers;
import io.gradsweep.probe.GradientProfiler;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.task.Batch;
import io.gradsweep.task.SequenceTask;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A trial ({@link TrialSpec}) as a DL4J network of the engine's layers, and its data in DL4J's layout: what a
 * data-parallel trial trains (module jobs, {@code training.data_parallel}). No Spark.
 *
 * <p>The network: {@code layers} engine layers ({@link EngineRnn}, {@link EngineLstm}, {@link EngineGru}) named
 * {@code layer0, layer1, ...} as in the engine, initialised by the trial's init scheme from the trial seed, and an
 * {@code RnnOutputLayer} named {@code head}: identity and MSE for a regression task, softmax and cross-entropy for
 * a classification task; a task read at the last step masks the labels of the other steps. The optimizer is the
 * trial's ({@link Optimizers}), in FLOAT.
 *
 * <p>Loss: DL4J's score is the sum over the labelled steps of the per-step loss, averaged over the minibatch; for a
 * task read at the last step this is the engine's loss, for a task with targets at every step (copy) it is
 * {@code steps} times the engine's per-step mean.
 */
public final class TrialNetworks {
  /** Layer name of the output layer, as the engine's {@code head} blocks. */
  public static final String HEAD = "head";

  private TrialNetworks() {}

  /** The trial's network, initialised. */
  public static MultiLayerNetwork network(TrialSpec spec, SequenceTask task) {
    NeuralNetConfiguration.ListBuilder b = new NeuralNetConfiguration.Builder()
        .seed(spec.seed()).dataType(DataType.FLOAT)
        .updater(Optimizers.byName(spec.optimizer()).config(spec.lr()))
        .list();
    for (int i = 0; i < spec.layers(); i++) {
      b.layer(recurrent(spec, i, i == 0 ? task.inputSize() : spec.hidden()));
    }
    boolean mse = task.loss() == SequenceTask.Loss.MSE;
    b.layer(new RnnOutputLayer.Builder(mse ? LossFunctions.LossFunction.MSE : LossFunctions.LossFunction.MCXENT)
        .activation(mse ? Activation.IDENTITY : Activation.SOFTMAX).name(HEAD).nOut(task.outputSize()).build());
    MultiLayerConfiguration conf = b.setInputType(InputType.recurrent(task.inputSize())).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    initialise(net, spec.seed());
    return net;
  }

  /**
   * The parameters from the trial seed alone: each engine layer by its {@link InitScheme} from its own stream, the
   * head's weights Xavier-uniform, its bias zero. ({@code MultiLayerNetwork.init()} draws from ND4J's random
   * generator, whose draws after {@code setSeed} were seen to differ between two networks built in a row with the
   * same seed in one JVM (1.0.0-M2.1); a trial must be the same network wherever it is built.)
   */
  static void initialise(MultiLayerNetwork net, long seed) {
    SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 0x1417L);
    for (Layer l : net.getLayers()) {
      if (l instanceof EngineRecurrentLayer) {
        EngineRecurrent conf = (EngineRecurrent) l.conf().getLayer();
        RecurrentLayer cell = conf.createCell("init", l.getParam(EngineParamInitializer.WEIGHT_KEY).dataType());
        Map<String, INDArray> byEngineKey = new LinkedHashMap<>();
        l.paramTable().forEach((k, v) -> byEngineKey.put(EngineParamInitializer.engineKey(k), v));
        cell.bind(byEngineKey, null);
        cell.init(rng.split(), InitScheme.fromWord(conf.getInitScheme()));
      } else {
        INDArray w = l.getParam("W");
        SplittableRandom r = rng.split();
        double a = Math.sqrt(6.0 / (w.size(0) + w.size(1)));
        double[] v = new double[(int) w.length()];
        for (int i = 0; i < v.length; i++) {
          v[i] = r.nextDouble(-a, a);
        }
        w.assign(Nd4j.create(v, w.shape(), DataType.DOUBLE).castTo(w.dataType()));
        l.getParam("b").assign(0.0);
      }
    }
  }

  private static EngineRecurrent recurrent(TrialSpec spec, int index, int nIn) {
    String name = "layer" + index;
    return switch (spec.cell()) {
      case "lstm" -> new EngineLstm.Builder().nIn(nIn).nOut(spec.hidden()).initScheme(spec.init()).name(name)
          .build();
      case "gru" -> new EngineGru.Builder().nIn(nIn).nOut(spec.hidden()).initScheme(spec.init()).name(name).build();
      case "rnn" -> new EngineRnn.Builder().nIn(nIn).nOut(spec.hidden()).initScheme(spec.init()).name(name)
          .activation(Activation.valueOf((spec.activation() == null ? "tanh" : spec.activation()).toUpperCase()))
          .build();
      default -> throw new IllegalArgumentException("cell " + spec.cell() + " has no DL4J layer; allowed: rnn, "
          + "lstm, gru");
    };
  }

  /** The engine layers inside the network, bottom to top. */
  public static List<RecurrentLayer> engineLayers(MultiLayerNetwork net) {
    List<RecurrentLayer> out = new ArrayList<>();
    for (Layer l : net.getLayers()) {
      if (l instanceof EngineRecurrentLayer e) {
        out.add(e.engineLayer());
      }
    }
    return out;
  }

  /**
   * A minibatch in DL4J's layout: features [B, in, T]; labels [B, out, T]; for a task read at the last step the
   * labels sit at the last step and a label mask [B, T] keeps that step alone.
   */
  public static DataSet dataSet(Batch batch, SequenceTask task) {
    int steps = batch.steps();
    int size = batch.size();
    INDArray x = timeMajorToNcw(batch.x(), steps, size);
    if (task.targetsEveryStep()) {
      return new DataSet(x, timeMajorToNcw(batch.y(), steps, size));
    }
    long out = batch.y().columns();
    INDArray y = Nd4j.zeros(batch.y().dataType(), size, out, steps);
    y.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(steps - 1)).assign(batch.y());
    return new DataSet(x, y, null, lastStepMask(batch.y().dataType(), size, steps));
  }

  /** [B, T]: 1 at the last step, 0 elsewhere. */
  public static INDArray lastStepMask(DataType dtype, int size, int steps) {
    INDArray m = Nd4j.zeros(dtype, size, steps);
    m.get(NDArrayIndex.all(), NDArrayIndex.point(steps - 1)).assign(1.0);
    return m;
  }

  /** Time-major [T*B, n] (row t*B + i) to [B, n, T]. */
  static INDArray timeMajorToNcw(INDArray a, int steps, int size) {
    return a.reshape('c', steps, size, a.columns()).permute(1, 2, 0).dup('c');
  }

  /** [B, n, T] to time-major [T*B, n]. */
  static INDArray ncwToTimeMajor(INDArray a) {
    long size = a.size(0);
    long n = a.size(1);
    long steps = a.size(2);
    return a.permute(2, 0, 1).dup('c').reshape('c', steps * size, n);
  }

  /**
   * The network's output on {@code batch} in the layout of {@link Batch#y()}, as {@link SequenceTask#evaluate}
   * takes it: values for MSE, logits for cross-entropy (the log of DL4J's softmax: the same softmax).
   */
  public static INDArray output(MultiLayerNetwork net, Batch batch, SequenceTask task) {
    INDArray x = timeMajorToNcw(batch.x(), batch.steps(), batch.size());
    net.clearLayerMaskArrays(); // the label mask of the last training pass must not meet the evaluation's batch
    INDArray out = net.output(x, false, null, null);
    INDArray y = task.targetsEveryStep() ? ncwToTimeMajor(out)
        : out.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(batch.steps() - 1)).dup('c');
    return task.loss() == SequenceTask.Loss.MSE ? y : Transforms.log(y, false);
  }

  /**
   * The per-time-step gradient profile ({@link GradientProfiler}'s series: {@code layer0/dh}, ...,
   * {@code input/dx}) of the network's loss at the last step of {@code data}'s sequences: one backward pass of the
   * network as it is (the driver's copy of a data-parallel trial). Parameters are left alone.
   */
  public static Map<String, double[]> profile(MultiLayerNetwork net, DataSet data) {
    int size = (int) data.getFeatures().size(0);
    int steps = (int) data.getFeatures().size(2);
    INDArray mask = lastStepMask(data.getFeatures().dataType(), size, steps);
    Pair<Gradient, INDArray> g = net.calculateGradients(data.getFeatures(), data.getLabels(), null, mask);
    net.clearLayerMaskArrays();
    return GradientProfiler.capture(engineLayers(net), ncwToTimeMajor(g.getSecond()), steps);
  }

  /**
   * The network's parameters as the engine's blocks ({@code layer0/W}, {@code layer0/R}, {@code layer0/b}, ...,
   * {@code head/W}, {@code head/b}), each with the gradient of the same DL4J key ({@code 0_W}, {@code 0_RW}, ...,
   * as in {@code net.paramTable()}), for {@code GradientNorms}.
   */
  public static List<ParamBlock> blocks(MultiLayerNetwork net, Map<String, INDArray> gradient) {
    List<ParamBlock> out = new ArrayList<>();
    int last = net.getLayers().length - 1;
    for (Map.Entry<String, INDArray> e : net.paramTable().entrySet()) {
      int sep = e.getKey().indexOf('_');
      int index = Integer.parseInt(e.getKey().substring(0, sep));
      String layer = index == last ? HEAD : "layer" + index;
      INDArray g = gradient.get(e.getKey());
      if (g == null) {
        throw new IllegalArgumentException("no gradient for parameter " + e.getKey() + "; have " + gradient.keySet());
      }
      out.add(new ParamBlock(layer, EngineParamInitializer.engineKey(e.getKey().substring(sep + 1)), e.getValue(), g));
    }
    return out;
  }

  /** A copy of every parameter of the network by DL4J key ({@code 0_W}, ...). */
  public static Map<String, INDArray> copyParams(MultiLayerNetwork net) {
    Map<String, INDArray> out = new LinkedHashMap<>();
    net.paramTable().forEach((k, v) -> out.put(k, v.dup()));
    return out;
  }
}
