package io.gradsweep.tracking.spool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gradsweep.tracking.TrackingException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run spool on its own: order, grouping, cursor, torn tails, the bound and the lock. */
class SegmentLogTest {
  @TempDir
  Path root;

  private SegmentLog create(String runId, SpoolBudget budget, long segmentBytes) {
    return SegmentLog.create(root, new SpoolMeta(runId, "7", "mlflow-artifacts:/7/" + runId + "/artifacts",
        "http://127.0.0.1:1", "host", 1L), budget, segmentBytes);
  }

  private static SpoolRecord.Metric metric(int i) {
    return new SpoolRecord.Metric("train/loss", i * 0.5, 1_000_000L + i, i);
  }

  private static List<SegmentLog.Entry> readAll(SegmentLog s, int group) {
    List<SegmentLog.Entry> all = new ArrayList<>();
    for (List<SegmentLog.Entry> g = s.readGroup(group); !g.isEmpty(); g = s.readGroup(group)) {
      all.addAll(g);
    }
    return all;
  }

  private long segments(Path dir) throws IOException {
    try (Stream<Path> l = Files.list(dir)) {
      return l.filter(p -> SegmentLog.segmentNumber(p) > 0).count();
    }
  }

  @Test
  void recordsComeBackInOrderGroupedAndTheCursorSurvivesAReopen() throws Exception {
    SegmentLog s = create("run1", new SpoolBudget(Long.MAX_VALUE), 1024);
    for (int i = 0; i < 500; i++) {
      s.append(metric(i), () -> true);
    }
    s.append(new SpoolRecord.Tag("gradsweep.status", "SOLVED"), () -> true);
    byte[] png = new byte[5000];
    png[17] = 42;
    s.append(new SpoolRecord.Artifact("profile_lines.png", png), () -> true);
    s.append(new SpoolRecord.Metric("final/steps", 500, 2_000_000L, 500), () -> true);
    s.appendUnbudgeted(new SpoolRecord.End("FINISHED", 3_000_000L));
    assertEquals(504, s.appended());
    assertTrue(segments(s.directory()) > 10, "several segments of 1 KiB");

    // the first 300 metrics, in groups of 100, then acknowledged
    for (int g = 0; g < 3; g++) {
      List<SegmentLog.Entry> group = s.readGroup(100);
      assertEquals(100, group.size());
      for (int i = 0; i < 100; i++) {
        assertEquals(metric(g * 100 + i), group.get(i).rec());
      }
      s.ack(group.get(99).end(), 100, group.stream().mapToLong(SegmentLog.Entry::bytes).sum());
    }
    // read on, but do not acknowledge: a restart must send these again
    assertEquals(50, s.readGroup(50).size());
    Path dir = s.directory();
    long before = segments(dir);
    s.close();
    assertTrue(before < 30, "segments before the cursor are deleted: " + before);

    SegmentLog r = SegmentLog.reopen(dir);
    assertNotNull(r);
    assertEquals(300, r.ackedRecords());
    assertEquals(204, r.countUnacknowledged());
    List<SegmentLog.Entry> rest = readAll(r, 1000);
    assertEquals(204, rest.size());
    for (int i = 0; i < 200; i++) {
      assertEquals(metric(300 + i), rest.get(i).rec());
    }
    assertEquals(new SpoolRecord.Tag("gradsweep.status", "SOLVED"), rest.get(200).rec());
    SpoolRecord.Artifact a = (SpoolRecord.Artifact) rest.get(201).rec();
    assertEquals("profile_lines.png", a.path());
    assertArrayEquals(png, a.content());
    assertEquals(new SpoolRecord.Metric("final/steps", 500, 2_000_000L, 500), rest.get(202).rec());
    assertEquals(new SpoolRecord.End("FINISHED", 3_000_000L), rest.get(203).rec());
    assertEquals(0, r.ignoredBytes());
    r.delete();
    assertFalse(Files.exists(dir));
  }

