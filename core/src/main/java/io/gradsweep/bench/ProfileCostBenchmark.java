package io.gradsweep.bench;

import io.gradsweep.engine.ParamBlock;
import io.gradsweep.engine.RecurrentLayer;
import io.gradsweep.engine.RecurrentNet;
import io.gradsweep.probe.GradientProfiler;
import io.gradsweep.probe.ProfileStats;
import io.gradsweep.spec.ClipSpec;
import io.gradsweep.spec.TrialSpec;
import io.gradsweep.task.Batch;
import io.gradsweep.task.SequenceTask;
import io.gradsweep.task.SequenceTasks;
import io.gradsweep.train.GradientNorms;
import io.gradsweep.train.Optimizers;
import io.gradsweep.train.TrialRunner;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * What the gradient profile of {@link TrialRunner} costs relative to training: per cell, the median time of a
 * training step (sample, forward + backward, gradient norms, optimizer update), the median time of one profile
 * (the work of {@code recordProfile} at a profile step, without logging: per-step norms, stats and buckets,
 * weight spectra, activation health), each part of it, and the profile's share of training time when it runs
 * every {@code eval_every} steps: {@code profile / (eval_every * step + profile)}.
 *
 * <p>Run on one thread (the setting of a Spark task):
 *
 * <pre>
 * mvn -B -q -o -pl core compile dependency:build-classpath -Dmdep.outputFile=/tmp/gs-cp.txt
 * OMP_NUM_THREADS=1 java -cp core/target/classes:$(cat /tmp/gs-cp.txt) io.gradsweep.bench.ProfileCostBenchmark \
 *     [hidden=64] [batch=32] [T=100] [evalEvery=50] [reps=30] [cells=rnn,lstm,gru]
 * </pre>
 * Arguments are {@code key=value}; later ones override earlier ones. Small trials: {@code hidden=32 T=10}.
 *
 * <p>Measured on a shared 2-core machine (load about 3 from other jobs, so +-30%), hidden 64, batch 32, T 100,
 * every 50 steps: before (spectra through many small ND4J calls, health through ND4J masks) rnn 3.6%, lstm 5.3%,
 * gru 2.5% with spectra 13 / 78 / 25 ms of a 16 / 82 / 26 ms profile; after: 0.7-1.0%, profile 5 / 14 / 9 ms.
 * The profile time here excludes logging the metrics (TrialRunner's {@code final/profile_seconds} includes it).
 */
public final class ProfileCostBenchmark {
  private ProfileCostBenchmark() {}

  public static void main(String[] args) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put("hidden", "64");
    a.put("batch", "32");
    a.put("T", "100");
    a.put("evalEvery", "50");
    a.put("reps", "30");
    a.put("cells", "rnn,lstm,gru");
    for (String s : args) {
      int eq = s.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("key=value expected: " + s);
      }
      a.put(s.substring(0, eq), s.substring(eq + 1));
    }
    int hidden = Integer.parseInt(a.get("hidden"));
    int batch = Integer.parseInt(a.get("batch"));
    int steps = Integer.parseInt(a.get("T"));
    int evalEvery = Integer.parseInt(a.get("evalEvery"));
    int reps = Integer.parseInt(a.get("reps"));
    System.out.printf("hidden %d, batch %d, T %d, profile every %d steps, %d reps, OMP_NUM_THREADS=%s%n", hidden,
        batch, steps, evalEvery, reps, System.getenv("OMP_NUM_THREADS"));
    System.out.printf("%-6s %10s %11s %8s %8s %8s %8s %8s%n", "cell", "step_ms", "profile_ms", "share", "norms",
        "stats", "spectra", "health");
    for (String cell : a.get("cells").split(",")) {
      Row r = measure(cell, hidden, batch, steps, evalEvery, reps);
      System.out.printf("%-6s %10.2f %11.2f %7.2f%% %8.2f %8.2f %8.2f %8.2f%n", cell, r.stepMs, r.profileMs,
          100 * r.share, r.partsMs[0], r.partsMs[1], r.partsMs[2], r.partsMs[3]);
    }
  }

  /** Medians in milliseconds; parts: per-step norms, stats and buckets, spectra, health. */
  record Row(double stepMs, double profileMs, double share, double[] partsMs) {}

  static Row measure(String cell, int hidden, int batch, int steps, int evalEvery, int reps) {
    TrialSpec spec = new TrialSpec("bench", "bench", "adding", 64, 99, steps, cell, cell.equals("rnn") ? "tanh" : null,
        ClipSpec.NONE, 0, "adam", 1e-3, hidden, 1, "default", 1, batch, 1000, evalEvery, 0.0);
    SequenceTask task = SequenceTasks.byName(spec.task());
    DataType dtype = DataType.FLOAT;
    RecurrentNet net = TrialRunner.buildNet(spec, task, dtype);
    List<ParamBlock> blocks = net.blocks();
    GradientUpdater<?> updater = Optimizers.instantiate(Optimizers.config(spec.optimizer(), spec.lr()),
        net.params());
    SplittableRandom data = new SplittableRandom(7);
    int warm = Math.max(5, reps / 3);
    double[] stepNs = new double[reps];
    double[] profNs = new double[reps];
    double[][] partNs = new double[4][reps];
    double sink = 0;
    for (int i = -warm; i < reps; i++) {
      long s0 = System.nanoTime();
      Batch b = task.sample(steps, batch, data, dtype);
      net.computeGradient(b.x(), b.y(), steps, batch, 0);
      GradientNorms norms = GradientNorms.measure(blocks);
      long s1 = System.nanoTime();
      long p0 = System.nanoTime();
      Map<String, double[]> series = GradientProfiler.capture(net, steps);
      long p1 = System.nanoTime();
      for (double[] v : series.values()) {
        ProfileStats st = ProfileStats.of(v);
        sink += st.horizon() + ProfileStats.buckets(v, TrialRunner.PROFILE_BUCKETS)[0];
      }
      long p2 = System.nanoTime();
      Map<String, Double> spectra = GradientProfiler.weightSpectra(net);
      long p3 = System.nanoTime();
      for (RecurrentLayer l : net.layers()) {
        sink += l.health().size();
      }
      long p4 = System.nanoTime();
      sink += spectra.size() + norms.global();
      long u0 = System.nanoTime();
      updater.applyUpdater(net.gradients(), i + warm, 0);
      net.params().subi(net.gradients());
      long u1 = System.nanoTime();
      if (i >= 0) {
        stepNs[i] = (s1 - s0) + (u1 - u0);
        profNs[i] = p4 - p0;
        partNs[0][i] = p1 - p0;
        partNs[1][i] = p2 - p1;
        partNs[2][i] = p3 - p2;
        partNs[3][i] = p4 - p3;
      }
    }
    if (sink == 42.4242) {
      System.out.println();
    }
    double step = median(stepNs) / 1e6;
    double prof = median(profNs) / 1e6;
    double[] parts = new double[4];
    for (int k = 0; k < 4; k++) {
      parts[k] = median(partNs[k]) / 1e6;
    }
    return new Row(step, prof, prof / (evalEvery * step + prof), parts);
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
  }
}
