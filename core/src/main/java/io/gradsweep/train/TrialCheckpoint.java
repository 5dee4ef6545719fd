package io.gradsweep.train;

import io.gradsweep.probe.ProfileRecorder;
import io.gradsweep.spec.TrialSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Everything a trial needs to continue training bit for bit where it stopped: the parameters, the optimizer's state
 * (Adam's and RMSProp's moments; the step counter is the training step), the training step, how far the data
 * stream has been drawn, the counters of the trial so far (clipping, largest gradient, last evaluation, last profile
 * statistics), the unfinished logging window ({@link StepWindow}: its raw values, so its aggregates come out the
 * same) and the kept gradient profiles. The profile and evaluation cadence follow from the step.
 *
 * <p>Format ({@link #encode}): a header (magic {@code GSCP}, format version, trial id, a digest of all the trial's
 * params, data type, step), the values with {@link DataOutputStream} (doubles bit-exact), the two arrays with ND4J's
 * own array serialization ({@link Nd4j#write(INDArray, DataOutputStream)}), and a CRC-32 of everything before it.
 * {@link #decode} refuses a file that is not a checkpoint, of another format version, truncated or corrupted, with
 * a message saying which; {@link #checkFor} refuses a checkpoint of another trial, other settings or another data
 * type.
 *
 * <p>The data stream is a {@link java.util.SplittableRandom}, whose state Java does not expose; the checkpoint
 * keeps the number of minibatches drawn, and resuming draws as many again from the same seed (cheap next to
 * training them, and exact: the task's sampler depends on nothing else).
 */
public record TrialCheckpoint(
    String trialId,
    String specDigest,
    String dtype,
    int step,
    int stepsToSolve,
    int divergedAt,
    int clippedSteps,
    double maxGrad,
    double evalLoss,
    double solveValue,
    Map<String, Double> evalMetrics,
    double lastDecay,
    int lastHorizon,
    long dataDraws,
    INDArray params,
    INDArray updaterState,
    Window window,
    ProfileRecorder.State profiles) {

  /** First bytes of every checkpoint: {@code GSCP}. */
  static final int MAGIC = 0x47534350;
  /** The format version this code writes and reads. */
  public static final int VERSION = 1;

  public TrialCheckpoint {
    Objects.requireNonNull(trialId, "trialId");
    Objects.requireNonNull(specDigest, "specDigest");
    Objects.requireNonNull(dtype, "dtype");
    Objects.requireNonNull(params, "params");
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(profiles, "profiles");
    if (step < 1) {
      throw new IllegalArgumentException("a checkpoint is taken after step 1 or later, got step " + step);
    }
    evalMetrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(evalMetrics));
  }

  /**
   * The pending logging window: steps added since its last drain, the last of them, and each series' raw values.
   */
  public record Window(int steps, int lastStep, List<Series> series) {
    public Window {
      series = List.copyOf(series);
    }
  }

  /** One series of a logging window: its key, whether its maximum is logged too, its values in step order. */
  public record Series(String key, boolean withMax, double[] values) {}

  /** The digest of every param of a trial (the id's and the measurement settings): what a checkpoint must match. */
  public static String digest(TrialSpec spec) {
    StringBuilder sb = new StringBuilder();
    spec.params().forEach((k, v) -> sb.append(k).append('=').append(v).append(';'));
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Refuses to resume {@code spec} in data type {@code dtype} from this checkpoint unless it was written for it.
   *
   * @throws IllegalArgumentException naming what differs
   */
  public void checkFor(TrialSpec spec, String dtypeName) {
    if (!trialId.equals(spec.id())) {
      throw new IllegalArgumentException("checkpoint mismatch: the checkpoint is of trial " + trialId
          + ", not of trial " + spec.id() + " (" + spec.displayName() + ")");
    }
    if (!specDigest.equals(digest(spec))) {
      throw new IllegalArgumentException("checkpoint mismatch: the checkpoint of trial " + trialId + " was written "
          + "with other settings (params digest " + specDigest + ", this trial's is " + digest(spec) + "; e.g. "
          + "training.log_points or profile_every changed)");
    }
    if (!dtype.equals(dtypeName)) {
      throw new IllegalArgumentException("checkpoint mismatch: the checkpoint of trial " + trialId + " holds "
          + dtype + " values, this trial trains in " + dtypeName);
    }
    if (step > spec.maxSteps()) {
      throw new IllegalArgumentException("checkpoint mismatch: the checkpoint of trial " + trialId + " is at step "
          + step + ", beyond the trial's max_steps " + spec.maxSteps());
    }
  }

  /** The checkpoint as bytes: header, values, arrays, CRC-32 (see the class comment). */
  public byte[] encode() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeUTF(trialId);
      out.writeUTF(specDigest);
      out.writeUTF(dtype);
      out.writeInt(step);
      out.writeInt(stepsToSolve);
      out.writeInt(divergedAt);
      out.writeInt(clippedSteps);
      out.writeDouble(maxGrad);
      out.writeDouble(evalLoss);
      out.writeDouble(solveValue);
      writeDoubles(out, evalMetrics);
      out.writeDouble(lastDecay);
      out.writeInt(lastHorizon);
      out.writeLong(dataDraws);
      Nd4j.write(params, out);
      out.writeBoolean(updaterState != null);
      if (updaterState != null) {
        Nd4j.write(updaterState, out);
      }
      out.writeInt(window.steps());
      out.writeInt(window.lastStep());
      out.writeInt(window.series().size());
      for (Series s : window.series()) {
        out.writeUTF(s.key());
        out.writeBoolean(s.withMax());
        writeArray(out, s.values());
      }
      out.writeInt(profiles.stride());
      out.writeLong(profiles.offers());
      out.writeInt(profiles.entries().size());
      for (ProfileRecorder.Entry e : profiles.entries()) {
        writeEntry(out, e);
      }
      out.writeBoolean(profiles.latest() != null);
      if (profiles.latest() != null) {
        writeEntry(out, profiles.latest());
      }
      out.flush();
      CRC32 crc = new CRC32();
      crc.update(bytes.toByteArray());
      out.writeLong(crc.getValue());
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException("could not encode the checkpoint of trial " + trialId + ": " + e, e);
    }
  }

  /**
   * A checkpoint from its bytes.
   *
   * @param what where the bytes come from, for messages (e.g. the run and artifact path)
   * @throws IllegalArgumentException when the bytes are not a checkpoint of this format version, or are corrupted
   */
  public static TrialCheckpoint decode(byte[] data, String what) {
    if (data.length < 16) {
      throw new IllegalArgumentException(what + " is not a gradsweep checkpoint (" + data.length + " bytes)");
    }
    CRC32 crc = new CRC32();
    crc.update(data, 0, data.length - 8);
    long stored = java.nio.ByteBuffer.wrap(data, data.length - 8, 8).getLong();
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data, 0, data.length - 8))) {
      if (in.readInt() != MAGIC) {
        throw new IllegalArgumentException(what + " is not a gradsweep checkpoint (it does not start with GSCP)");
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw new IllegalArgumentException(what + " is a checkpoint of format version " + version + "; this "
            + "gradsweep reads version " + VERSION + " (resume with the gradsweep that wrote it, or start the trial "
            + "again)");
      }
      if (stored != crc.getValue()) {
        throw new IllegalArgumentException(what + " is corrupted: its CRC-32 does not match its content");
      }
      String trialId = in.readUTF();
      String digest = in.readUTF();
      String dtype = in.readUTF();
      int step = in.readInt();
      int stepsToSolve = in.readInt();
      int divergedAt = in.readInt();
      int clipped = in.readInt();
      double maxGrad = in.readDouble();
      double evalLoss = in.readDouble();
      double solveValue = in.readDouble();
      Map<String, Double> evalMetrics = readDoubles(in);
      double lastDecay = in.readDouble();
      int lastHorizon = in.readInt();
      long draws = in.readLong();
      INDArray params = Nd4j.read(in);
      INDArray updater = in.readBoolean() ? Nd4j.read(in) : null;
      int wSteps = in.readInt();
      int wLast = in.readInt();
      int nSeries = in.readInt();
      List<Series> series = new ArrayList<>(nSeries);
      for (int i = 0; i < nSeries; i++) {
        series.add(new Series(in.readUTF(), in.readBoolean(), readArray(in)));
      }
      int stride = in.readInt();
      long offers = in.readLong();
      int nEntries = in.readInt();
      List<ProfileRecorder.Entry> entries = new ArrayList<>(nEntries);
      for (int i = 0; i < nEntries; i++) {
        entries.add(readEntry(in));
      }
      ProfileRecorder.Entry latest = in.readBoolean() ? readEntry(in) : null;
      return new TrialCheckpoint(trialId, digest, dtype, step, stepsToSolve, divergedAt, clipped, maxGrad, evalLoss,
          solveValue, evalMetrics, lastDecay, lastHorizon, draws, params, updater, new Window(wSteps, wLast, series),
          new ProfileRecorder.State(stride, offers, entries, latest));
    } catch (IOException | RuntimeException e) {
      if (e instanceof IllegalArgumentException iae && iae.getMessage() != null
          && iae.getMessage().startsWith(what)) {
        throw iae;
      }
      throw new IllegalArgumentException(what + " could not be read as a checkpoint: " + e, e);
    }
  }

  private static void writeDoubles(DataOutputStream out, Map<String, Double> m) throws IOException {
    out.writeInt(m.size());
    for (Map.Entry<String, Double> e : m.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeDouble(e.getValue());
    }
  }

  private static Map<String, Double> readDoubles(DataInputStream in) throws IOException {
    int n = in.readInt();
    Map<String, Double> m = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      m.put(in.readUTF(), in.readDouble());
    }
    return m;
  }

  private static void writeArray(DataOutputStream out, double[] v) throws IOException {
    out.writeInt(v.length);
    for (double d : v) {
      out.writeDouble(d);
    }
  }

  private static double[] readArray(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 100_000_000) {
      throw new IOException("bad array length " + n);
    }
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = in.readDouble();
    }
    return v;
  }

  private static void writeEntry(DataOutputStream out, ProfileRecorder.Entry e) throws IOException {
    out.writeLong(e.step());
    out.writeInt(e.series().size());
    for (Map.Entry<String, double[]> s : e.series().entrySet()) {
      out.writeUTF(s.getKey());
      writeArray(out, s.getValue());
    }
  }

  private static ProfileRecorder.Entry readEntry(DataInputStream in) throws IOException {
    long step = in.readLong();
    int n = in.readInt();
    Map<String, double[]> series = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      series.put(in.readUTF(), readArray(in));
    }
    return new ProfileRecorder.Entry(step, series);
  }
}
