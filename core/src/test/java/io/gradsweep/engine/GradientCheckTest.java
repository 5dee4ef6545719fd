package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.task.AddingTask;
import io.gradsweep.task.Batch;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Double-precision finite-difference checks of the engine's analytic gradients, for each registered cell (and each
 * activation for the cells that use one), minibatch size, sequence length and depth. Part of the cell contract
 * ({@link CellCases}). The combination is in every failure message.
 */
class GradientCheckTest {

  static Stream<Arguments> combos() {
    List<Arguments> out = new ArrayList<>();
    for (Arguments ca : CellCases.withActivations(List.of(Activation.values()))) {
      for (int batch : new int[] {1, 3}) {
        for (int steps : new int[] {2, 7}) {
          for (int layers : new int[] {1, 2}) {
            out.add(Arguments.of(ca.get()[0], ca.get()[1], batch, steps, layers));
          }
        }
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} batch={2} T={3} layers={4}")
  @MethodSource("combos")
  void analyticGradientMatchesFiniteDifferences(String cell, Activation act, int batch, int steps, int layers) {
    String combo = cell + "/" + act.word() + " batch=" + batch + " T=" + steps + " layers=" + layers;
    NetSpec spec = new NetSpec(cell, act, 2, 4, layers, 1, InitScheme.DEFAULT, 1.0);
    RecurrentNet net = new RecurrentNet(spec, 42 + steps, DataType.DOUBLE);
    // larger weights so that relu/sigmoid units are not all in one regime
    net.params().muli(1.5);
    Batch b = new AddingTask().sample(steps, batch, new SplittableRandom(7), DataType.DOUBLE);
    net.computeGradient(b.x(), b.y(), steps, batch, 0);
    INDArray analytic = net.gradients().dup();
    INDArray p = net.params();
    double eps = 1e-6;
    int checked = 0;
    double worst = 0;
    for (long i = 0; i < p.length(); i++) {
      double orig = p.getDouble(0, i);
      p.putScalar(0, i, orig + eps);
      double up = net.loss(b.x(), b.y(), steps, batch);
      p.putScalar(0, i, orig - eps);
      double down = net.loss(b.x(), b.y(), steps, batch);
      p.putScalar(0, i, orig);
      double numeric = (up - down) / (2 * eps);
      double a = analytic.getDouble(0, i);
      double denom = Math.max(Math.abs(a) + Math.abs(numeric), 1e-8);
      double rel = Math.abs(a - numeric) / denom;
      if (Math.abs(a - numeric) > 1e-8) {
        worst = Math.max(worst, rel);
        assertTrue(rel < 1e-5, combo + ": parameter " + i + " analytic " + a + " numeric " + numeric
            + " relative error " + rel);
      }
      checked++;
    }
    assertEquals(p.length(), checked, combo);
    assertTrue(worst < 1e-5, combo + ": worst relative error " + worst);
  }
}
