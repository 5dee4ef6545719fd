package io.gradsweep.probe;

import io.gradsweep.engine.RecurrentLayer;
import io.gradsweep.engine.RecurrentNet;
import io.gradsweep.engine.Spectral;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reads the per-time-step gradient profile out of the last backward pass of a {@link RecurrentNet}: for each
 * recurrent layer ||dL/dh_t|| and the other state gradients the layer declares
 * ({@link RecurrentLayer#extraStateGradients()}, e.g. ||dL/dc_t|| for an LSTM), and ||dL/dx_t|| for the input,
 * t = 0..T-1, each the L2 norm over the minibatch and the units of step t, of the gradient of the minibatch-mean
 * loss. One reduction per array, no second pass; arrays are reduced to doubles at once and no reference is kept.
 */
public final class GradientProfiler {
  private GradientProfiler() {}

  /**
   * Profiles by name: {@code layer0/dh}, then the layer's extra state series ({@code layer0/dc} for an LSTM), ...,
   * {@code input/dx}.
   */
  public static Map<String, double[]> capture(RecurrentNet net, int steps) {
    return capture(net.layers(), net.inputGradient(), steps);
  }

  /**
   * As {@link #capture(RecurrentNet, int)} for engine layers run by another network (the DL4J layers of module
   * dl4j): {@code inputGradient} is dL/dx, time-major [T*B, in] like the layers' state gradients.
   */
  public static Map<String, double[]> capture(List<RecurrentLayer> layers, INDArray inputGradient, int steps) {
    Map<String, double[]> out = new LinkedHashMap<>();
    for (RecurrentLayer l : layers) {
      out.put(l.name() + "/dh", perStep(l.hiddenGradients(), steps));
      l.extraStateGradients().forEach((series, g) -> out.put(l.name() + "/" + series, perStep(g, steps)));
    }
    out.put("input/dx", perStep(inputGradient, steps));
    return out;
  }

  /** Row-block norms of a time-major [T*B, n] array: one value per step. */
  static double[] perStep(INDArray a, int steps) {
    INDArray byStep = a.reshape('c', steps, a.length() / steps);
    return byStep.norm2(1).castTo(DataType.DOUBLE).toDoubleVector();
  }

  /**
   * Spectral radius and largest singular value of each recurrent gate block, e.g. {@code layer0/R_rho},
   * {@code layer0/R_sigma} for an RNN, {@code layer0/R_f_rho} for an LSTM's forget-gate block.
   */
  public static Map<String, Double> weightSpectra(RecurrentNet net) {
    return weightSpectra(net.layers());
  }

  /** As {@link #weightSpectra(RecurrentNet)} for engine layers run by another network. */
  public static Map<String, Double> weightSpectra(List<RecurrentLayer> layers) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (RecurrentLayer l : layers) {
      String[] names = l.gateNames();
      for (int k = 0; k < names.length; k++) {
        INDArray blk = l.recurrentBlock(k);
        int n = (int) blk.rows();
        double[] a = Spectral.rowMajor(blk); // one native copy; the rest is plain Java
        String key = l.name() + "/R" + (names.length == 1 ? "" : "_" + names[k]);
        out.put(key + "_rho", Spectral.spectralRadius(a, n));
        out.put(key + "_sigma", Spectral.maxSingularValue(a, n, (int) blk.columns()));
      }
    }
    return out;
  }
}
