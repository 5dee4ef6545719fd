package io.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.engine.ParamBlock;
import io.gradsweep.engine.RecurrentNet;
import io.gradsweep.optim.Optimizers;
import io.gradsweep.spec.ClipMode;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.task.AddingTask;
import io.gradsweep.task.Batch;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * The norms the runner reports after clipping are the norms of the update the optimizer actually applies
 * (plain SGD: update = lr * clipped gradient), for every clip mode.
 */
class ClipAndUpdateTest {

  @ParameterizedTest
  @EnumSource(ClipMode.class)
  void reportedPostClipNormsMatchTheAppliedUpdate(ClipMode mode) {
    double lr = 0.05;
    AddingTask task = new AddingTask();
    TrialSpec spec = TrialSpecs.of("rnn", "tanh", 12, ClipSpec.NONE, 0, "sgd", lr, 6, 5, 1);
    RecurrentNet net = TrialRunner.buildNet(spec, task, DataType.DOUBLE);
    net.params().muli(3.0); // large weights: large gradients, so every threshold below acts
    Batch b = task.sample(12, 8, new SplittableRandom(1), DataType.DOUBLE);
    net.computeGradient(b.x(), b.y(), 12, 8, 0);
    GradientNorms before = GradientNorms.measure(net.blocks());
    INDArray raw = net.gradients().dup();

    double threshold = switch (mode) {
      case NONE -> 0;
      case GLOBAL_NORM -> before.global() / 3;
      case LAYER_NORM -> before.layers().get("layer0") / 2;
      case VALUE -> raw.amaxNumber().doubleValue() / 4;
    };
    ClipSpec clip = mode == ClipMode.NONE ? ClipSpec.NONE : new ClipSpec(mode, threshold);
    GradientClipper.Outcome out = GradientClipper.clip(clip, net.blocks(), net.gradients(), before);
    assertEquals(mode != ClipMode.NONE, out.acted(), "clip acted");

    INDArray p0 = net.params().dup();
    GradientUpdater<?> sgd = Optimizers.byName("sgd").instantiate(lr, net.params());
    sgd.applyUpdater(net.gradients(), 0, 0);
    net.params().subi(net.gradients());
    INDArray applied = p0.sub(net.params()).divi(lr); // the clipped gradient, as the update saw it

    assertEquals(out.after().global(), applied.norm2Number().doubleValue(), 1e-9 * before.global(),
        "global norm after clipping");
    long off = 0;
    for (ParamBlock blk : net.blocks()) {
      long n = blk.param().length();
      double norm = applied.get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
          org.nd4j.linalg.indexing.NDArrayIndex.interval(off, off + n)).norm2Number().doubleValue();
      assertEquals(out.after().blocks().get(blk.key()), norm, 1e-9 * before.global(), blk.key());
      off += n;
    }
    switch (mode) {
      case NONE -> assertEquals(0.0, applied.sub(raw).amaxNumber().doubleValue(), 1e-12 * before.global());
      case GLOBAL_NORM -> {
        assertEquals(threshold, out.after().global(), 1e-9);
        // direction is kept
        assertEquals(0.0, applied.mul(before.global() / threshold).sub(raw).amaxNumber().doubleValue(), 1e-9);
      }
      case LAYER_NORM -> {
        assertEquals(threshold, out.after().layers().get("layer0"), 1e-9);
        assertTrue(out.after().layers().get("head") <= Math.max(threshold, before.layers().get("head")) + 1e-12);
      }
      case VALUE -> {
        assertTrue(applied.amaxNumber().doubleValue() <= threshold + 1e-12);
        assertFalse(out.after().global() >= before.global());
      }
    }
  }
}
