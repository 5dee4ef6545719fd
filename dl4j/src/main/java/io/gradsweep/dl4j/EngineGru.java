package io.gradsweep.dl4j;

import io.gradsweep.engine.GruLayer;
import io.gradsweep.engine.RecurrentLayer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * GRU layer with the equations of PyTorch's {@code nn.GRU}, run by the engine's {@link GruLayer}: gate blocks
 * r, z, n; n = tanh(x W_n + b_n + r * (h RW_n + Rb)); h' = (1 - z) n + z h. Parameters W [nIn, 3 nOut],
 * RW [nOut, 3 nOut], b [1, 3 nOut] and the candidate's recurrent bias Rb [1, nOut].
 *
 * <pre>{@code
 * new EngineGru.Builder().nIn(2).nOut(64).initScheme("orthogonal:rho=0.9").build()
 * }</pre>
 */
public class EngineGru extends EngineRecurrent {
  /** For JSON deserialization. */
  public EngineGru() {}

  protected EngineGru(Builder builder) {
    super(builder);
  }

  @Override
  public String cell() {
    return "gru";
  }

  @Override
  public RecurrentLayer createCell(String name, DataType dataType) {
    return new GruLayer(name, (int) getNIn(), (int) getNOut(), dataType);
  }

  @Override
  protected void validate() {
    super.validate();
    requireTanh();
  }

  @Override
  protected boolean canEqual(Object other) {
    return other instanceof EngineGru;
  }

  /** Builder: {@code nIn}, {@code nOut}, {@code initScheme}, {@code dataFormat}, ... */
  @SuppressWarnings("unchecked") // build() narrows DL4J's generic <E extends Layer> E build()
  public static class Builder extends EngineRecurrent.Builder<Builder> {
    @Override
    public EngineGru build() {
      return checked(new EngineGru(this));
    }
  }
}
