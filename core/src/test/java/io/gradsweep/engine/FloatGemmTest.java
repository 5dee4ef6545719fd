package io.gradsweep.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/** Both libraries of the float products compute the same products, as BLAS defines them, on one thread each. */
class FloatGemmTest {

  /** oneDNN is what the engine uses here, with one OpenMP runtime in the process. */
  @Test
  void oneDnnIsTheDefaultAndSharesNd4jsOpenMp() {
    if (System.getProperty(FloatGemm.PROPERTY) == null && System.getenv(FloatGemm.ENV) == null) {
      assertEquals(FloatGemm.ONEDNN, FloatGemm.current());
    }
    assertTrue(FloatGemm.loadedOpenMpRuntimes().size() <= 1, FloatGemm.loadedOpenMpRuntimes().toString());
  }

  @ParameterizedTest(name = "transA={0} transB={1} m={2} n={3} k={4}")
  @CsvSource({"false,false,5,7,3", "true,false,5,7,3", "false,true,6,4,9", "true,true,3,8,5",
      "false,false,64,512,128", "true,false,128,512,64", "false,false,32,64,256"})
  void bothLibrariesMatchNd4j(boolean ta, boolean tb, int m, int n, int k) {
    Nd4j.getRandom().setSeed(m * 31L + n * 7L + k);
    // operands inside larger arrays: leading dimensions larger than the operand and offset first elements
    INDArray a = Nd4j.rand(DataType.FLOAT, (ta ? k : m) + 2, (ta ? m : k) + 3);
    INDArray b = Nd4j.rand(DataType.FLOAT, (tb ? n : k) + 1, (tb ? k : n) + 2);
    INDArray c0 = Nd4j.rand(DataType.FLOAT, m + 1, n + 4);
    INDArray aOp = a.get(range(1, ta ? k : m), range(2, ta ? m : k));
    INDArray bOp = b.get(range(1, tb ? n : k), range(1, tb ? k : n));
    INDArray expected = (ta ? aOp.transpose() : aOp).mmul(tb ? bOp.transpose() : bOp).muli(1.5)
        .addi(c0.get(range(1, m), range(3, n)).mul(0.25));
    for (FloatGemm g : FloatGemm.values()) {
      INDArray c = c0.dup();
      g.sgemm(ta, tb, m, n, k, 1.5f, at(a, 1, 2), (int) a.columns(), at(b, 1, 1), (int) b.columns(), 0.25f,
          at(c, 1, 3), (int) c.columns());
      INDArray got = c.get(range(1, m), range(3, n));
      assertEquals(0.0, expected.sub(got).amaxNumber().doubleValue(), 1e-4 * k, g.word());
      // what lies outside the block of c is untouched
      INDArray outside = c.dup();
      outside.get(range(1, m), range(3, n)).assign(0);
      INDArray outside0 = c0.dup();
      outside0.get(range(1, m), range(3, n)).assign(0);
      assertEquals(outside0, outside, g.word());
    }
  }

  /** With beta 0, c is written, not read: NaN left in a reused buffer does not leak into the product. */
  @Test
  void betaZeroIgnoresWhatCHeld() {
    INDArray a = Nd4j.rand(DataType.FLOAT, 4, 6);
    INDArray b = Nd4j.rand(DataType.FLOAT, 6, 5);
    INDArray expected = a.mmul(b);
    for (FloatGemm g : FloatGemm.values()) {
      INDArray c = Nd4j.valueArrayOf(new long[] {4, 5}, Float.NaN, DataType.FLOAT);
      g.sgemm(false, false, 4, 5, 6, 1f, at(a, 0, 0), 6, at(b, 0, 0), 5, 0f, at(c, 0, 0), 5);
      assertEquals(0.0, expected.sub(c).amaxNumber().doubleValue(), 1e-5, g.word());
    }
  }

  /**
   * A thread whose OpenMP count is above 1 (OMP_NUM_THREADS unset on a 2-core executor, or set high) still runs
   * oneDNN's products alone: the engine sets its count to 1 first, so no OpenMP team threads appear.
   */
  @Test
  void oneDnnRunsOnTheCallingThreadAlone() throws Exception {
    int threads = 3;
    CountDownLatch done = new CountDownLatch(threads);
    CountDownLatch release = new CountDownLatch(1);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    INDArray a = Nd4j.rand(DataType.FLOAT, 64, 256);
    INDArray b = Nd4j.rand(DataType.FLOAT, 256, 512);
    int before = tasks();
    List<Thread> started = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      INDArray c = Nd4j.create(DataType.FLOAT, 64, 512);
      Thread t = new Thread(() -> {
        try {
          NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(4); // no ND4J op on this thread after
          for (int r = 0; r < 20; r++) {
            FloatGemm.ONEDNN.sgemm(false, false, 64, 512, 256, 1f, at(a, 0, 0), 256, at(b, 0, 0), 512, 0f,
                at(c, 0, 0), 512);
          }
        } catch (Throwable e) {
          failed.set(e);
        } finally {
          done.countDown();
        }
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      started.add(t);
      t.start();
    }
    done.await();
    int during = tasks();
    release.countDown();
    for (Thread t : started) {
      t.join();
    }
    if (failed.get() != null) {
      throw new AssertionError(failed.get());
    }
    assertTrue(during - before <= threads, "threads before " + before + ", with the " + threads
        + " callers alive " + during + ": oneDNN started OpenMP team threads");
  }

  @Test
  void parseNamesTheSettingAndTheWordsAllowed() {
    assertEquals(FloatGemm.OPENBLAS, FloatGemm.parse(FloatGemm.ENV, " OpenBLAS "));
    assertEquals(FloatGemm.ONEDNN, FloatGemm.parse("-D" + FloatGemm.PROPERTY, "onednn"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FloatGemm.parse(FloatGemm.ENV, "mkl"));
    assertEquals("GRADSWEEP_GEMM is 'mkl'; allowed: onednn, openblas", e.getMessage());
  }

  @Test
  void thePropertyWinsOverTheEnvironmentAndABadWordIsRefused() {
    assertEquals(FloatGemm.OPENBLAS, FloatGemm.choose("openblas", "onednn"));
    assertEquals(FloatGemm.ONEDNN, FloatGemm.choose(null, "onednn"));
    assertEquals(FloatGemm.OPENBLAS, FloatGemm.choose(" ", "openblas"));
    assertEquals(FloatGemm.ONEDNN, FloatGemm.choose(null, null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FloatGemm.choose("blis", null));
    assertEquals("-Dgradsweep.gemm is 'blis'; allowed: onednn, openblas", e.getMessage());
  }

  private static int tasks() {
    return new File("/proc/self/task").list().length;
  }

  private static org.nd4j.linalg.indexing.INDArrayIndex range(int from, int count) {
    return org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + count);
  }

  private static FloatPointer at(INDArray base, long row, long col) {
    return new FloatPointer(base.data().addressPointer()).position(row * base.columns() + col);
  }
}
