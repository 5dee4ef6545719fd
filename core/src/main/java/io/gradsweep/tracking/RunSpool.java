package io.gradsweep.tracking;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk, append-only log of everything one run still has to send to the tracking server, in order: metric
 * points, params, tags, artifacts and the run's end. One directory per run under a spool root:
 *
 * <pre>
 *   &lt;root&gt;/&lt;run id&gt;/run.properties   where the records go (run, experiment, artifact root, tracking URI)
 *   &lt;root&gt;/&lt;run id&gt;/lock             held (an OS file lock) by the one process that writes or sends this run
 *   &lt;root&gt;/&lt;run id&gt;/seg-00000001.log  records, in segments of at most {@link #segmentBytes} (then the next one)
 *   &lt;root&gt;/&lt;run id&gt;/ack              the cursor: the position up to which the server has acknowledged
 * </pre>
 *
 * <p>A record is {@code int length, int CRC-32 of the payload, payload}. A reader stops at the first record that is
 * incomplete or fails its checksum: the tail a process wrote when it died is ignored, never half-sent. Segments
 * before the cursor's are deleted; the whole directory is deleted when its last record (the run's end) is
 * acknowledged. The cursor is replaced atomically (write, then rename), so a restarted sender resends at most the
 * group it was sending when it stopped, which the server stores once (see {@link SpoolSender}).
 *
 * <p>The records not yet acknowledged of the spools being sent from one JVM under one root are bounded by a
 * {@link Budget}: a writer that would exceed it waits (backpressure) until the server has acknowledged some. On
 * disk each run also keeps at most its current segment of records already acknowledged.
 *
 * <p>Appends are buffered in memory (up to 64 KiB) and written to the file whenever the sender reads
 * ({@link #readGroup}) or the buffer is full; a record reaches the file before it can be sent. No fsync: a killed
 * process loses nothing written, a machine crash may lose the last seconds. Thread-safe.
 */
final class RunSpool implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(RunSpool.class);

  static final String META = "run.properties";
  static final String LOCK = "lock";
  static final String CURSOR = "ack";
  static final String SEGMENT_PREFIX = "seg-";
  static final String SEGMENT_SUFFIX = ".log";
  /** Largest record (an artifact is one record). */
  static final int MAX_RECORD = 256 * 1024 * 1024;
  private static final int HEADER = 8;
  private static final int WRITE_BUFFER = 64 * 1024;
  private static final int READ_WINDOW = 1024 * 1024;

  // ---------------------------------------------------------------- records

  /** One thing to send. */
  sealed interface Rec permits Metric, Param, Tag, Artifact, End {}

  record Metric(String key, double value, long timestamp, long step) implements Rec {}

  record Param(String key, String value) implements Rec {}

  record Tag(String key, String value) implements Rec {}

  record Artifact(String path, byte[] content) implements Rec {}

  /** The run's end: status FINISHED, FAILED or KILLED at {@code endTime} (ms). */
  record End(String status, long endTime) implements Rec {}

  /** A record, the position just after it (what to acknowledge once it is stored) and its size in the file. */
  record Entry(Rec rec, Position end, int bytes) {}

  /** A place in the log: segment number (from 1) and byte offset in it. */
  record Position(long segment, long offset) {}

  /** Where the run's records go. {@code artifactUri} may be empty (then looked up when an artifact is sent). */
  record Meta(String runId, String experimentId, String artifactUri, String trackingUri, String host, long created) {}

  // ---------------------------------------------------------------- budget

  /**
   * Bytes of spool the runs of one JVM may hold under one root; {@link #reserve} waits while the total would exceed
   * the limit (unless nothing is held: a record larger than the limit still goes through, alone).
   */
  static final class Budget {
    private static final Map<Path, Budget> BY_ROOT = new ConcurrentHashMap<>();
    private final Path root;
    private long max;
    private long used;
    private long lastFullLog;

    private Budget(Path root, long max) {
      this.root = root;
      this.max = max;
    }

    /** The budget of {@code root} in this JVM, with limit {@code maxBytes} (the last caller's limit wins). */
    static Budget of(Path root, long maxBytes) {
      Budget b = BY_ROOT.computeIfAbsent(root.toAbsolutePath().normalize(), r -> new Budget(r, maxBytes));
      synchronized (b) {
        b.max = maxBytes;
        b.notifyAll();
      }
      return b;
    }

    /** A budget of its own (tests). */
    static Budget unshared(Path root, long maxBytes) {
      return new Budget(root, maxBytes);
    }

    synchronized long used() {
      return used;
    }

    long max() {
      return max;
    }

    /**
     * Takes {@code bytes}, waiting while the limit would be exceeded and {@code senderAlive} says that someone is
     * freeing space.
     *
     * @throws TrackingException when the spool is full and nobody will free space
     */
    synchronized void reserve(long bytes, BooleanSupplier senderAlive, String who) throws InterruptedException {
      long waitStart = 0;
      while (used > 0 && used + bytes > max) {
        if (!senderAlive.getAsBoolean()) {
          throw new TrackingException("the spool under " + root + " is full (" + size(used) + " of " + size(max)
              + ") and " + who + " can no longer send; nothing more can be recorded (raise "
              + "-Dgradsweep.spool.max.mb, or replay the spool once the server is back)");
        }
        if (waitStart == 0) {
          waitStart = System.nanoTime();
          if (lastFullLog == 0 || waitStart - lastFullLog > 60_000_000_000L) { // at most once a minute
            lastFullLog = waitStart;
            LOG.warn("{}: the spool under {} is full ({} of {} not yet sent): training waits until the tracking "
                + "server has taken some of it", who, root, size(used), size(max));
          }
        }
        wait(200);
      }
      used += bytes;
    }

    synchronized void take(long bytes) {
      used += bytes;
    }

    synchronized void release(long bytes) {
      used = Math.max(0, used - bytes);
      notifyAll();
    }

    private static String size(long bytes) {
      return bytes >= (1 << 20) ? bytes / (1 << 20) + " MiB" : bytes >= 1024 ? bytes / 1024 + " KiB" : bytes + " bytes";
    }
  }

  // ---------------------------------------------------------------- state

  private final Path dir;
  private final Meta meta;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final Budget budget;
  private final long segmentBytes;

  // writer
  private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
  private long writeSegment;
  private long writeOffset; // bytes in writeSegment, including pending ones
  private FileChannel out;
  private long appended;
  /** Bytes taken from the budget and not yet given back (given back as the server acknowledges them). */
  private long reserved;

  // reader
  private Position read;
  private FileChannel in;
  private long inSegment = -1;
  private long ignoredBytes;

  // cursor
  private Position acked;
  private long ackedRecords;
  private boolean closed;

  private RunSpool(Path dir, Meta meta, FileChannel lockChannel, FileLock lock, Budget budget, long segmentBytes,
      Position acked, long ackedRecords) {
    this.dir = dir;
    this.meta = meta;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.budget = budget;
    this.segmentBytes = segmentBytes;
    this.acked = acked;
    this.ackedRecords = ackedRecords;
    this.read = acked;
  }

  /**
   * Makes the spool of a new run under {@code root} and locks it for this process.
   *
   * @throws TrackingException if the directory cannot be made or is taken
   */
  static RunSpool create(Path root, Meta meta, Budget budget, long segmentBytes) {
    Path dir = root.resolve(checkRunId(meta.runId()));
    try {
      Files.createDirectories(dir);
      FileChannel lc = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l = tryLock(lc);
      if (l == null) {
        lc.close();
        throw new TrackingException("the spool " + dir + " of run " + meta.runId() + " is in use by another process");
      }
      if (Files.exists(dir.resolve(META))) {
        l.release();
        lc.close();
        throw new TrackingException("the spool " + dir + " of run " + meta.runId() + " exists already");
      }
      RunSpool s = new RunSpool(dir, meta, lc, l, budget, segmentBytes, new Position(1, 0), 0);
      s.writeSegment = 1;
      writeMeta(dir, meta); // last: a directory with run.properties is complete and locked
      return s;
    } catch (IOException e) {
      throw new TrackingException("cannot create the spool " + dir + " of run " + meta.runId() + ": " + e, e);
    }
  }

  /**
   * Opens an existing spool to send what is left (replay), or returns null when another process holds its lock
   * (a run still being written or sent). Nothing is appended to a reopened spool.
   *
   * @throws TrackingException if the directory is not a readable spool
   */
  static RunSpool reopen(Path dir) {
    try {
      if (!Files.isRegularFile(dir.resolve(META))) {
        throw new TrackingException(dir + " is not a run spool (no " + META + ")");
      }
      FileChannel lc = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l = tryLock(lc);
      if (l == null) {
        lc.close();
        return null;
      }
      Meta meta = readMeta(dir);
      long[] cursor = readCursor(dir);
      Position acked = new Position(cursor[0], cursor[1]);
      RunSpool s = new RunSpool(dir, meta, lc, l, null, Long.MAX_VALUE, acked, cursor[2]);
      s.writeSegment = -1; // read-only
      return s;
    } catch (IOException e) {
      throw new TrackingException("cannot open the spool " + dir + ": " + e, e);
    }
  }

  private static FileLock tryLock(FileChannel c) throws IOException {
    try {
      return c.tryLock();
    } catch (OverlappingFileLockException e) {
      return null; // held by this JVM
    }
  }

  /** Whether {@code dir} looks like a complete run spool (has its run.properties). */
  static boolean isSpool(Path dir) {
    return Files.isRegularFile(dir.resolve(META));
  }

  Path directory() {
    return dir;
  }

  Meta meta() {
    return meta;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Appends a record: reserves its bytes from the budget (waiting while it is full and {@code senderAlive}), then
   * adds it to the log.
   */
  void append(Rec rec, BooleanSupplier senderAlive) throws InterruptedException {
    byte[] framed = frame(rec);
    if (budget != null) {
      budget.reserve(framed.length, senderAlive, "run " + meta.runId());
    }
    add(framed);
  }

  /** Appends a record without waiting for room (the run's end: small, and needed to end the run on replay). */
  void appendUnbudgeted(Rec rec) {
    byte[] framed = frame(rec);
    if (budget != null) {
      budget.take(framed.length);
    }
    add(framed);
  }

  private void add(byte[] framed) {
    synchronized (this) {
      if (closed || writeSegment < 0) {
        if (budget != null) {
          budget.release(framed.length);
        }
        throw new TrackingException("the spool of run " + meta.runId() + " is closed");
      }
      if (writeOffset > 0 && writeOffset + framed.length > segmentBytes) {
        writeOut();
        closeOut();
        writeSegment++;
        writeOffset = 0;
      }
      pending.write(framed, 0, framed.length);
      writeOffset += framed.length;
      reserved += framed.length;
      appended++;
      if (pending.size() >= WRITE_BUFFER) {
        writeOut();
      }
    }
  }

  /** Records appended by this process (0 for a reopened spool). */
  synchronized long appended() {
    return appended;
  }

  /** Writes buffered records to the file. */
  synchronized void writeOut() {
    if (pending.size() == 0) {
      return;
    }
    try {
      if (out == null) {
        out = FileChannel.open(segment(writeSegment), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.APPEND);
      }
      ByteBuffer b = ByteBuffer.wrap(pending.toByteArray());
      while (b.hasRemaining()) {
        out.write(b);
      }
      pending.reset();
    } catch (IOException e) {
      throw new TrackingException("cannot write the spool " + dir + ": " + e, e);
    }
  }

  private void closeOut() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException e) {
        // nothing buffered in a FileChannel
      }
      out = null;
    }
  }

  // ---------------------------------------------------------------- reading

  /**
   * The next records after the last one read, in order: up to {@code max} metric, param and tag records (sent
   * together in log-batch requests), or one artifact or end record alone. Empty when nothing more is written.
   * Reading does not acknowledge: call {@link #ack} once the group is stored; call {@link #rewind} to read the
   * unacknowledged records again.
   */
  synchronized List<Entry> readGroup(int max) {
    if (writeSegment > 0) {
      writeOut();
    }
    List<Entry> group = new ArrayList<>();
    try {
      while (group.size() < max) {
        Path seg = segment(read.segment());
        if (!Files.exists(seg)) {
          if (read.offset() == 0 && Files.exists(segment(read.segment() + 1))) {
            read = new Position(read.segment() + 1, 0); // an empty segment that was deleted: skip
            continue;
          }
          break;
        }
        if (inSegment != read.segment()) {
          closeIn();
          in = FileChannel.open(seg, StandardOpenOption.READ);
          inSegment = read.segment();
        }
        long size = in.size();
        byte[] window = readWindow(in, read.offset(), size);
        int p = 0;
        boolean stop = false;
        while (group.size() < max) {
          int left = window.length - p;
          if (left < HEADER) {
            break;
          }
          ByteBuffer h = ByteBuffer.wrap(window, p, HEADER);
          int len = h.getInt();
          int crc = h.getInt();
          if (len <= 0 || len > MAX_RECORD) {
            stop = true; // garbage: treated like a torn tail
            break;
          }
          byte[] payload;
          if (left - HEADER >= len) {
            payload = java.util.Arrays.copyOfRange(window, p + HEADER, p + HEADER + len);
          } else if (window.length < READ_WINDOW) {
            break; // incomplete record at the end of the file
          } else {
            // a record larger than the window: read it on its own
            payload = readFully(in, read.offset() + p + HEADER, len, size);
            if (payload == null) {
              break;
            }
          }
          if (checksum(payload) != crc) {
            stop = true;
            break;
          }
          Rec rec = decode(payload);
          boolean alone = rec instanceof Artifact || rec instanceof End;
          if (alone && !group.isEmpty()) {
            read = group.get(group.size() - 1).end();
            return group;
          }
          p += HEADER + len;
          Position end = new Position(read.segment(), read.offset() + p);
          group.add(new Entry(rec, end, HEADER + len));
          if (alone) {
            read = end;
            return group;
          }
        }
        read = new Position(read.segment(), read.offset() + p);
        if (group.size() >= max) {
          break;
        }
        // the end of what this segment holds now: go on in the next segment only if it exists (the writer has
        // left this one for good), otherwise wait for more
        if (p == 0 || stop) {
          if (Files.exists(segment(read.segment() + 1))) {
            long rest = size - read.offset();
            if (rest > 0) {
              ignoredBytes += rest;
              LOG.warn("spool {}: ignoring {} bytes at the end of {} (an incomplete record)", dir, rest,
                  seg.getFileName());
            }
            read = new Position(read.segment() + 1, 0);
            continue;
          }
          if (stop || (writeSegment < 0 && size > read.offset())) {
            long rest = size - read.offset();
            if (rest > 0 && writeSegment < 0) {
              ignoredBytes += rest; // reopened: nobody writes any more, so this tail stays incomplete
              LOG.warn("spool {}: ignoring {} bytes at the end of {} (an incomplete last record, written when the "
                  + "process died)", dir, rest, seg.getFileName());
              read = new Position(read.segment(), size);
            }
          }
          break;
        }
      }
    } catch (IOException e) {
      throw new TrackingException("cannot read the spool " + dir + ": " + e, e);
    }
    return group;
  }

  /** Bytes of incomplete or damaged records skipped so far. */
  synchronized long ignoredBytes() {
    return ignoredBytes;
  }

  /** Reading goes back to the acknowledged position. */
  synchronized void rewind() {
    read = acked;
  }

  /**
   * Records that {@code records} more records ({@code bytes} in the file), up to {@code end}, are stored by the
   * server: persists the cursor, deletes the segments before it and gives the bytes back to the budget.
   */
  synchronized void ack(Position end, long records, long bytes) {
    acked = end;
    ackedRecords += records;
    writeCursor();
    if (budget != null) {
      long give = Math.min(bytes, reserved);
      reserved -= give;
      budget.release(give);
    }
    for (long s : segmentsBefore(end.segment())) {
      try {
        Files.deleteIfExists(segment(s));
      } catch (IOException e) {
        LOG.warn("spool {}: cannot delete {}: {}", dir, segment(s), e.toString());
      }
    }
  }

  synchronized long ackedRecords() {
    return ackedRecords;
  }

  synchronized Position ackedPosition() {
    return acked;
  }

  /** Records not yet acknowledged, counted by reading them (does not move the read position). */
  synchronized long countUnacknowledged() {
    Position saved = read;
    long savedIgnored = ignoredBytes;
    read = acked;
    long n = 0;
    try {
      for (List<Entry> g = readGroup(100_000); !g.isEmpty(); g = readGroup(100_000)) {
        n += g.size();
      }
    } finally {
      read = saved;
      ignoredBytes = savedIgnored;
    }
    return n;
  }

  private List<Long> segmentsBefore(long segment) {
    List<Long> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, SEGMENT_PREFIX + "*" + SEGMENT_SUFFIX)) {
      for (Path p : ds) {
        long n = segmentNumber(p);
        if (n > 0 && n < segment) {
          out.add(n);
        }
      }
    } catch (IOException e) {
      LOG.warn("spool {}: cannot list segments: {}", dir, e.toString());
    }
    return out;
  }

  private void writeCursor() {
    Path tmp = dir.resolve(CURSOR + ".tmp");
    try {
      Files.writeString(tmp, acked.segment() + " " + acked.offset() + " " + ackedRecords + "\n",
          StandardCharsets.US_ASCII);
      try {
        Files.move(tmp, dir.resolve(CURSOR), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, dir.resolve(CURSOR), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new TrackingException("cannot write the cursor of the spool " + dir + ": " + e, e);
    }
  }

  /** segment, offset, records acknowledged; (1, 0, 0) when there is no cursor yet. */
  static long[] readCursor(Path dir) throws IOException {
    Path c = dir.resolve(CURSOR);
    if (!Files.exists(c)) {
      return new long[] {1, 0, 0};
    }
    String[] f = Files.readString(c, StandardCharsets.US_ASCII).strip().split(" ");
    try {
      return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
    } catch (RuntimeException e) {
      throw new IOException("damaged cursor file " + c + ": '" + String.join(" ", f) + "'", e);
    }
  }

  // ---------------------------------------------------------------- closing

  /** Releases the lock and closes the files; the spool stays on disk (for replay) with the bytes it holds. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    try {
      if (writeSegment > 0) {
        writeOut();
      }
    } finally {
      closed = true;
      closeOut();
      closeIn();
      if (budget != null) {
        // left for replay: no longer counted against the spools this JVM is sending
        budget.release(reserved);
        reserved = 0;
      }
      try {
        lock.release();
        lockChannel.close();
      } catch (IOException e) {
        // closing releases the lock anyway
      }
    }
  }

  /** Deletes the spool (everything was acknowledged) and releases its lock and budget. */
  synchronized void delete() {
    pending.reset();
    closeOut();
    closeIn();
    if (budget != null) {
      budget.release(reserved);
      reserved = 0;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (!p.getFileName().toString().equals(LOCK)) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir.resolve(LOCK));
    } catch (IOException e) {
      LOG.warn("spool {}: cannot delete: {}", dir, e.toString());
    }
    closed = true;
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      // the file is gone already
    }
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      LOG.warn("spool {}: cannot delete the directory: {}", dir, e.toString());
    }
  }

  private void closeIn() {
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        // read-only
      }
      in = null;
      inSegment = -1;
    }
  }

  // ---------------------------------------------------------------- encoding

  Path segment(long n) {
    return dir.resolve(String.format("%s%08d%s", SEGMENT_PREFIX, n, SEGMENT_SUFFIX));
  }

  static long segmentNumber(Path p) {
    String name = p.getFileName().toString();
    if (!name.startsWith(SEGMENT_PREFIX) || !name.endsWith(SEGMENT_SUFFIX)) {
      return -1;
    }
    try {
      return Long.parseLong(name.substring(SEGMENT_PREFIX.length(), name.length() - SEGMENT_SUFFIX.length()));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static byte[] readWindow(FileChannel c, long from, long size) throws IOException {
    int n = (int) Math.max(0, Math.min(READ_WINDOW, size - from));
    byte[] b = new byte[n];
    ByteBuffer buf = ByteBuffer.wrap(b);
    long pos = from;
    while (buf.hasRemaining()) {
      int r = c.read(buf, pos);
      if (r < 0) {
        return java.util.Arrays.copyOf(b, buf.position());
      }
      pos += r;
    }
    return b;
  }

  private static byte[] readFully(FileChannel c, long from, int len, long size) throws IOException {
    if (from + len > size) {
      return null;
    }
    byte[] b = new byte[len];
    ByteBuffer buf = ByteBuffer.wrap(b);
    long pos = from;
    while (buf.hasRemaining()) {
      int r = c.read(buf, pos);
      if (r < 0) {
        return null;
      }
      pos += r;
    }
    return b;
  }

  static byte[] frame(Rec rec) {
    byte[] payload = encode(rec);
    if (payload.length > MAX_RECORD) {
      throw new IllegalArgumentException("a spool record is limited to " + MAX_RECORD + " bytes; got "
          + payload.length + (rec instanceof Artifact a ? " (artifact '" + a.path() + "')" : ""));
    }
    ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length);
    b.putInt(payload.length).putInt(checksum(payload)).put(payload);
    return b.array();
  }

  private static int checksum(byte[] payload) {
    CRC32 c = new CRC32();
    c.update(payload);
    return (int) c.getValue();
  }

  private static byte[] encode(Rec rec) {
    ByteArrayOutputStream bos = new ByteArrayOutputStream(64);
    try (DataOutputStream d = new DataOutputStream(bos)) {
      if (rec instanceof Metric m) {
        d.writeByte(1);
        writeString(d, m.key());
        d.writeDouble(m.value());
        d.writeLong(m.timestamp());
        d.writeLong(m.step());
      } else if (rec instanceof Param p) {
        d.writeByte(2);
        writeString(d, p.key());
        writeString(d, p.value());
      } else if (rec instanceof Tag t) {
        d.writeByte(3);
        writeString(d, t.key());
        writeString(d, t.value());
      } else if (rec instanceof Artifact a) {
        d.writeByte(4);
        writeString(d, a.path());
        d.writeInt(a.content().length);
        d.write(a.content());
      } else if (rec instanceof End e) {
        d.writeByte(5);
        writeString(d, e.status());
        d.writeLong(e.endTime());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bos.toByteArray();
  }

  private static Rec decode(byte[] payload) {
    ByteBuffer b = ByteBuffer.wrap(payload);
    byte type = b.get();
    return switch (type) {
      case 1 -> new Metric(readString(b), b.getDouble(), b.getLong(), b.getLong());
      case 2 -> new Param(readString(b), readString(b));
      case 3 -> new Tag(readString(b), readString(b));
      case 4 -> {
        String path = readString(b);
        byte[] content = new byte[b.getInt()];
        b.get(content);
        yield new Artifact(path, content);
      }
      case 5 -> new End(readString(b), b.getLong());
      default -> throw new TrackingException("unknown spool record type " + type);
    };
  }

  private static void writeString(DataOutputStream d, String s) throws IOException {
    byte[] u = s.getBytes(StandardCharsets.UTF_8);
    d.writeInt(u.length);
    d.write(u);
  }

  private static String readString(ByteBuffer b) {
    byte[] u = new byte[b.getInt()];
    b.get(u);
    return new String(u, StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- meta

  private static void writeMeta(Path dir, Meta m) throws IOException {
    Properties p = new Properties();
    p.setProperty("run_id", m.runId());
    p.setProperty("experiment_id", Objects.toString(m.experimentId(), ""));
    p.setProperty("artifact_uri", Objects.toString(m.artifactUri(), ""));
    p.setProperty("tracking_uri", Objects.toString(m.trackingUri(), ""));
    p.setProperty("host", Objects.toString(m.host(), ""));
    p.setProperty("created", Long.toString(m.created()));
    Path tmp = dir.resolve(META + ".tmp");
    try (OutputStream o = Files.newOutputStream(tmp)) {
      p.store(o, "gradsweep spool of one MLflow run; replay with: jobs/bin/gradsweep replay " + dir.getParent());
    }
    Files.move(tmp, dir.resolve(META), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  static Meta readMeta(Path dir) throws IOException {
    Properties p = new Properties();
    try (InputStream i = Files.newInputStream(dir.resolve(META))) {
      p.load(i);
    } catch (NoSuchFileException e) {
      throw new IOException(dir + " is not a run spool (no " + META + ")", e);
    }
    String runId = p.getProperty("run_id", "");
    if (runId.isEmpty()) {
      throw new IOException(dir.resolve(META) + " names no run_id");
    }
    long created;
    try {
      created = Long.parseLong(p.getProperty("created", "0"));
    } catch (NumberFormatException e) {
      created = 0;
    }
    return new Meta(runId, p.getProperty("experiment_id", ""), p.getProperty("artifact_uri", ""),
        p.getProperty("tracking_uri", ""), p.getProperty("host", ""), created);
  }

  private static String checkRunId(String runId) {
    if (runId == null || runId.isEmpty() || !runId.matches("[A-Za-z0-9_.-]+") || runId.startsWith(".")) {
      throw new IllegalArgumentException("run id '" + runId + "' cannot name a spool directory");
    }
    return runId;
  }

  @Override
  public String toString() {
    return "RunSpool[" + dir + "]";
  }
}
