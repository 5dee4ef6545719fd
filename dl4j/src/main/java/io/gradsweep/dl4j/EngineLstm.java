package io.gradsweep.dl4j;

import io.gradsweep.engine.LstmLayer;
import io.gradsweep.engine.RecurrentLayer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * LSTM layer without peepholes, run by the engine's {@link LstmLayer}: gates i, f, o sigmoid, candidate g and
 * cell output tanh; c_t = f c_{t-1} + i g, h_t = o tanh(c_t). Parameters W [nIn, 4 nOut], RW [nOut, 4 nOut],
 * b [1, 4 nOut], gate blocks in the order i, f, g, o (DL4J's own {@code LSTM} orders them g, f, o, i). The
 * forget-gate bias starts at {@code forgetGateBiasInit} (default 1.0).
 *
 * <pre>{@code
 * new EngineLstm.Builder().nIn(2).nOut(64).forgetGateBiasInit(1.0).initScheme("orthogonal").build()
 * }</pre>
 */
public class EngineLstm extends EngineRecurrent {
  private double forgetGateBiasInit = 1.0;

  /** For JSON deserialization. */
  public EngineLstm() {}

  protected EngineLstm(Builder builder) {
    super(builder);
    this.forgetGateBiasInit = builder.forgetGateBiasInit;
  }

  @Override
  public String cell() {
    return "lstm";
  }

  @Override
  public RecurrentLayer createCell(String name, DataType dataType) {
    return new LstmLayer(name, (int) getNIn(), (int) getNOut(), forgetGateBiasInit, dataType);
  }

  @Override
  protected void validate() {
    super.validate();
    requireTanh();
    if (!Double.isFinite(forgetGateBiasInit)) {
      throw new IllegalArgumentException(describe() + ": forgetGateBiasInit must be finite, got "
          + forgetGateBiasInit);
    }
  }

  public double getForgetGateBiasInit() {
    return forgetGateBiasInit;
  }

  public void setForgetGateBiasInit(double forgetGateBiasInit) {
    this.forgetGateBiasInit = forgetGateBiasInit;
  }

  @Override
  public boolean equals(Object o) {
    return super.equals(o) && o instanceof EngineLstm other
        && Double.compare(forgetGateBiasInit, other.forgetGateBiasInit) == 0;
  }

  @Override
  protected boolean canEqual(Object other) {
    return other instanceof EngineLstm;
  }

  @Override
  public int hashCode() {
    return 31 * super.hashCode() + Double.hashCode(forgetGateBiasInit);
  }

  @Override
  public String toString() {
    return super.toString() + "[forgetGateBiasInit=" + forgetGateBiasInit + "]";
  }

  /** Builder: {@code nIn}, {@code nOut}, {@code forgetGateBiasInit}, {@code initScheme}, {@code dataFormat}, ... */
  @SuppressWarnings("unchecked") // build() narrows DL4J's generic <E extends Layer> E build()
  public static class Builder extends EngineRecurrent.Builder<Builder> {
    protected double forgetGateBiasInit = 1.0;

    /** Initial bias of the forget gate; default 1.0 (Jozefowicz et al. 2015). */
    public Builder forgetGateBiasInit(double bias) {
      this.forgetGateBiasInit = bias;
      return this;
    }

    @Override
    public EngineLstm build() {
      return checked(new EngineLstm(this));
    }
  }
}
