package io.gradsweep.tracking.spool;

import io.gradsweep.tracking.TrackingException;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk, append-only log of everything one run still has to send, in order: metric points, params, tags,
 * artifacts and the run's end ({@link SpoolRecord}s). One directory per run under a spool root:
 *
 * <pre>
 *   &lt;root&gt;/&lt;run id&gt;/run.properties   where the records go ({@link SpoolMeta})
 *   &lt;root&gt;/&lt;run id&gt;/lock             held (an OS file lock) by the one process writing or sending the run
 *   &lt;root&gt;/&lt;run id&gt;/seg-00000001.log  records ({@link RecordCodec} frames), in segments of at most
 *                                  {@code segmentBytes} (then the next one)
 *   &lt;root&gt;/&lt;run id&gt;/ack              the cursor: the position up to which the server has acknowledged
 * </pre>
 *
 * <p>A reader stops at the first record that is incomplete or fails its checksum: the tail a process wrote when it
 * died is ignored, never half-sent. Segments before the cursor's are deleted; the whole directory is deleted
 * ({@link #delete}) when its last record is acknowledged. The cursor is replaced atomically (write, then rename), so
 * a restarted sender resends at most the group it was sending when it stopped.
 *
 * <p>The records not yet acknowledged count against the {@link SpoolBudget} given at creation: a writer that would
 * exceed it waits (backpressure) until the server has acknowledged some. On disk each run also keeps at most its
 * current segment of records already acknowledged.
 *
 * <p>Appends are buffered in memory (up to 64 KiB) and written to the file whenever the sender reads
 * ({@link #readGroup}) or the buffer is full; a record reaches the file before it can be sent. No fsync: a killed
 * process loses nothing written, a machine crash may lose the last seconds. Thread-safe; I/O errors surface as
 * {@link TrackingException} naming the directory.
 */
public final class SegmentLog implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(SegmentLog.class);

  public static final String LOCK = "lock";
  public static final String CURSOR = "ack";
  public static final String SEGMENT_PREFIX = "seg-";
  public static final String SEGMENT_SUFFIX = ".log";
  private static final int WRITE_BUFFER = 64 * 1024;
  private static final int READ_WINDOW = 1024 * 1024;

  /** A record, the position just after it (what to acknowledge once it is stored) and its size in the file. */
  public record Entry(SpoolRecord rec, Position end, int bytes) {
    public Entry {
      Objects.requireNonNull(rec, "rec");
      Objects.requireNonNull(end, "end");
      if (bytes <= RecordCodec.HEADER) {
        throw new IllegalArgumentException("an entry has more than a header: " + bytes);
      }
    }
  }

  /** A place in the log: segment number (from 1) and byte offset in it. */
  public record Position(long segment, long offset) {
    public Position {
      if (segment < 1 || offset < 0) {
        throw new IllegalArgumentException("invalid spool position " + segment + ":" + offset);
      }
    }
  }

  private final Path dir;
  private final SpoolMeta meta;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final SpoolBudget budget;
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

  private SegmentLog(Path dir, SpoolMeta meta, FileChannel lockChannel, FileLock lock, SpoolBudget budget,
      long segmentBytes, Position acked, long ackedRecords) {
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
   * @param budget what its unacknowledged records count against (owned by the caller, shared by its spools)
   * @throws TrackingException if the directory cannot be made or is taken
   * @throws IllegalArgumentException if the run id cannot name a directory
   */
  public static SegmentLog create(Path root, SpoolMeta meta, SpoolBudget budget, long segmentBytes) {
    Objects.requireNonNull(budget, "budget");
    if (!SpoolMeta.usableRunId(meta.runId())) {
      throw new IllegalArgumentException("run id '" + meta.runId() + "' cannot name a spool directory");
    }
    if (segmentBytes < 1) {
      throw new IllegalArgumentException("segmentBytes must be >= 1, got " + segmentBytes);
    }
    Path dir = root.resolve(meta.runId());
    try {
      Files.createDirectories(dir);
      FileChannel lc = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l = tryLock(lc);
      if (l == null) {
        lc.close();
        throw new TrackingException("the spool " + dir + " of run " + meta.runId() + " is in use by another process");
      }
      if (Files.exists(dir.resolve(SpoolMeta.FILE))) {
        l.release();
        lc.close();
        throw new TrackingException("the spool " + dir + " of run " + meta.runId() + " exists already");
      }
      SegmentLog s = new SegmentLog(dir, meta, lc, l, budget, segmentBytes, new Position(1, 0), 0);
      s.writeSegment = 1;
      meta.write(dir); // last: a directory with run.properties is complete and locked
      return s;
    } catch (IOException e) {
      throw new TrackingException("cannot create the spool " + dir + " of run " + meta.runId() + ": " + e, e);
    }
  }

  /**
   * Opens an existing spool to send what is left (replay), or returns null when another process holds its lock
   * (a run still being written or sent). Nothing is appended to a reopened spool; it counts against no budget.
   *
   * @throws TrackingException if the directory is not a readable spool
   */
  public static SegmentLog reopen(Path dir) {
    try {
      if (!isSpool(dir)) {
        throw new TrackingException(dir + " is not a run spool (no " + SpoolMeta.FILE + ")");
      }
      FileChannel lc = FileChannel.open(dir.resolve(LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock l = tryLock(lc);
      if (l == null) {
        lc.close();
        return null;
      }
      SpoolMeta meta = SpoolMeta.read(dir);
      long[] cursor = readCursor(dir);
      SegmentLog s = new SegmentLog(dir, meta, lc, l, null, Long.MAX_VALUE, new Position(cursor[0], cursor[1]),
          cursor[2]);
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
  public static boolean isSpool(Path dir) {
    return Files.isRegularFile(dir.resolve(SpoolMeta.FILE));
  }

  public Path directory() {
    return dir;
  }

  public SpoolMeta meta() {
    return meta;
  }

  // ---------------------------------------------------------------- writing

  /**
   * Appends a record: reserves its bytes from the budget (waiting while it is full and {@code senderAlive}), then
   * adds it to the log.
   */
  public void append(SpoolRecord rec, BooleanSupplier senderAlive) throws InterruptedException {
    byte[] framed = RecordCodec.frame(rec);
    if (budget != null) {
      budget.reserve(framed.length, senderAlive, dir.getParent().toString(), "run " + meta.runId());
    }
    add(framed);
  }

  /** Appends a record without waiting for room (the run's end: small, and needed to end the run on replay). */
  public void appendUnbudgeted(SpoolRecord rec) {
    byte[] framed = RecordCodec.frame(rec);
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
  public synchronized long appended() {
    return appended;
  }

  /** Writes buffered records to the file. */
  public synchronized void writeOut() {
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

  /** How reading a window of a segment ended. */
  private enum WindowEnd {
    /** Records were read; the window is used up or ends in an incomplete record: read on in this segment. */
    READ_ON,
    /** No record could be read: the end of what this segment holds now. */
    AT_END,
    /** A frame that is garbage or fails its checksum: nothing after it in this segment is read. */
    DAMAGED,
    /** The group is complete (full, or an artifact or end record closed it). */
    GROUP_DONE
  }

  /**
   * The next records after the last one read, in order: up to {@code max} metric, param and tag records (sent
   * together in log-batch requests), or one artifact or end record alone. Empty when nothing more is written.
   * Reading does not acknowledge: call {@link #ack} once the group is stored; call {@link #rewind} to read the
   * unacknowledged records again.
   */
  public synchronized List<Entry> readGroup(int max) {
    if (writeSegment > 0) {
      writeOut();
    }
    List<Entry> group = new ArrayList<>();
    try {
      while (group.size() < max && openReadSegment()) {
        long size = in.size();
        WindowEnd end = readWindowInto(group, max, size);
        if (end == WindowEnd.GROUP_DONE) {
          break;
        }
        if (end != WindowEnd.READ_ON && !leaveSegment(size)) {
          break;
        }
      }
    } catch (IOException e) {
      throw new TrackingException("cannot read the spool " + dir + ": " + e, e);
    }
    return group;
  }

  /**
   * Step 1 of {@link #readGroup}: makes {@link #in} the segment the read position is in, skipping a segment that
   * was deleted empty. False when there is no such segment (nothing more written yet).
   */
  private boolean openReadSegment() throws IOException {
    while (true) {
      Path seg = segment(read.segment());
      if (Files.exists(seg)) {
        if (inSegment != read.segment()) {
          closeIn();
          in = FileChannel.open(seg, StandardOpenOption.READ);
          inSegment = read.segment();
        }
        return true;
      }
      if (read.offset() == 0 && Files.exists(segment(read.segment() + 1))) {
        read = new Position(read.segment() + 1, 0); // an empty segment that was deleted: skip
        continue;
      }
      return false;
    }
  }

  /**
   * Step 2 of {@link #readGroup}: decodes the frames of the window of the current segment at the read position
   * into {@code group}, moving the read position past them.
   */
  private WindowEnd readWindowInto(List<Entry> group, int max, long size) throws IOException {
    byte[] window = readWindow(in, read.offset(), size);
    int p = 0;
    WindowEnd end = WindowEnd.READ_ON;
    while (group.size() < max) {
      if (window.length - p < RecordCodec.HEADER) {
        break;
      }
      RecordCodec.Header h = RecordCodec.header(window, p);
      if (!h.plausible()) {
        end = WindowEnd.DAMAGED; // garbage: treated like a torn tail
        break;
      }
      byte[] payload = payload(window, p, h, size);
      if (payload == null) {
        break; // incomplete record at the end of the file
      }
      if (!RecordCodec.intact(payload, h)) {
        end = WindowEnd.DAMAGED;
        break;
      }
      SpoolRecord rec = decode(payload);
      if (rec.alone() && !group.isEmpty()) {
        read = group.get(group.size() - 1).end();
        return WindowEnd.GROUP_DONE;
      }
      p += h.frameBytes();
      Position recEnd = new Position(read.segment(), read.offset() + p);
      group.add(new Entry(rec, recEnd, h.frameBytes()));
      if (rec.alone()) {
        read = recEnd;
        return WindowEnd.GROUP_DONE;
      }
    }
    read = new Position(read.segment(), read.offset() + p);
    if (group.size() >= max) {
      return WindowEnd.GROUP_DONE;
    }
    return end == WindowEnd.DAMAGED ? end : p == 0 ? WindowEnd.AT_END : WindowEnd.READ_ON;
  }

  /** The payload of the frame at {@code p} of the window, or null when the file does not hold all of it yet. */
  private byte[] payload(byte[] window, int p, RecordCodec.Header h, long size) throws IOException {
    if (window.length - p - RecordCodec.HEADER >= h.length()) {
      return Arrays.copyOfRange(window, p + RecordCodec.HEADER, p + h.frameBytes());
    }
    if (window.length < READ_WINDOW) {
      return null;
    }
    // a record larger than the window: read it on its own
    return readFully(in, read.offset() + p + RecordCodec.HEADER, h.length(), size);
  }

  private SpoolRecord decode(byte[] payload) {
    try {
      return RecordCodec.decode(payload);
    } catch (IllegalArgumentException e) {
      throw new TrackingException("spool " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Step 3 of {@link #readGroup}, at the end of what the current segment holds now (or at a damaged frame): goes on
   * in the next segment if it exists (the writer has left this one for good; an incomplete rest of this one is
   * ignored), and returns true; otherwise returns false to wait for more. A reopened spool, which nobody writes any
   * more, ignores an incomplete tail for good.
   */
  private boolean leaveSegment(long size) {
    Path seg = segment(read.segment());
    long rest = size - read.offset();
    if (Files.exists(segment(read.segment() + 1))) {
      if (rest > 0) {
        ignoredBytes += rest;
        LOG.warn("spool {}: ignoring {} bytes at the end of {} (an incomplete record)", dir, rest, seg.getFileName());
      }
      read = new Position(read.segment() + 1, 0);
      return true;
    }
    if (writeSegment < 0 && rest > 0) {
      ignoredBytes += rest;
      LOG.warn("spool {}: ignoring {} bytes at the end of {} (an incomplete last record, written when the process "
          + "died)", dir, rest, seg.getFileName());
      read = new Position(read.segment(), size);
    }
    return false;
  }

  /** Bytes of incomplete or damaged records skipped so far. */
  public synchronized long ignoredBytes() {
    return ignoredBytes;
  }

  /** Reading goes back to the acknowledged position. */
  public synchronized void rewind() {
    read = acked;
  }

  /**
   * Records that {@code records} more records ({@code bytes} in the file), up to {@code end}, are stored by the
   * server: persists the cursor, deletes the segments before it and gives the bytes back to the budget.
   */
  public synchronized void ack(Position end, long records, long bytes) {
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

  public synchronized long ackedRecords() {
    return ackedRecords;
  }

  public synchronized Position ackedPosition() {
    return acked;
  }

  /** Records not yet acknowledged, counted by reading them (does not move the read position). */
  public synchronized long countUnacknowledged() {
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
    List<Long> found = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, SEGMENT_PREFIX + "*" + SEGMENT_SUFFIX)) {
      for (Path p : ds) {
        long n = segmentNumber(p);
        if (n > 0 && n < segment) {
          found.add(n);
        }
      }
    } catch (IOException e) {
      LOG.warn("spool {}: cannot list segments: {}", dir, e.toString());
    }
    return found;
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
      long[] v = {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
      new Position(v[0], v[1]); // validates
      return v;
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
        // left for replay: no longer counted against the spools this process is sending
        budget.release(reserved);
        reserved = 0;
      }
      releaseLock();
    }
  }

  /** Deletes the spool (everything was acknowledged) and releases its lock and budget. */
  public synchronized void delete() {
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
    releaseLock();
    try {
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      LOG.warn("spool {}: cannot delete the directory: {}", dir, e.toString());
    }
  }

  private void releaseLock() {
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      // closing releases the lock anyway; the file may be gone already
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

  // ---------------------------------------------------------------- files

  /** The file of segment {@code n}. */
  public Path segment(long n) {
    return dir.resolve(String.format("%s%08d%s", SEGMENT_PREFIX, n, SEGMENT_SUFFIX));
  }

  /** The number of a segment file, or -1 for another file. */
  public static long segmentNumber(Path p) {
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
        return Arrays.copyOf(b, buf.position());
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

  @Override
  public String toString() {
    return "SegmentLog[" + dir + "]";
  }
}
