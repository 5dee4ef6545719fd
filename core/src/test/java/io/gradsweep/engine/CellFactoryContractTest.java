package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.plugin.Registry;
import io.gradsweep.spec.Axis;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What every registered {@link CellFactory} declares, checked against the layers it builds: the name, the layer's
 * shape, whether the activation matters, the state it carries and the extra state series the profiler logs. The
 * numerical part of the cell contract is in the tests {@link CellCases} lists.
 */
class CellFactoryContractTest {
  private static final int IN = 3;
  private static final int HIDDEN = 5;

  static Stream<Named<CellFactory>> factories() {
    return Cells.all().stream().map(f -> Named.of(f.name(), f));
  }

  private static RecurrentLayer bound(CellFactory f, Activation act, DataType dt) {
    RecurrentLayer l = f.create("layer7", IN, HIDDEN, act, 1.0, dt);
    long n = l.paramCount();
    l.bind(Nd4j.zeros(dt, 1, n), Nd4j.zeros(dt, 1, n), 0);
    l.init(new SplittableRandom(3), InitScheme.DEFAULT);
    for (ParamBlock p : l.blocks()) {
      p.param().muli(1.5).addi(0.1);
    }
    return l;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("factories")
  void nameIsALowerCaseWordKnownToTheRegistry(CellFactory f) {
    assertTrue(Registry.NAME.matcher(f.name()).matches(), f.name());
    assertSame(f, Cells.byName(f.name()));
    assertTrue(Axis.CELL.allowed().contains(f.name()), Axis.CELL.allowed());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("factories")
  void buildsAFreshLayerOfTheAskedShape(CellFactory f) {
    for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      RecurrentLayer a = f.create("layer7", IN, HIDDEN, Activation.TANH, 1.0, dt);
      RecurrentLayer b = f.create("layer7", IN, HIDDEN, Activation.TANH, 1.0, dt);
      assertNotSame(a, b);
      assertEquals("layer7", a.name());
      assertEquals(IN, a.inputSize());
      assertEquals(HIDDEN, a.hiddenSize());
      assertEquals(dt, a.dataType());
      assertTrue(a.paramCount() > 0);
      assertEquals(a.gateBlocks(), a.gateNames().length, "one gate name per gate block");
    }
    assertThrows(IllegalArgumentException.class, () -> f.create("l", 0, HIDDEN, Activation.TANH, 1.0,
        DataType.DOUBLE));
    assertThrows(IllegalArgumentException.class, () -> f.create("l", IN, 0, Activation.TANH, 1.0,
        DataType.DOUBLE));
    assertThrows(IllegalArgumentException.class, () -> f.create("l", IN, HIDDEN, Activation.TANH, 1.0,
        DataType.INT));
  }

  /** The activation changes the output exactly for the cells that declare they use one. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("factories")
  void usesActivationIsTrueExactlyWhenTheActivationMatters(CellFactory f) {
    INDArray x = InitialStateTest.random(DataType.DOUBLE, 4L * 2, IN, new SplittableRandom(5));
    INDArray tanh = bound(f, Activation.TANH, DataType.DOUBLE).forward(x, 4, 2).dup();
    INDArray sigmoid = bound(f, Activation.SIGMOID, DataType.DOUBLE).forward(x, 4, 2).dup();
    double difference = tanh.sub(sigmoid).norm2Number().doubleValue();
    assertEquals(f.usesActivation(), difference > 0, f.name() + ": outputs differ by " + difference);
    assertEquals(f.usesActivation(), Axis.ACTIVATION_CELLS.contains(f.name()));
    assertEquals(f.usesActivation(), Cells.activationCells().contains(f.name()));
  }

  /** The cell state is declared, carried in the final state and its gradient series is [T*B, hidden]. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("factories")
  void declaredStateMatchesWhatTheLayerCarries(CellFactory f) {
    RecurrentLayer l = bound(f, Activation.TANH, DataType.DOUBLE);
    int steps = 6;
    int batch = 2;
    INDArray x = InitialStateTest.random(DataType.DOUBLE, (long) steps * batch, IN, new SplittableRandom(5));
    l.forward(x, steps, batch);
    RecurrentState fin = l.finalState();
    assertEquals(l.hasCellState(), fin.c() != null);
    l.backward(Nd4j.ones(DataType.DOUBLE, (long) steps * batch, HIDDEN), 0);
    assertArrayEquals(new long[] {(long) steps * batch, HIDDEN}, l.hiddenGradients().shape());
    Map<String, INDArray> extra = l.extraStateGradients();
    for (Map.Entry<String, INDArray> e : extra.entrySet()) {
      assertTrue(e.getKey().matches("d[a-z][a-z0-9_]*") && !e.getKey().equals("dh"), e.getKey());
      assertArrayEquals(new long[] {(long) steps * batch, HIDDEN}, e.getValue().shape(), e.getKey());
      assertTrue(e.getValue().norm2Number().doubleValue() > 0, e.getKey() + " is all zero");
    }
    assertEquals(l.hasCellState(), extra.containsKey("dc"), "a cell state has its dc series");
  }

  @Test
  void theNetworkBuildsItsLayersWithTheRegistryAndUnknownCellsAreNamed() {
    for (CellFactory f : Cells.all()) {
      RecurrentNet net = new RecurrentNet(new NetSpec(f.name(), Activation.TANH, 2, 4, 2, 1, null, 1.0), 1,
          DataType.DOUBLE);
      assertEquals(f.create("x", 2, 4, Activation.TANH, 1.0, DataType.DOUBLE).getClass(),
          net.layers().get(0).getClass());
      assertEquals("layer1", net.layers().get(1).name());
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new NetSpec("lstn", Activation.TANH, 2, 4, 1, 1, null, 1.0));
    assertTrue(e.getMessage().contains("known cells: " + String.join(", ", Cells.names())), e.getMessage());
    assertTrue(e.getMessage().contains("did you mean \"lstm\"?"), e.getMessage());
  }
}
