package io.gradsweep.dl4j;

import io.gradsweep.engine.RecurrentLayer;
import io.gradsweep.engine.VanillaRnnLayer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Vanilla ("Elman") recurrent layer, h_t = f(x_t W + h_{t-1} RW + b), run by the engine's
 * {@link VanillaRnnLayer}: the same equations and parameter layout as DL4J's {@code SimpleRnn}. The activation f is
 * tanh (default), relu (plain), sigmoid or identity, set with the builder's {@code activation(...)}.
 *
 * <pre>{@code
 * new EngineRnn.Builder().nIn(2).nOut(32).activation(Activation.RELU).initScheme("identity").build()
 * }</pre>
 */
public class EngineRnn extends EngineRecurrent {
  /** For JSON deserialization. */
  public EngineRnn() {}

  protected EngineRnn(Builder builder) {
    super(builder);
  }

  @Override
  public String cell() {
    return "rnn";
  }

  @Override
  public RecurrentLayer createCell(String name, DataType dataType) {
    return new VanillaRnnLayer(name, (int) getNIn(), (int) getNOut(), engineActivation(getActivationFn(), describe()),
        dataType);
  }

  @Override
  protected void validate() {
    super.validate();
    engineActivation(getActivationFn(), describe());
  }

  @Override
  protected boolean canEqual(Object other) {
    return other instanceof EngineRnn;
  }

  /** Builder: {@code nIn}, {@code nOut}, {@code activation}, {@code initScheme}, {@code dataFormat}, ... */
  @SuppressWarnings("unchecked") // build() narrows DL4J's generic <E extends Layer> E build()
  public static class Builder extends EngineRecurrent.Builder<Builder> {
    @Override
    public EngineRnn build() {
      return checked(new EngineRnn(this));
    }
  }
}
