package io.gradsweep.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.plugin.Registry;
import io.gradsweep.spec.Axis;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * What every registered {@link Optimizer} must do (see its javadoc), run for every optimizer the registry finds,
 * on the quadratic loss L(p) = 1/2 sum a_i p_i^2 (gradient a_i p_i): properties, not particular numbers.
 */
class OptimizerContractTest {
  private static final double[] CURVATURE = {1.0, 2.0, 0.5, 4.0};
  private static final double[] START = {1.0, -2.0, 3.0, -0.5};

  static Stream<Named<Optimizer>> optimizers() {
    return Optimizers.all().stream().map(o -> Named.of(o.name(), o));
  }

  private static double loss(INDArray p) {
    double l = 0;
    for (int i = 0; i < CURVATURE.length; i++) {
      double v = p.getDouble(0, i);
      l += 0.5 * CURVATURE[i] * v * v;
    }
    return l;
  }

  private static INDArray gradient(INDArray p) {
    INDArray g = Nd4j.zeros(DataType.DOUBLE, 1, CURVATURE.length);
    for (int i = 0; i < CURVATURE.length; i++) {
      g.putScalar(0, i, CURVATURE[i] * p.getDouble(0, i));
    }
    return g;
  }

  private static INDArray start() {
    return Nd4j.create(START.clone(), new long[] {1, START.length}, DataType.DOUBLE);
  }

  /** Applies one update at iteration {@code it}: p -= update(gradient). Returns the step taken. */
  private static INDArray step(GradientUpdater<?> u, INDArray p, int it) {
    INDArray g = gradient(p);
    u.applyUpdater(g, it, 0);
    p.subi(g);
    return g;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  void nameIsTheYamlWordKnownToTheRegistry(Optimizer o) {
    assertTrue(Registry.NAME.matcher(o.name()).matches(), o.name());
    assertSame(o, Optimizers.byName(o.name()));
    assertTrue(Axis.OPTIMIZER.allowed().contains(o.name()), Axis.OPTIMIZER.allowed());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  void configCarriesTheLearningRateAndIsNewEachCall(Optimizer o) {
    assertEquals(0.01, o.config(0.01).getLearningRate(0, 0), 0.0);
    assertEquals(0.5, o.config(0.5).getLearningRate(0, 0), 0.0);
    assertNotSame(o.config(0.01), o.config(0.01));
    assertEquals(o.config(0.01), o.config(0.01));
    for (double bad : new double[] {0.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY}) {
      assertThrows(IllegalArgumentException.class, () -> o.config(bad), "lr " + bad);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  void oneUpdateReducesAQuadratic(Optimizer o) {
    for (double lr : new double[] {1e-3, 1e-2, 1e-1}) {
      INDArray p = start();
      double before = loss(p);
      step(o.instantiate(lr, p), p, 0);
      assertTrue(loss(p) < before, o.name() + " lr " + lr + ": " + before + " -> " + loss(p));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  void aLargerLearningRateTakesALargerFirstStep(Optimizer o) {
    double previous = 0;
    for (double lr : new double[] {1e-4, 1e-3, 1e-2, 1e-1}) {
      INDArray p = start();
      double norm = step(o.instantiate(lr, p), p, 0).norm2Number().doubleValue();
      assertTrue(norm > previous, o.name() + " lr " + lr + ": step " + norm + " not larger than " + previous);
      previous = norm;
    }
  }

  /** Two updaters of one optimizer share nothing: using one does not change the other's steps. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("optimizers")
  void stateIsPerInstance(Optimizer o) {
    INDArray busyParams = start();
    GradientUpdater<?> busy = o.instantiate(0.05, busyParams);
    INDArray p = start();
    GradientUpdater<?> other = o.instantiate(0.05, p);
    INDArray fresh = start();
    GradientUpdater<?> reference = o.instantiate(0.05, fresh);
    for (int it = 0; it < 5; it++) {
      step(busy, busyParams, it);
    }
    for (int it = 0; it < 3; it++) {
      assertArrayEquals(step(reference, fresh, it).toDoubleVector(), step(other, p, it).toDoubleVector(), 0.0,
          o.name() + " iteration " + it);
    }
  }
}
