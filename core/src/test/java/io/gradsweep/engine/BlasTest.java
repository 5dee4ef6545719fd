package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The direct CBLAS path agrees with ND4J's own matrix product, on base arrays and row-block views. */
class BlasTest {

  @ParameterizedTest(name = "{0} transA={1} transB={2}")
  @CsvSource({"FLOAT,false,false", "FLOAT,true,false", "FLOAT,false,true", "DOUBLE,false,false",
      "DOUBLE,true,true"})
  void gemmMatchesNd4j(DataType dt, boolean ta, boolean tb) {
    Nd4j.getRandom().setSeed(1);
    int m = 5;
    int k = 3;
    int n = 4;
    INDArray bigA = Nd4j.rand(dt, 3 * (ta ? k : m), ta ? m : k);
    INDArray a = bigA.get(NDArrayIndex.interval(ta ? k : m, 2 * (ta ? k : m)), NDArrayIndex.all());
    INDArray b = Nd4j.rand(dt, tb ? n : k, tb ? k : n);
    INDArray bigC = Nd4j.rand(dt, 2 * m, n);
    INDArray c = bigC.get(NDArrayIndex.interval(m, 2 * m), NDArrayIndex.all());
    INDArray expected = (ta ? a.transpose() : a).mmul(tb ? b.transpose() : b).muli(2.0).addi(c.mul(0.5));
    Blas.gemm(a, b, c, ta, tb, 2.0, 0.5);
    assertEquals(0.0, expected.sub(c).amaxNumber().doubleValue(), 1e-5);
  }
}
