package io.gradsweep.dl4j;

import io.gradsweep.engine.InitScheme;
import io.gradsweep.engine.RecurrentLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Parameters of the engine layers ({@link EngineRecurrent}), in this order in the layer's flat parameter (and
 * gradient) view, each a row-major view of it:
 *
 * <ul>
 *   <li>{@code W} input weights [nIn, G]
 *   <li>{@code RW} recurrent weights [nOut, G]
 *   <li>{@code b} bias [1, G]
 *   <li>{@code Rb} (GRU only) recurrent bias of the candidate [1, nOut]
 * </ul>
 * G = nOut times the gate blocks (1 rnn, 4 lstm, 3 gru). The keys are DL4J's ({@code W}, {@code RW}, {@code b}, as
 * {@code SimpleRnn}/{@code LSTM}); the engine calls them W, R, b, Rb. Row-major rather than DL4J's usual 'f' order,
 * because the engine's BLAS calls and fused loops work on row-major memory in place.
 */
public final class EngineParamInitializer implements ParamInitializer {
  public static final String WEIGHT_KEY = "W";
  public static final String RECURRENT_WEIGHT_KEY = "RW";
  public static final String BIAS_KEY = "b";
  public static final String RECURRENT_BIAS_KEY = "Rb";

  private static final EngineParamInitializer INSTANCE = new EngineParamInitializer();

  private EngineParamInitializer() {}

  public static EngineParamInitializer getInstance() {
    return INSTANCE;
  }

  /** DL4J key of an engine parameter type. */
  static String dl4jKey(String engineType) {
    return "R".equals(engineType) ? RECURRENT_WEIGHT_KEY : engineType;
  }

  /** Engine parameter type of a DL4J key. */
  static String engineKey(String dl4jKey) {
    return RECURRENT_WEIGHT_KEY.equals(dl4jKey) ? "R" : dl4jKey;
  }

  private static EngineRecurrent conf(Layer layer) {
    if (!(layer instanceof EngineRecurrent e)) {
      throw new IllegalArgumentException("not an engine recurrent layer: " + layer);
    }
    return e;
  }

  /** Shapes by DL4J key, in layout order. */
  static Map<String, long[]> shapes(EngineRecurrent layer) {
    if (layer.getNIn() < 1 || layer.getNOut() < 1) {
      throw new IllegalStateException(layer.describe() + ": nIn and nOut must be set (>= 1), got nIn "
          + layer.getNIn() + ", nOut " + layer.getNOut());
    }
    Map<String, long[]> out = new LinkedHashMap<>();
    // the engine layer is only a description here: no arrays are allocated before binding
    layer.createCell("shapes", org.nd4j.linalg.api.buffer.DataType.FLOAT).paramShapes()
        .forEach((k, v) -> out.put(dl4jKey(k), v));
    return out;
  }

  @Override
  public long numParams(NeuralNetConfiguration conf) {
    return numParams(conf.getLayer());
  }

  @Override
  public long numParams(Layer layer) {
    long n = 0;
    for (long[] s : shapes(conf(layer)).values()) {
      n += s[0] * s[1];
    }
    return n;
  }

  @Override
  public List<String> paramKeys(Layer layer) {
    return new ArrayList<>(shapes(conf(layer)).keySet());
  }

  @Override
  public List<String> weightKeys(Layer layer) {
    return List.of(WEIGHT_KEY, RECURRENT_WEIGHT_KEY);
  }

  @Override
  public List<String> biasKeys(Layer layer) {
    return conf(layer) instanceof EngineGru ? List.of(BIAS_KEY, RECURRENT_BIAS_KEY) : List.of(BIAS_KEY);
  }

  @Override
  public boolean isWeightParam(Layer layer, String key) {
    return WEIGHT_KEY.equals(key) || RECURRENT_WEIGHT_KEY.equals(key);
  }

  @Override
  public boolean isBiasParam(Layer layer, String key) {
    return biasKeys(layer).contains(key);
  }

  /**
   * Views of the layer's parameter view; when {@code initializeParams}, initialises them with the layer's
   * {@link InitScheme} from a seed drawn from ND4J's random generator.
   */
  @Override
  public Map<String, INDArray> init(NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
    EngineRecurrent layer = conf(conf.getLayer());
    Map<String, INDArray> params = views(layer, paramsView, "parameter");
    if (initializeParams) {
      RecurrentLayer cell = layer.createCell(layer.getLayerName() == null ? "init" : layer.getLayerName(),
          paramsView.dataType());
      Map<String, INDArray> byEngineKey = new LinkedHashMap<>();
      params.forEach((k, v) -> byEngineKey.put(engineKey(k), v));
      cell.bind(byEngineKey, null);
      long seed = Nd4j.getRandom().nextLong();
      cell.init(new SplittableRandom(seed), InitScheme.fromWord(layer.getInitScheme()));
    }
    return params;
  }

  @Override
  public Map<String, INDArray> getGradientsFromFlattened(NeuralNetConfiguration conf, INDArray gradientView) {
    return views(conf(conf.getLayer()), gradientView, "gradient");
  }

  /** Native address of an array's first element (a view's buffer pointer already includes the buffer offset). */
  static long address(INDArray a) {
    return a.data().addressPointer().address() + (a.offset() - a.data().offset()) * a.data().getElementSize();
  }

  /** Row-major views [rows, cols] of consecutive slices of a flat [1, n] (or [n]) view, by DL4J key. */
  static Map<String, INDArray> views(EngineRecurrent layer, INDArray flat, String what) {
    Map<String, long[]> shapes = shapes(layer);
    long total = 0;
    for (long[] s : shapes.values()) {
      total += s[0] * s[1];
    }
    if (flat.length() != total) {
      throw new IllegalStateException(layer.describe() + ": " + what + " view has " + flat.length()
          + " elements, expected " + total);
    }
    INDArray row = flat.rank() == 1 ? flat.reshape(1, flat.length()) : flat;
    if (row.rank() != 2 || row.rows() != 1 || row.columns() > 1 && row.stride(1) != 1
        || address(row) != address(flat)) {
      throw new IllegalStateException(layer.describe() + ": " + what + " view must be a contiguous row vector, got "
          + row.shapeInfoToString());
    }
    Map<String, INDArray> out = new LinkedHashMap<>();
    long off = 0;
    for (Map.Entry<String, long[]> e : shapes.entrySet()) {
      long[] s = e.getValue();
      long len = s[0] * s[1];
      INDArray v = row.get(NDArrayIndex.interval(0, 0, true), NDArrayIndex.interval(off, off + len))
          .reshape('c', s[0], s[1]);
      // guard against ND4J views that come back empty, misplaced or as copies
      if (v.length() != len || address(v) != address(row) + off * row.data().getElementSize()) {
        throw new IllegalStateException(layer.describe() + ": could not take a view of " + what + " " + e.getKey()
            + " " + Arrays.toString(s) + " at offset " + off + " of " + row.shapeInfoToString());
      }
      out.put(e.getKey(), v);
      off += len;
    }
    return out;
  }
}
