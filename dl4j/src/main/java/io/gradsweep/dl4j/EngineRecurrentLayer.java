package io.gradsweep.dl4j;

import io.gradsweep.engine.RecurrentLayer;
import io.gradsweep.engine.RecurrentState;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.deeplearning4j.exception.DL4JInvalidInputException;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.RNNFormat;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.recurrent.BaseRecurrentLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The DL4J layer implementation of {@link EngineRnn}, {@link EngineLstm} and {@link EngineGru}: converts DL4J's
 * [minibatch, size, time] arrays (NCW; or NWC) to the engine's time-major layout (row t*minibatch + i), runs the
 * engine layer ({@link #engineLayer()}) on the parameter and gradient views of {@link EngineParamInitializer},
 * and converts the results back. The engine's buffers, and the stored states, live outside DL4J's workspaces;
 * returned activations are created in the ACTIVATIONS workspace and input gradients in ACTIVATION_GRAD.
 *
 * <p><b>Masking.</b> A feature mask [minibatch, time] of 0/1 values (any other value is rejected) marks the
 * steps that exist. At a masked step (0) the layer does not run for that example: its state is carried through
 * unchanged (h and, for the LSTM, c), its output is zero, the gradient arriving at that output is ignored, its
 * input gets a zero gradient and adds nothing to the parameter gradients, and the state gradient passes back
 * unchanged to the previous step. So masking the padding at the end of a sequence leaves the state of its last
 * real step as the final state, and masking steps at the start (left padding) is the same as not having them.
 * The mask is passed on to the next layer. (In DL4J 1.0.0-M2.1, {@code SimpleRnn} computes masked steps and zeroes
 * their output afterwards, and {@code LSTM} leaves their output as computed, relying on the loss mask; with only
 * trailing steps masked, both give the gradients of these layers and the same outputs at the real steps.)
 *
 * <p><b>State.</b> {@link #activate} starts from a zero state. {@link #rnnTimeStep} starts from the state stored by
 * the previous call (or {@link #rnnSetPreviousState}) and stores the final state; {@link #rnnActivateUsingStoredState}
 * starts from the truncated-BPTT state and, when asked, stores its final state there. State keys: {@code prevAct}
 * (h, [minibatch, nOut]) and, for the LSTM, {@code prevMem} (c), as DL4J's {@code LSTM}.
 *
 * <p><b>Truncated BPTT.</b> The state carried in from the previous segment is a constant: no gradient flows into
 * the previous segment. {@link #tbpttBackpropGradient} propagates gradients through the last {@code backLength}
 * steps of the segment only (all of it when backLength &lt;= 0 or &gt;= its length): the output gradients of
 * earlier steps are dropped and the gradient reaching their inputs, and their share of the parameter gradients,
 * is exactly zero. {@link #backpropGradient} after a stored-state forward pass for TBPTT applies the
 * configuration's {@link EngineRecurrent#getTbpttBackLength()} (see there why), otherwise full BPTT.
 *
 * <p>A backward pass uses the engine buffers of the latest forward pass on the same input array; if the input
 * changed since (or there was no forward pass), the forward pass is redone from a zero state first. Not
 * thread-safe: one network per thread, as DL4J's own layers.
 */
public class EngineRecurrentLayer extends BaseRecurrentLayer<EngineRecurrent> {
  public static final String STATE_KEY_PREV_ACTIVATION = "prevAct";
  public static final String STATE_KEY_PREV_MEMCELL = "prevMem";

  private final RecurrentLayer cell;
  private final Map<String, INDArray> boundParams = new LinkedHashMap<>();
  private final Map<String, INDArray> boundGrads = new LinkedHashMap<>();
  /** Time-major copies, [T*B, nIn] / [T*B, nOut] / [T*B, nIn], outside workspaces, reused per shape. */
  private INDArray xBuf;
  private INDArray dOutBuf;
  private INDArray dxBuf;
  private boolean[] presentBuf;
  /** The input of the forward pass whose buffers the engine holds; null = none. */
  private INDArray forwardInput;
  /** Whether that pass started from the TBPTT state and stored its final state for the next segment. */
  private boolean forwardForTbptt;
  private long[] forwardInputShape;
  private int steps;
  private int batch;

  public EngineRecurrentLayer(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
    EngineRecurrent lc = (EngineRecurrent) conf.getLayer();
    String name = lc.getLayerName() == null ? lc.cell() : lc.getLayerName();
    if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
      throw new IllegalArgumentException(lc.describe() + ": engine layers run in FLOAT or DOUBLE networks, got "
          + dataType);
    }
    this.cell = lc.createCell(name, dataType);
  }

  /**
   * The engine layer doing the math: its {@code hiddenGradients()}, {@code health()}, {@code blocks()} and
   * {@code recurrentBlock(k)} describe this layer's last pass (in time-major layout).
   */
  public RecurrentLayer engineLayer() {
    return cell;
  }

  @Override
  public Type type() {
    return Type.RECURRENT;
  }

  @Override
  public boolean isPretrainLayer() {
    return false;
  }

  @Override
  public INDArray activate(boolean training, LayerWorkspaceMgr workspaceMgr) {
    return forward(null, training, false, workspaceMgr);
  }

  @Override
  public INDArray rnnTimeStep(INDArray input, LayerWorkspaceMgr workspaceMgr) {
    setInput(input, workspaceMgr);
    INDArray out = forward(stateFrom(stateMap), false, false, workspaceMgr);
    storeFinalState(stateMap);
    return out;
  }

  @Override
  public INDArray rnnActivateUsingStoredState(INDArray input, boolean training, boolean storeLastForTBPTT,
      LayerWorkspaceMgr workspaceMgr) {
    setInput(input, workspaceMgr);
    INDArray out = forward(stateFrom(tBpttStateMap), training, storeLastForTBPTT, workspaceMgr);
    if (storeLastForTBPTT) {
      storeFinalState(tBpttStateMap);
    }
    return out;
  }

  @Override
  public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr workspaceMgr) {
    int backLength = forwardForTbptt && input == forwardInput ? layerConf().getTbpttBackLength() : 0;
    return backward(epsilon, backLength, workspaceMgr);
  }

  @Override
  public Pair<Gradient, INDArray> tbpttBackpropGradient(INDArray epsilon, int tbpttBackLength,
      LayerWorkspaceMgr workspaceMgr) {
    return backward(epsilon, tbpttBackLength, workspaceMgr);
  }

  /** Copies a flat parameter vector in this layer's own layout (that of {@link #params()}). */
  @Override
  public void setParams(INDArray params) {
    setParams(params, 'c');
  }

  @Override
  protected void setParams(INDArray params, char order) {
    if (params == paramsFlattened) {
      return;
    }
    if (params.length() != paramsFlattened.length()) {
      throw new IllegalArgumentException(layerConf().describe() + ": expected " + paramsFlattened.length()
          + " parameters, got " + params.length());
    }
    paramsFlattened.assign(params.reshape(paramsFlattened.shape()));
  }

  @Override
  public void clear() {
    super.clear();
    forwardInput = null;
    forwardForTbptt = false;
  }

  private boolean nwc() {
    return layerConf().getRnnDataFormat() == RNNFormat.NWC;
  }

  /** The input as rank 3 in the layer's format (a rank-2 input [minibatch, nIn] is one time step). */
  private INDArray input3d(INDArray in) {
    if (in.rank() == 2) {
      return nwc() ? in.reshape(in.size(0), 1, in.size(1)) : in.reshape(in.size(0), in.size(1), 1);
    }
    if (in.rank() != 3) {
      throw new DL4JInvalidInputException(layerConf().describe() + ": expected input of rank 3 ([minibatch, "
          + (nwc() ? "time, size" : "size, time") + "]) or 2, got shape " + Arrays.toString(in.shape()));
    }
    return in;
  }

  private INDArray forward(RecurrentState initial, boolean training, boolean tbptt, LayerWorkspaceMgr mgr) {
    assertInputSet(false);
    applyDropOutIfNecessary(training, mgr);
    INDArray hidden = runCell(initial);
    forwardForTbptt = tbptt;
    boolean nwc = nwc();
    long nOut = layerConf().getNOut();
    long[] shape = nwc ? new long[] {batch, steps, nOut} : new long[] {batch, nOut, steps};
    INDArray out = mgr.createUninitialized(ArrayType.ACTIVATIONS, dataType, shape, 'f');
    fromTimeMajor(hidden, out, nwc);
    if (presentBuf != null && maskArray != null) {
      // masked steps output zero (the engine's state buffer holds the carried state there)
      INDArray m = maskArray.dataType() == dataType ? maskArray : maskArray.castTo(dataType);
      Nd4j.getExecutioner().exec(new BroadcastMulOp(out, m, out, nwc ? new int[] {0, 1} : new int[] {0, 2}));
    }
    return out;
  }

  /** Runs the engine's forward pass on {@link #input}; returns its view of h_1..h_T. */
  @SuppressWarnings("try") // the scope only moves allocations out of workspaces
  private INDArray runCell(RecurrentState initial) {
    INDArray in = input3d(input);
    boolean nwc = nwc();
    long b = in.size(0);
    long t = nwc ? in.size(1) : in.size(2);
    long n = nwc ? in.size(2) : in.size(1);
    if (n != layerConf().getNIn()) {
      throw new DL4JInvalidInputException(layerConf().describe() + ": input has size " + n + " but nIn is "
          + layerConf().getNIn() + " (input shape " + Arrays.toString(input.shape()) + ", format "
          + layerConf().getRnnDataFormat() + ")");
    }
    if (b * t > Integer.MAX_VALUE / Math.max(n, layerConf().getNOut())) {
      throw new DL4JInvalidInputException(layerConf().describe() + ": input too large: " + Arrays.toString(
          input.shape()));
    }
    if (initial != null && initial.h().size(0) != b) {
      throw new DL4JInvalidInputException(layerConf().describe() + ": stored state has " + initial.h().size(0)
          + " examples but the input has " + b + ". Possible cause: rnnTimeStep() or truncated BPTT with a "
          + "different minibatch size, without rnnClearPreviousState() in between");
    }
    batch = (int) b;
    steps = (int) t;
    boolean[] present = presence(maskArray, batch, steps);
    syncBinding(false);
    INDArray hidden;
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      xBuf = buffer(xBuf, (long) steps * batch, n);
      toTimeMajor(in.dataType() == dataType ? in : in.castTo(dataType), xBuf, nwc);
      hidden = cell.forwardView(xBuf, steps, batch, initial, present);
    }
    forwardInput = input;
    forwardInputShape = input.shape();
    return hidden;
  }

  @SuppressWarnings("try")
  private Pair<Gradient, INDArray> backward(INDArray epsilon, int backLength, LayerWorkspaceMgr mgr) {
    assertInputSet(true);
    if (forwardInput == null || input != forwardInput) {
      runCell(null);
      forwardForTbptt = false;
    }
    syncBinding(true);
    boolean nwc = nwc();
    long nOut = layerConf().getNOut();
    INDArray eps = input3dGradient(epsilon, nOut);
    int first = backLength > 0 ? Math.max(0, steps - backLength) : 0;
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      dOutBuf = buffer(dOutBuf, (long) steps * batch, nOut);
      toTimeMajor(eps.dataType() == dataType ? eps : eps.castTo(dataType), dOutBuf, nwc);
      dxBuf = buffer(dxBuf, (long) steps * batch, layerConf().getNIn());
      cell.backwardInto(dOutBuf, first, dxBuf);
    }
    long nIn = layerConf().getNIn();
    long[] shape = nwc ? new long[] {batch, steps, nIn} : new long[] {batch, nIn, steps};
    INDArray epsOut = mgr.createUninitialized(ArrayType.ACTIVATION_GRAD, dataType, shape, 'f');
    fromTimeMajor(dxBuf, epsOut, nwc);
    if (forwardInputShape.length == 2) {
      epsOut = epsOut.reshape(forwardInputShape);
    }
    Gradient g = new DefaultGradient(gradientsFlattened);
    for (Map.Entry<String, INDArray> e : gradientViews.entrySet()) {
      g.gradientForVariable().put(e.getKey(), e.getValue()); // in layout order (a LinkedHashMap)
    }
    epsOut = backpropDropOutIfPresent(epsOut);
    weightNoiseParams.clear();
    return new Pair<>(g, epsOut);
  }

  private INDArray input3dGradient(INDArray eps, long nOut) {
    INDArray e = eps.rank() == 2 ? (nwc() ? eps.reshape(eps.size(0), 1, eps.size(1))
        : eps.reshape(eps.size(0), eps.size(1), 1)) : eps;
    long[] expected = nwc() ? new long[] {batch, steps, nOut} : new long[] {batch, nOut, steps};
    if (!Arrays.equals(e.shape(), expected)) {
      throw new DL4JInvalidInputException(layerConf().describe() + ": output gradient must have shape "
          + Arrays.toString(expected) + ", got " + Arrays.toString(eps.shape()));
    }
    return e;
  }

  /** The stored state of a map, or null (zeros). */
  private RecurrentState stateFrom(Map<String, INDArray> map) {
    INDArray h = map.get(STATE_KEY_PREV_ACTIVATION);
    if (h == null) {
      return null;
    }
    INDArray c = cell.hasCellState() ? map.get(STATE_KEY_PREV_MEMCELL) : null;
    return new RecurrentState(h, c);
  }

  /** Stores the final state of the last forward pass in a map, as arrays outside any workspace. */
  @SuppressWarnings("try")
  private void storeFinalState(Map<String, INDArray> map) {
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      RecurrentState s = cell.finalState();
      map.put(STATE_KEY_PREV_ACTIVATION, s.h());
      if (s.c() != null) {
        map.put(STATE_KEY_PREV_MEMCELL, s.c());
      }
    }
  }

  /** Presence flags (row t*batch+i) of a [batch, steps] 0/1 mask; null when there is no mask or nothing masked. */
  private boolean[] presence(INDArray mask, int batch, int steps) {
    if (mask == null) {
      presentBuf = null;
      return null;
    }
    if (mask.rank() != 2 || mask.size(0) != batch || mask.size(1) != steps) {
      throw new DL4JInvalidInputException(layerConf().describe() + ": feature mask must be [minibatch, time] = ["
          + batch + ", " + steps + "], got " + Arrays.toString(mask.shape()));
    }
    double[][] m = mask.toDoubleMatrix();
    boolean[] p = presentBuf != null && presentBuf.length == batch * steps ? presentBuf : new boolean[batch * steps];
    boolean anyAbsent = false;
    for (int i = 0; i < batch; i++) {
      for (int t = 0; t < steps; t++) {
        double v = m[i][t];
        if (v != 0.0 && v != 1.0) {
          throw new IllegalArgumentException(layerConf().describe() + ": feature mask values must be 0 or 1, got "
              + v + " at [" + i + ", " + t + "]");
        }
        p[t * batch + i] = v == 1.0;
        anyAbsent |= v == 0.0;
      }
    }
    presentBuf = anyAbsent ? p : null;
    return presentBuf;
  }

  /** Points the engine layer at the current parameter (and gradient) arrays when they changed. */
  private void syncBinding(boolean needGradients) {
    if (needGradients && gradientViews == null) {
      throw new IllegalStateException(layerConf().describe() + ": no gradient view set (the network is not "
          + "initialised for training)");
    }
    boolean same = boundParams.size() == params.size();
    for (Map.Entry<String, INDArray> e : params.entrySet()) {
      same &= boundParams.get(e.getKey()) == e.getValue();
    }
    boolean gradsWanted = gradientViews != null;
    if (gradsWanted) {
      same &= boundGrads.size() == gradientViews.size();
      for (Map.Entry<String, INDArray> e : gradientViews.entrySet()) {
        same &= boundGrads.get(e.getKey()) == e.getValue();
      }
    } else {
      same &= boundGrads.isEmpty();
    }
    if (same) {
      return;
    }
    Map<String, INDArray> p = new LinkedHashMap<>();
    params.forEach((k, v) -> p.put(EngineParamInitializer.engineKey(k), v));
    Map<String, INDArray> g = null;
    if (gradsWanted) {
      g = new LinkedHashMap<>();
      for (Map.Entry<String, INDArray> e : gradientViews.entrySet()) {
        g.put(EngineParamInitializer.engineKey(e.getKey()), e.getValue());
      }
    }
    cell.bind(p, g);
    boundParams.clear();
    boundParams.putAll(params);
    boundGrads.clear();
    if (gradsWanted) {
      boundGrads.putAll(gradientViews);
    }
  }

  /** A [rows, cols] buffer of the layer's type, reusing {@code current} when it fits. */
  private INDArray buffer(INDArray current, long rows, long cols) {
    if (current != null && current.rows() == rows && current.columns() == cols) {
      return current;
    }
    return Nd4j.createUninitialized(dataType, rows, cols);
  }

  /** Copies a [B, n, T] (NCW) or [B, T, n] (NWC) array into a time-major [T*B, n] buffer. */
  private void toTimeMajor(INDArray src, INDArray dst, boolean nwc) {
    INDArray d3 = dst.reshape('c', steps, batch, dst.columns());
    requireSameMemory(d3, dst);
    d3.assign(nwc ? src.permute(1, 0, 2) : src.permute(2, 0, 1));
  }

  /** Copies a time-major [T*B, n] array into a [B, n, T] (NCW) or [B, T, n] (NWC) array. */
  private void fromTimeMajor(INDArray src, INDArray dst, boolean nwc) {
    INDArray s3 = src.reshape('c', steps, batch, src.columns());
    dst.assign(nwc ? s3.permute(1, 0, 2) : s3.permute(1, 2, 0));
  }

  private void requireSameMemory(INDArray view, INDArray base) {
    if (EngineParamInitializer.address(view) != EngineParamInitializer.address(base)) {
      throw new IllegalStateException(layerConf().describe() + ": reshaped buffer is not a view");
    }
  }
}