  @Test
  void artifactsAndTheEndAreGroupsOfTheirOwn() throws Exception {
    SegmentLog s = create("run2", new SpoolBudget(Long.MAX_VALUE), 1 << 20);
    s.append(metric(1), () -> true);
    s.append(new SpoolRecord.Artifact("a.csv", new byte[] {1, 2}), () -> true);
    s.append(metric(2), () -> true);
    s.appendUnbudgeted(new SpoolRecord.End("FAILED", 5));
    List<Integer> sizes = new ArrayList<>();
    List<String> kinds = new ArrayList<>();
    for (List<SegmentLog.Entry> g = s.readGroup(100); !g.isEmpty(); g = s.readGroup(100)) {
      sizes.add(g.size());
      kinds.add(g.get(0).rec().getClass().getSimpleName());
    }
    assertEquals(List.of(1, 1, 1, 1), sizes);
    assertEquals(List.of("Metric", "Artifact", "Metric", "End"), kinds);
    s.close();
  }

  @Test
  void aTornOrDamagedLastRecordIsIgnored() throws Exception {
    SegmentLog s = create("run3", new SpoolBudget(Long.MAX_VALUE), 1 << 20);
    for (int i = 0; i < 10; i++) {
      s.append(metric(i), () -> true);
    }
    Path dir = s.directory();
    Path seg = s.segment(1);
    s.close();
    long full = Files.size(seg);
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.setLength(full - 3); // the process died while writing the last record
    }
    SegmentLog r = SegmentLog.reopen(dir);
    List<SegmentLog.Entry> got = readAll(r, 100);
    assertEquals(9, got.size());
    assertEquals(metric(8), got.get(8).rec());
    assertTrue(r.ignoredBytes() > 0);
    r.close();

    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.setLength(full - 3);
      long inLastComplete = full - 47 - 10; // metric records of this key are 47 bytes
      f.seek(inLastComplete); // a flipped byte in the payload of the last complete record
      int b = f.read();
      f.seek(inLastComplete);
      f.write(b ^ 0xff);
    }
    SegmentLog r2 = SegmentLog.reopen(dir);
    List<SegmentLog.Entry> got2 = readAll(r2, 100);
    assertEquals(8, got2.size(), "the damaged record and everything after it are ignored");
    r2.close();
  }

  @Test
  void aFullSpoolMakesTheWriterWaitUntilTheSenderFreesSpace() throws Exception {
    SpoolBudget budget = new SpoolBudget(4096);
    SegmentLog s = create("run4", budget, 512);
    AtomicInteger written = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try {
        for (int i = 0; i < 1000; i++) {
          s.append(metric(i), () -> true);
          written.incrementAndGet();
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    writer.start();
    // the writer blocks once the bound is reached, while nobody acknowledges
    while (writer.getState() != Thread.State.TIMED_WAITING || written.get() == 0) {
      Thread.sleep(10);
    }
    int blockedAt = written.get();
    assertTrue(blockedAt < 1000, "blocked before writing everything: " + blockedAt);
    assertTrue(budget.used() <= 4096, "within the bound: " + budget.used());
    // the sender reads and acknowledges: the writer goes on, and everything arrives in order
    List<SegmentLog.Entry> got = new ArrayList<>();
    while (got.size() < 1000) {
      List<SegmentLog.Entry> g = s.readGroup(7);
      if (g.isEmpty()) {
        Thread.sleep(1);
        continue;
      }
      got.addAll(g);
      s.ack(g.get(g.size() - 1).end(), g.size(), g.stream().mapToLong(SegmentLog.Entry::bytes).sum());
      assertTrue(budget.used() <= 4096, "within the bound: " + budget.used());
    }
    writer.join();
    assertNull(failure.get());
    for (int i = 0; i < 1000; i++) {
      assertEquals(metric(i), got.get(i).rec());
    }
    s.delete();
    assertEquals(0, budget.used());
  }

  @Test
  void aFullSpoolWithoutASenderFailsLoudly() throws Exception {
    SegmentLog s = create("run5", new SpoolBudget(1000), 512);
    TrackingException e = assertThrows(TrackingException.class, () -> {
      for (int i = 0; i < 1000; i++) {
        s.append(metric(i), () -> false);
      }
    });
    assertTrue(e.getMessage().contains("is full") && e.getMessage().contains("spark.gradsweep.spool.max.mb"),
        e.getMessage());
    s.close();
  }

  @Test
  void aSpoolInUseIsNotOpenedTwice() throws Exception {
    SegmentLog s = create("run6", new SpoolBudget(Long.MAX_VALUE), 1 << 20);
    assertNull(SegmentLog.reopen(s.directory()), "locked by its writer");
    assertThrows(TrackingException.class, () -> create("run6", new SpoolBudget(1), 1 << 20));
    s.close();
    SegmentLog r = SegmentLog.reopen(s.directory());
    assertNotNull(r);
    r.close();
  }

  @Test
  void theSegmentFilesAreTheCodecsFramesBackToBack() throws Exception {
    SegmentLog s = create("fmt", SpoolBudget.unbounded(), 1 << 20);
    List<SpoolRecord> recs = List.of(metric(1), new SpoolRecord.Tag("t", "v"), new SpoolRecord.End("FINISHED", 9));
    java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
    for (SpoolRecord r : recs) {
      if (r instanceof SpoolRecord.End) {
        s.appendUnbudgeted(r);
      } else {
        s.append(r, () -> true);
      }
      expected.write(RecordCodec.frame(r));
    }
    s.close();
    Path dir = root.resolve("fmt");
    assertArrayEquals(expected.toByteArray(), Files.readAllBytes(dir.resolve("seg-00000001.log")));
    SpoolMeta meta = SpoolMeta.read(dir);
    assertEquals(new SpoolMeta("fmt", "7", "mlflow-artifacts:/7/fmt/artifacts", "http://127.0.0.1:1", "host", 1L),
        meta);
    SegmentLog r = SegmentLog.reopen(dir);
    List<SegmentLog.Entry> g = r.readGroup(10);
    r.ack(g.get(g.size() - 1).end(), g.size(), 0);
    r.close();
    assertEquals("1 " + g.get(g.size() - 1).end().offset() + " 2\n", Files.readString(dir.resolve("ack")),
        "cursor: segment, offset, records acknowledged");
  }

  @Test
  void aDamagedRecordInALeftSegmentIsSkippedAndReadingGoesOnInTheNext() throws Exception {
    SegmentLog s = create("dmg", SpoolBudget.unbounded(), 200);
    for (int i = 0; i < 20; i++) {
      s.append(metric(i), () -> true);
    }
    s.close();
    Path dir = root.resolve("dmg");
    assertTrue(segments(dir) >= 2, "several segments");
    Path first = dir.resolve("seg-00000001.log");
    long firstSize = Files.size(first);
    int frame = RecordCodec.frame(metric(0)).length;
    try (RandomAccessFile f = new RandomAccessFile(first.toFile(), "rw")) {
      long at = frame + RecordCodec.HEADER + 3; // inside the second record's payload
      f.seek(at);
      int b = f.read();
      f.seek(at);
      f.write(b ^ 0x40);
    }
    SegmentLog r = SegmentLog.reopen(dir);
    List<SegmentLog.Entry> got = readAll(r, 100);
    int inFirst = (int) (firstSize / frame);
    assertEquals(20 - (inFirst - 1), got.size(), "the first record, then everything of the next segments");
    assertEquals(metric(0), got.get(0).rec());
    assertEquals(metric(inFirst), got.get(1).rec());
    assertEquals(firstSize - frame, r.ignoredBytes(), "the rest of the damaged segment is ignored");
    r.close();
  }

}
