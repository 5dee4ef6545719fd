package io.gradsweep.bench;

import io.gradsweep.engine.FloatGemm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The two libraries the engine can compute its float products with, oneDNN (the default) and OpenBLAS, on the
 * products of one training step of a recurrent layer, each on one thread: per time step h_{t-1} R (forward) and
 * dz_t R^T (backward), and the weight gradient over all steps H^T dZ. Both libraries get the same operands through the
 * engine's own call ({@link FloatGemm#sgemm}, which holds oneDNN to the calling thread), timed in alternation, seven
 * rounds each; the table gives each library's best round and the ratio oneDNN / OpenBLAS.
 * Arguments: shapes {@code HIDDENxBATCHxT} (default {@code 64x32x100 128x64x400 512x64x200}). Run by
 * {@code jobs/bin/benchmark --gemm}.
 */
public final class GemmBenchmark {
  private GemmBenchmark() {}

  public static void main(String[] args) {
    List<String> shapes = args.length > 0 ? Arrays.asList(args) : List.of("64x32x100", "128x64x400", "512x64x200");
    Nd4j.create(1); // ND4J's natives first, as in a trial
    org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(1);
    System.out.println("float products, one thread: OpenBLAS (ND4J's) against oneDNN; ms per product, best of 7 "
        + "rounds");
    System.out.println();
    System.out.println("| shape | cell | product | m x n x k | OpenBLAS ms | oneDNN ms | oneDNN / OpenBLAS |");
    System.out.println("|---|---|---|---|---|---|---|");
    List<Double> ratios = new ArrayList<>();
    for (String s : shapes) {
      String[] p = s.split("x");
      if (p.length != 3) {
        throw new IllegalArgumentException("shape '" + s + "': expected HIDDENxBATCHxT, e.g. 128x64x400");
      }
      int h = Integer.parseInt(p[0]);
      int b = Integer.parseInt(p[1]);
      int t = Integer.parseInt(p[2]);
      for (String cell : List.of("rnn", "lstm", "gru")) {
        int g = h * ("lstm".equals(cell) ? 4 : "gru".equals(cell) ? 3 : 1);
        ratios.add(row(s, cell, "h R (forward step)", false, false, b, g, h));
        ratios.add(row(s, cell, "dz R^T (backward step)", false, false, b, h, g)); // R^T held transposed
        ratios.add(row(s, cell, "H^T dZ (dR, all steps)", true, false, h, g, b * t));
      }
    }
    double[] r = ratios.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    System.out.printf("%noneDNN / OpenBLAS over the %d products: median %.2f, range %.2f-%.2f%n", r.length,
        r[r.length / 2], r[0], r[r.length - 1]);
  }

  private static double row(String shape, String cell, String what, boolean ta, boolean tb, int m, int n, int k) {
    FloatPointer a = fill(new FloatPointer((long) m * k), 1);
    FloatPointer b = fill(new FloatPointer((long) k * n), 2);
    FloatPointer c = fill(new FloatPointer((long) m * n), 3);
    int reps = (int) Math.max(3, Math.min(20000, 2e9 / (2.0 * m * n * k)));
    double blas = Double.MAX_VALUE;
    double dnnl = Double.MAX_VALUE;
    for (int round = 0; round < 7; round++) {
      blas = Math.min(blas, time(FloatGemm.OPENBLAS, ta, tb, m, n, k, a, b, c, reps));
      dnnl = Math.min(dnnl, time(FloatGemm.ONEDNN, ta, tb, m, n, k, a, b, c, reps));
    }
    System.out.printf("| %s | %s | %s | %d x %d x %d | %.4f | %.4f | %.2f |%n", shape, cell, what, m, n, k, blas,
        dnnl, dnnl / blas);
    a.close();
    b.close();
    c.close();
    return dnnl / blas;
  }

  private static double time(FloatGemm lib, boolean ta, boolean tb, int m, int n, int k, FloatPointer a,
      FloatPointer b, FloatPointer c, int reps) {
    int lda = ta ? m : k;
    int ldb = tb ? k : n;
    long t0 = System.nanoTime();
    for (int i = 0; i < reps; i++) {
      lib.sgemm(ta, tb, m, n, k, 1f, a, lda, b, ldb, 0f, c, n);
    }
    return (System.nanoTime() - t0) / 1e6 / reps;
  }

  private static FloatPointer fill(FloatPointer p, int seed) {
    long n = p.capacity();
    for (long i = 0; i < n; i++) {
      p.put(i, (float) Math.sin(i * 0.37 + seed) * 0.1f);
    }
    return p;
  }
}
