package io.gradsweep.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gradsweep.engine.Activation;
import io.gradsweep.engine.InitScheme;
import io.gradsweep.engine.NetSpec;
import io.gradsweep.engine.ParamBlock;
import io.gradsweep.engine.RecurrentNet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The norms measured from Java against ND4J's own reduction, per block, per layer and globally. */
class GradientNormsTest {

  @ParameterizedTest
  @ValueSource(strings = {"FLOAT", "DOUBLE"})
  void blockNormsEqualNd4jsNorm2(String type) {
    DataType dt = DataType.valueOf(type);
    RecurrentNet net = new RecurrentNet(new NetSpec("gru", Activation.TANH, 2, 5, 2, 1, InitScheme.DEFAULT, 1.0), 4,
        dt);
    net.gradients().assign(Nd4j.rand(dt, net.gradients().shape()).subi(0.5));
    GradientNorms n = GradientNorms.measure(net.blocks());
    double total = 0;
    for (ParamBlock b : net.blocks()) {
      double want = b.grad().castTo(DataType.DOUBLE).norm2Number().doubleValue();
      assertEquals(want, n.blocks().get(b.key()), 1e-6 * want, b.key());
      total += want * want;
    }
    assertEquals(Math.sqrt(total), n.global(), 1e-6 * n.global());
    assertEquals(net.gradients().castTo(DataType.DOUBLE).norm2Number().doubleValue(), n.global(), 1e-6 * n.global());
  }

  @ParameterizedTest
  @ValueSource(strings = {"FLOAT", "DOUBLE"})
  void aStridedViewFallsBackToTheReduction(String type) {
    DataType dt = DataType.valueOf(type);
    INDArray m = Nd4j.rand(dt, 6, 7);
    INDArray column = m.get(NDArrayIndex.all(), NDArrayIndex.interval(2, 4)); // rows of 2 in rows of 7
    assertEquals(column.castTo(DataType.DOUBLE).norm2Number().doubleValue(), GradientNorms.norm2(column), 1e-6);
    INDArray rows = m.get(NDArrayIndex.interval(1, 3), NDArrayIndex.all()); // contiguous, at an offset
    assertEquals(rows.castTo(DataType.DOUBLE).norm2Number().doubleValue(), GradientNorms.norm2(rows), 1e-6);
  }
}
