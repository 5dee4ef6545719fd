package io.gradsweep.train;

import io.gradsweep.spec.TrialSpec;
import io.gradsweep.tracking.TrialRun;
import java.util.Random;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.recurrent.LastTimeStep;
import org.deeplearning4j.nn.conf.layers.recurrent.SimpleRnn;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.BaseTrainingListener;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * PLACEHOLDER (spark worktree only; the training engineer owns the real one). Trains a tiny net on the adding
 * problem with DL4J so that Spark plumbing is exercised with real ND4J natives. Ignores clipping and tbptt.
 */
public final class TrialRunner {

  public TrialResult run(TrialSpec spec, TrialRun run) {
    long t0 = System.nanoTime();
    try {
      MultiLayerNetwork net = new MultiLayerNetwork(config(spec));
      net.init();
      double[] maxNorm = {0};
      net.setListeners(new BaseTrainingListener() {
        @Override public void onGradientCalculation(Model model) {
          maxNorm[0] = Math.max(maxNorm[0], model.gradient().gradient().norm2Number().doubleValue());
        }
      });
      Random rnd = new Random(spec.seed());
      DataSet eval = adding(spec.evalSize(), spec.seqLen(), new Random(spec.evalSeed()));
      int solvedAt = -1;
      double evalLoss = Double.NaN;
      int step = 0;
      while (step < spec.maxSteps()) {
        step++;
        net.fit(adding(spec.batchSize(), spec.seqLen(), rnd));
        double loss = net.score();
        run.logMetric("train_loss", loss, step);
        run.logMetric("grad_norm", maxNorm[0], step);
        if (!Double.isFinite(loss)) {
          run.finish(true);
          return new TrialResult(spec.id(), spec.displayName(), run.runId(), TrialStatus.DIVERGED, step, -1, step,
              Double.NaN, 1.0 / 6, maxNorm[0], 0, secs(t0), null);
        }
        if (step % spec.evalEvery() == 0 || step == spec.maxSteps()) {
          evalLoss = net.score(eval);
          run.logMetric("eval_loss", evalLoss, step);
          if (evalLoss < spec.solveThreshold() && solvedAt < 0) {
            solvedAt = step;
          }
        }
      }
      run.finish(true);
      return new TrialResult(spec.id(), spec.displayName(), run.runId(),
          solvedAt > 0 ? TrialStatus.SOLVED : TrialStatus.NOT_SOLVED, step, solvedAt, -1, evalLoss, 1.0 / 6,
          maxNorm[0], 0, secs(t0), null);
    } catch (RuntimeException e) {
      run.finish(false);
      return TrialResult.failed(spec.id(), spec.displayName(), run.runId(), e.toString(), secs(t0));
    }
  }

  private static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  private static MultiLayerConfiguration config(TrialSpec s) {
    var updater = switch (s.optimizer()) {
      case "sgd" -> new Sgd(s.lr());
      case "rmsprop" -> new RmsProp(s.lr());
      default -> new Adam(s.lr());
    };
    var rec = s.cell().equals("lstm")
        ? new LSTM.Builder().nIn(2).nOut(s.hidden()).activation(Activation.TANH).build()
        : new SimpleRnn.Builder().nIn(2).nOut(s.hidden()).activation(Activation.TANH).build();
    return new NeuralNetConfiguration.Builder().seed(s.seed()).updater(updater).list()
        .layer(new LastTimeStep(rec))
        .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MSE).nIn(s.hidden()).nOut(1)
            .activation(Activation.IDENTITY).build())
        .build();
  }

  private static DataSet adding(int n, int t, Random rnd) {
    float[][][] x = new float[n][2][t];
    float[][] y = new float[n][1];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < t; k++) {
        x[i][0][k] = rnd.nextFloat();
      }
      int a = rnd.nextInt(t / 2);
      int b = t / 2 + rnd.nextInt(t - t / 2);
      x[i][1][a] = 1;
      x[i][1][b] = 1;
      y[i][0] = x[i][0][a] + x[i][0][b];
    }
    INDArray features = Nd4j.create(x);
    INDArray labels = Nd4j.create(y);
    return new DataSet(features, labels);
  }
}
