package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class InitSchemeTest {

  @Test
  void orthogonalMatrixIsOrthogonal() {
    INDArray q = InitScheme.orthogonal(12, new SplittableRandom(9));
    INDArray qtq = q.transpose().mmul(q);
    assertEquals(0.0, qtq.sub(Nd4j.eye(12).castTo(DataType.DOUBLE)).amaxNumber().doubleValue(), 1e-12);
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"rnn,identity", "lstm,identity", "gru,orthogonal", "rnn,orthogonal:rho=0.5", "lstm,default:rho=1.2",
      "gru,identity:rho=0.9"})
  void recurrentBlocksFollowTheScheme(String cell, String init) {
    InitScheme scheme = InitScheme.fromWord(init);
    assertEquals(init, scheme.canonical());
    RecurrentNet net = new RecurrentNet(new NetSpec(cell, Activation.TANH, 2, 10, 1, 1, scheme, 1.0), 4,
        DataType.DOUBLE);
    RecurrentLayer layer = net.layers().get(0);
    int blocks = cell.equals("rnn") ? 1 : cell.equals("lstm") ? 4 : 3;
    for (int k = 0; k < blocks; k++) {
      INDArray blk = layer.recurrentBlock(k);
      String where = init + " block " + k;
      if (scheme.scaled()) {
        assertEquals(scheme.spectralRadius(), Spectral.spectralRadius(blk), 1e-6, where);
      }
      double scale = scheme.scaled() ? scheme.spectralRadius() : 1.0;
      if (scheme.kind() == InitScheme.Kind.IDENTITY) {
        INDArray eye = Nd4j.eye(10).castTo(DataType.DOUBLE).muli(scale);
        assertEquals(0.0, blk.sub(eye).amaxNumber().doubleValue(), 1e-12, where);
      } else if (scheme.kind() == InitScheme.Kind.ORTHOGONAL) {
        INDArray g = blk.transpose().mmul(blk).divi(scale * scale);
        assertEquals(0.0, g.sub(Nd4j.eye(10).castTo(DataType.DOUBLE)).amaxNumber().doubleValue(), 1e-9, where);
      }
    }
  }

  @Test
  void badWordsAreRejectedWithTheAllowedList() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> InitScheme.fromWord("glorot"));
    assertTrue(e.getMessage().contains("default, identity, orthogonal"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> InitScheme.fromWord("default:rho=-1"));
    assertThrows(IllegalArgumentException.class, () -> InitScheme.fromWord("default:gain=2"));
  }
}
