package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

  /** Products on held arrays give the bits of gemmBlock on the same blocks, on views too; blocks outside fail. */
  @ParameterizedTest(name = "transA={0} transB={1}")
  @CsvSource({"false,false", "true,false", "false,true", "true,true"})
  void heldArraysGiveTheBitsOfGemmBlock(boolean ta, boolean tb) {
    Nd4j.getRandom().setSeed(2);
    INDArray a = Nd4j.rand(DataType.FLOAT, 20, 12).get(NDArrayIndex.interval(3, 19), NDArrayIndex.all());
    INDArray b = Nd4j.rand(DataType.FLOAT, 14, 18);
    INDArray c0 = Nd4j.rand(DataType.FLOAT, 9, 10);
    INDArray c1 = c0.dup();
    int m = 5;
    int n = 6;
    int k = 4;
    Blas.gemmBlock(a, 2, 1, ta, b, 3, 2, tb, c0, 1, 3, m, n, k, 1.5, 0.5);
    Blas.FloatMat am = new Blas.FloatMat(a);
    Blas.FloatMat bm = new Blas.FloatMat(b);
    Blas.FloatMat cm = new Blas.FloatMat(c1);
    Blas.sgemm(am, 2, 1, ta, bm, 3, 2, tb, cm, 1, 3, m, n, k, 1.5f, 0.5f);
    assertEquals(0.0, c0.sub(c1).amaxNumber().doubleValue(), 0.0);
    assertTrue(c0.sub(Nd4j.rand(DataType.FLOAT, 9, 10)).amaxNumber().doubleValue() > 0);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Blas.sgemm(am, 14, 0, false, bm, 0, 0, false, cm, 0, 0, 3, 2, 2, 1f, 0f));
    assertTrue(e.getMessage().contains("outside its array [16, 12]"), e.getMessage());
  }
}
