package io.gradsweep.engine;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The library that computes the engine's float matrix products ({@link Blas}): oneDNN's sgemm by default, OpenBLAS's
 * (the one ND4J uses) as the alternative. At the shapes of a recurrent step oneDNN's single-threaded sgemm took
 * 0.54-0.89 of OpenBLAS 0.3.19's time (hidden 64 to 512; one shape, the small transposed weight-gradient product at
 * hidden 64, 1.05), measured on the 2-vCPU AVX-512 machine, see docs/engine.md. No library tuning is done here: the
 * products are plain row-major sgemm calls with the same operands.
 *
 * <p>Chosen once per process: the system property {@value #PROPERTY} ({@code onednn} or {@code openblas}), else
 * the environment variable {@value #ENV}, else oneDNN. oneDNN is left out, with a warning, when it cannot load or
 * when the process holds two OpenMP runtimes (oneDNN must share ND4J's libgomp, whose per-thread thread count the
 * engine sets to 1, see {@link #onCallingThread()}).
 *
 * <p>Public for the benchmark ({@code GemmBenchmark}), which times both libraries through {@link #sgemm}, the call
 * the engine makes; the engine reaches it through {@code Blas}.
 *
 * <p>The two libraries round differently (their sums run in different orders): a trial's numbers depend on which one
 * ran, like on the machine's instruction set. Each is deterministic for the same shapes and thread count.
 */
public enum FloatGemm {
  OPENBLAS("openblas"),
  ONEDNN("onednn");

  static final String PROPERTY = "gradsweep.gemm";
  static final String ENV = "GRADSWEEP_GEMM";

  private static final Logger LOG = LoggerFactory.getLogger(FloatGemm.class);
  /** The library chosen for this process, or the error of a setting naming none (thrown at every use). */
  private static final Object CHOSEN = chooseOrError();
  /** Threads whose OpenMP thread count is already 1 (oneDNN runs its products on an OpenMP team per thread). */
  private static final ThreadLocal<Boolean> SINGLE = ThreadLocal.withInitial(() -> Boolean.FALSE);

  private final String word;

  FloatGemm(String word) {
    this.word = word;
  }

  /** The word a user writes in {@value #PROPERTY} or {@value #ENV}. */
  public String word() {
    return word;
  }

  /** The library the engine's float products use in this process. */
  static FloatGemm current() {
    if (CHOSEN instanceof FloatGemm g) {
      return g;
    }
    throw new IllegalArgumentException(((RuntimeException) CHOSEN).getMessage());
  }

  private static Object chooseOrError() {
    try {
      return choose(System.getProperty(PROPERTY), System.getenv(ENV));
    } catch (IllegalArgumentException e) { // every trial of this JVM then fails with the message, not a class error
      LOG.error(e.getMessage());
      return e;
    }
  }

  /** The library named by a word, or an error naming the setting, the value and the words allowed. */
  static FloatGemm parse(String setting, String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    for (FloatGemm g : values()) {
      if (g.word.equals(v)) {
        return g;
      }
    }
    throw new IllegalArgumentException(setting + " is '" + value + "'; allowed: onednn, openblas");
  }

  /** c = alpha op(a) op(b) + beta c on row-major float memory (the BLAS contract: c is not read when beta is 0). */
  public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, FloatPointer a, int lda,
      FloatPointer b, int ldb, float beta, FloatPointer c, int ldc) {
    if (this == ONEDNN) {
      onCallingThread();
      int status = org.bytedeco.dnnl.global.dnnl.dnnl_sgemm((byte) (transA ? 'T' : 'N'),
          (byte) (transB ? 'T' : 'N'), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      if (status != 0) {
        throw new IllegalStateException("oneDNN sgemm failed with status " + status + " (m " + m + ", n " + n
            + ", k " + k + ", lda " + lda + ", ldb " + ldb + ", ldc " + ldc + ")");
      }
    } else {
      openblas_nolapack.cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
          transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
  }

  /**
   * Sets the calling thread's OpenMP thread count to 1, once per thread: oneDNN would otherwise run each product on
   * a team of as many threads as cores (or OMP_NUM_THREADS), on top of the engine's own threads and of the other
   * trials of the executor. The count is per thread in OpenMP, so other threads keep theirs.
   */
  private static void onCallingThread() {
    if (!SINGLE.get()) {
      NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(1);
      SINGLE.set(Boolean.TRUE);
    }
  }

  /** The library for the settings given (the property wins over the environment); loads oneDNN when it is chosen. */
  static FloatGemm choose(String prop, String env) {
    FloatGemm wanted = prop != null && !prop.isBlank() ? parse("-D" + PROPERTY, prop)
        : env != null && !env.isBlank() ? parse(ENV, env) : ONEDNN;
    if (wanted == OPENBLAS) {
      return OPENBLAS;
    }
    try {
      Nd4j.getBackend(); // ND4J's natives (and its libgomp) first: oneDNN must bind to that OpenMP runtime
      org.bytedeco.javacpp.Loader.load(org.bytedeco.dnnl.global.dnnl.class);
    } catch (Throwable e) { // a missing native or platform: the engine still runs, on OpenBLAS
      LOG.warn("oneDNN did not load ({}); the engine's float products use OpenBLAS", e.toString());
      return OPENBLAS;
    }
    List<String> gomp = loadedOpenMpRuntimes();
    if (gomp.size() > 1) {
      LOG.warn("two OpenMP runtimes are loaded ({}); the engine's float products use OpenBLAS, because oneDNN's "
          + "thread count could not be set", gomp);
      return OPENBLAS;
    }
    return ONEDNN;
  }

  /** The distinct files of libgomp mapped into this process (Linux: /proc/self/maps). */
  static List<String> loadedOpenMpRuntimes() {
    try {
      return Files.readAllLines(Path.of("/proc/self/maps")).stream()
          .filter(l -> l.contains("/libgomp"))
          .map(l -> l.substring(l.indexOf('/')))
          .distinct()
          .collect(Collectors.toList());
    } catch (IOException e) {
      return List.of();
    }
  }
}
