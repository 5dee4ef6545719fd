package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The engine's softmax cross-entropy against PyTorch's formula, {@code torch.nn.functional.cross_entropy(logits,
 * target, reduction="mean")} = mean over the N rows of {@code log(sum_c exp(z[n, c])) - z[n, target_n]}, with
 * {@code ignore_index} for masked rows (the mean is then over the rows not ignored), and its gradient with respect
 * to the logits, {@code (softmax(z) - onehot) / N}, seen through the head's bias (db = sum over rows of dz).
 *
 * <p>The reference is computed here, independently of {@link Head} (no maximum subtracted, plain sums in double),
 * from the same network's logits in double precision; libtorch itself (the JavaCPP presets of
 * {@code jobs/bench-torch}) cannot share a JVM with ND4J, so it is not called from a unit test.
 */
class CrossEntropyReferenceTest {

  @ParameterizedTest
  @EnumSource(Head.Readout.class)
  void lossAndLogitGradientAreTorchCrossEntropyWithMeanReduction(Head.Readout readout) {
    int steps = 6;
    int batch = 4;
    int k = 5;
    for (boolean masked : new boolean[] {false, true}) {
      String what = readout + (masked ? " with ignored rows" : "");
      NetSpec spec = new NetSpec("lstm", Activation.TANH, 3, 7, 1, k, InitScheme.DEFAULT, 1.0,
          new Head(Head.Loss.SOFTMAX_CROSS_ENTROPY, readout));
      RecurrentNet net = new RecurrentNet(spec, 21, DataType.DOUBLE);
      net.params().muli(2.0); // logits of a few units, not all near 0
      SplittableRandom rng = new SplittableRandom(8);
      int rows = spec.head().rows(steps, batch);
      INDArray x = HeadGradientCheckTest.inputs(steps * batch, 3, rng);
      INDArray y = HeadGradientCheckTest.targets(Head.Loss.SOFTMAX_CROSS_ENTROPY, rows, k, rng);
      double[] mask = null;
      if (masked) {
        mask = new double[rows];
        for (int r = 0; r < rows; r++) {
          mask[r] = r % 4 == 1 ? 0.0 : 1.0; // ignore_index on every fourth row
        }
      }
      INDArray z = net.predict(x, steps, batch);
      double ce = 0;
      int n = 0;
      double[] db = new double[k];
      for (int r = 0; r < rows; r++) {
        if (mask != null && mask[r] == 0) {
          continue;
        }
        n++;
      }
      for (int r = 0; r < rows; r++) {
        if (mask != null && mask[r] == 0) {
          continue;
        }
        int target = y.getRow(r).argMax().getInt(0);
        double sum = 0;
        for (int c = 0; c < k; c++) {
          sum += Math.exp(z.getDouble(r, c));
        }
        ce += Math.log(sum) - z.getDouble(r, target);
        for (int c = 0; c < k; c++) {
          db[c] += (Math.exp(z.getDouble(r, c)) / sum - (c == target ? 1 : 0)) / n;
        }
      }
      ce /= n;
      double loss = net.computeGradient(x, y, mask, steps, batch, 0, false);
      assertEquals(ce, loss, 1e-12 * Math.max(1, ce), what + ": loss");
      java.util.List<ParamBlock> blocks = net.blocks();
      INDArray headB = blocks.get(blocks.size() - 1).grad();
      for (int c = 0; c < k; c++) {
        assertEquals(db[c], headB.getDouble(0, c), 1e-12, what + ": dL/db[" + c + "]");
      }
    }
  }
}
