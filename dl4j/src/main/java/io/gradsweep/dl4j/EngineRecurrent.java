package io.gradsweep.dl4j;

import io.gradsweep.engine.InitScheme;
import io.gradsweep.engine.RecurrentLayer;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.BaseRecurrentLayer;
import org.deeplearning4j.nn.conf.layers.LayerValidation;
import org.deeplearning4j.nn.conf.memory.LayerMemoryReport;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Configuration of a DL4J recurrent layer whose math runs in the gradsweep BPTT engine
 * ({@link io.gradsweep.engine}): the serializable half of the layer, as DL4J's own {@code SimpleRnn} / {@code LSTM}
 * configurations. The cells are {@link EngineRnn} ({@code rnn}), {@link EngineLstm} ({@code lstm}) and
 * {@link EngineGru} ({@code gru}); {@link EngineRecurrentLayer} is the implementation and
 * {@link EngineParamInitializer} names and lays out the parameters.
 *
 * <pre>{@code
 * MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder()
 *     .seed(42).dataType(DataType.FLOAT).updater(new Adam(1e-3))
 *     .list()
 *     .layer(new EngineLstm.Builder().nIn(2).nOut(64).forgetGateBiasInit(1.0).initScheme("orthogonal").build())
 *     .layer(new EngineGru.Builder().nOut(64).build())
 *     .layer(new RnnOutputLayer.Builder(LossFunction.MSE).activation(Activation.IDENTITY).nOut(1).build())
 *     .setInputType(InputType.recurrent(2))
 *     .build();
 * }</pre>
 *
 * <p>Data format: NCW ([minibatch, size, time], DL4J's default for recurrent layers) or NWC, set with
 * {@code dataFormat(RNNFormat)} or taken from the input type.
 *
 * <p>Initialisation: by the engine's {@link InitScheme} (canonical text, e.g. {@code default},
 * {@code identity}, {@code orthogonal:rho=0.9}), seeded from DL4J's random generator (which
 * {@code MultiLayerNetwork.init()} seeds with the configuration's seed). DL4J's {@code weightInit},
 * {@code weightInitRecurrent} and {@code biasInit} are not used; weight noise is not supported.
 *
 * <p>Masking: see {@link EngineRecurrentLayer}. Truncated BPTT: {@link #getTbpttBackLength()}.
 *
 * <p>JSON: DL4J writes layer configurations with their class name ({@code @class}) and bean properties, so these
 * classes need nothing registered: a public no-argument constructor and a getter/setter per property.
 */
public abstract class EngineRecurrent extends BaseRecurrentLayer {
  private String initScheme = InitScheme.DEFAULT.canonical();
  private int tbpttBackLength;

  /** For JSON deserialization. */
  protected EngineRecurrent() {}

  protected EngineRecurrent(Builder<?> builder) {
    super(builder);
    this.initScheme = builder.initScheme;
    this.tbpttBackLength = builder.tbpttBackLength;
  }

  /** The cell word: {@code rnn}, {@code lstm} or {@code gru}. */
  public abstract String cell();

  /** Creates the engine layer doing this layer's math (parameters not yet bound). */
  public abstract RecurrentLayer createCell(String name, DataType dataType);

  /** Checks the properties; throws IllegalArgumentException naming the layer, property and value. */
  protected void validate() {
    try {
      InitScheme.fromWord(initScheme);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(describe() + ": initScheme '" + initScheme + "': " + e.getMessage(), e);
    }
    if (tbpttBackLength < 0) {
      throw new IllegalArgumentException(describe() + ": tbpttBackLength must be >= 0, got " + tbpttBackLength);
    }
  }

  /** Checks that the activation is tanh (the cell-output activation of the engine's gated cells). */
  protected void requireTanh() {
    if (getActivationFn() != null && !(getActivationFn() instanceof ActivationTanH)) {
      throw new IllegalArgumentException(describe() + ": the " + cell() + " cell's activation is tanh (gates "
          + "sigmoid); got activation " + getActivationFn());
    }
  }

  protected String describe() {
    return cell() + " layer" + (getLayerName() == null ? "" : " '" + getLayerName() + "'");
  }

  /** Canonical text of the {@link InitScheme}; default {@code default}. */
  public String getInitScheme() {
    return initScheme;
  }

  public void setInitScheme(String initScheme) {
    this.initScheme = initScheme;
  }

  /**
   * Back length used when this layer is trained by a {@code MultiLayerNetwork} with truncated BPTT; 0 (the
   * default) = the whole segment. DL4J 1.0.0-M2.1's {@code MultiLayerNetwork} trains each TBPTT segment through
   * {@code backpropGradient}, never passing its {@code tBPTTBackwardLength} to the layers (its
   * {@code ComputationGraph} does, through {@code tbpttBackpropGradient}, and that length wins there). Set it to
   * the network's back length, or call {@link #inheritTbpttBackLength(MultiLayerConfiguration)}.
   */
  public int getTbpttBackLength() {
    return tbpttBackLength;
  }

  public void setTbpttBackLength(int tbpttBackLength) {
    this.tbpttBackLength = tbpttBackLength;
  }

  /**
   * Copies the network's truncated-BPTT back length into every engine layer of a configuration that trains with
   * truncated BPTT and whose layers do not set one; call it before creating the network. Returns {@code conf}.
   */
  public static MultiLayerConfiguration inheritTbpttBackLength(MultiLayerConfiguration conf) {
    if (conf.getBackpropType() != BackpropType.TruncatedBPTT) {
      return conf;
    }
    for (NeuralNetConfiguration c : conf.getConfs()) {
      if (c.getLayer() instanceof EngineRecurrent e && e.getTbpttBackLength() == 0) {
        e.setTbpttBackLength(conf.getTbpttBackLength());
      }
    }
    return conf;
  }

  @Override
  public Layer instantiate(NeuralNetConfiguration conf, Collection<TrainingListener> trainingListeners,
      int layerIndex, INDArray layerParamsView, boolean initializeParams, DataType networkDataType) {
    LayerValidation.assertNInNOutSet(getClass().getSimpleName(), getLayerName(), layerIndex, getNIn(), getNOut());
    validate();
    if (getWeightNoise() != null) {
      throw new IllegalArgumentException(describe() + ": weight noise is not supported");
    }
    EngineRecurrentLayer ret = new EngineRecurrentLayer(conf, networkDataType);
    ret.setListeners(trainingListeners);
    ret.setIndex(layerIndex);
    ret.setParamsViewArray(layerParamsView);
    Map<String, INDArray> paramTable = initializer().init(conf, layerParamsView, initializeParams);
    ret.setParamTable(paramTable);
    ret.setConf(conf);
    return ret;
  }

  @Override
  public ParamInitializer initializer() {
    return EngineParamInitializer.getInstance();
  }

  @Override
  public LayerMemoryReport getMemoryReport(InputType inputType) {
    InputType outputType = getOutputType(-1, inputType);
    long numParams = initializer().numParams(this);
    // per example and step, the engine keeps h, dL/dh, the pre-activations, their gradients and the activated
    // gates, plus the time-major copies of input and output gradient (a rough count: cell extras not included)
    RecurrentLayer cell = createCell("report", DataType.FLOAT);
    long steps = inputType instanceof InputType.InputTypeRecurrent rt && rt.getTimeSeriesLength() > 0
        ? rt.getTimeSeriesLength() : 1;
    long perExample = steps * ((3L + 3L * cell.gateBlocks()) * getNOut() + 2L * getNIn());
    return new LayerMemoryReport.Builder(getLayerName(), getClass(), inputType, outputType)
        .standardMemory(numParams, numParams)
        .workingMemory(0, perExample, 0, perExample)
        .cacheMemory(0, 0)
        .build();
  }

  @Override
  public boolean equals(Object o) {
    if (o == this) {
      return true;
    }
    if (!(o instanceof EngineRecurrent other) || !other.canEqual(this) || !super.equals(o)) {
      return false;
    }
    return Objects.equals(initScheme, other.initScheme) && tbpttBackLength == other.tbpttBackLength;
  }

  @Override
  protected boolean canEqual(Object other) {
    return other instanceof EngineRecurrent;
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), initScheme, tbpttBackLength);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(name=" + getLayerName() + ", nIn=" + getNIn() + ", nOut=" + getNOut()
        + ", activation=" + getActivationFn() + ", initScheme=" + initScheme + ", tbpttBackLength="
        + tbpttBackLength + ", dataFormat=" + getRnnDataFormat() + ")";
  }

  /**
   * Builder of the properties all engine layers share; {@code nIn}, {@code nOut}, {@code dataFormat},
   * {@code name}, updater and regularisation come from DL4J's recurrent-layer builder.
   */
  public abstract static class Builder<T extends Builder<T>> extends BaseRecurrentLayer.Builder<T> {
    protected String initScheme = InitScheme.DEFAULT.canonical();
    protected int tbpttBackLength;

    protected Builder() {
      // the cell activation; the network-wide default of NeuralNetConfiguration (sigmoid) does not apply
      this.activationFn = new ActivationTanH();
    }

    /** Canonical {@link InitScheme} text, e.g. {@code orthogonal:rho=0.9}; checked by {@code build()}. */
    @SuppressWarnings("unchecked")
    public T initScheme(String scheme) {
      this.initScheme = scheme;
      return (T) this;
    }

    /** See {@link EngineRecurrent#getTbpttBackLength()}. */
    @SuppressWarnings("unchecked")
    public T tbpttBackLength(int length) {
      this.tbpttBackLength = length;
      return (T) this;
    }

    /** Checks and returns the built configuration. */
    protected <L extends EngineRecurrent> L checked(L layer) {
      layer.validate();
      return layer;
    }
  }

  /** The engine activation of a DL4J activation function, or an IllegalArgumentException naming it. */
  static io.gradsweep.engine.Activation engineActivation(IActivation a, String where) {
    if (a == null || a instanceof ActivationTanH) {
      return io.gradsweep.engine.Activation.TANH;
    }
    if (a instanceof org.nd4j.linalg.activations.impl.ActivationSigmoid) {
      return io.gradsweep.engine.Activation.SIGMOID;
    }
    if (a instanceof org.nd4j.linalg.activations.impl.ActivationIdentity) {
      return io.gradsweep.engine.Activation.IDENTITY;
    }
    if (a instanceof org.nd4j.linalg.activations.impl.ActivationReLU relu && relu.getMax() == null
        && (relu.getThreshold() == null || relu.getThreshold() == 0.0)
        && (relu.getNegativeSlope() == null || relu.getNegativeSlope() == 0.0)) {
      return io.gradsweep.engine.Activation.RELU;
    }
    throw new IllegalArgumentException(where + ": unsupported activation " + a
        + "; allowed: tanh, relu (plain), sigmoid, identity");
  }
}
