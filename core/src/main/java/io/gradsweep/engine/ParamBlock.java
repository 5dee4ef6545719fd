package io.gradsweep.engine;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One named parameter array of a network, with its gradient: views into the network's flat parameter and
 * gradient vectors.
 *
 * @param layer layer name, e.g. {@code layer0} or {@code head}
 * @param type parameter type: {@code W} (input weights), {@code R} (recurrent weights), {@code b} (bias)
 * @param param view of the parameter values
 * @param grad view of the gradient, same shape
 */
public record ParamBlock(String layer, String type, INDArray param, INDArray grad) {
  public String key() {
    return layer + "/" + type;
  }
}
