package io.gradsweep.tracking.spool;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordCodecTest {

  private static final List<SpoolRecord> ALL = List.of(
      new SpoolRecord.Metric("train/loss", -0.25, 1_700_000_000_123L, 42),
      new SpoolRecord.Param("lr", "0.003"),
      new SpoolRecord.Tag("gradsweep.status", "SOLVED – ünïcode ✓"),
      new SpoolRecord.Artifact("plots/a.png", new byte[] {0, 1, 2, (byte) 0xff}),
      new SpoolRecord.End("FINISHED", 5));

  private static byte[] payloadOf(byte[] frame) {
    return Arrays.copyOfRange(frame, RecordCodec.HEADER, frame.length);
  }

  @Test
  void everyRecordTypeRoundTrips() {
    for (SpoolRecord r : ALL) {
      byte[] frame = RecordCodec.frame(r);
      RecordCodec.Header h = RecordCodec.header(frame, 0);
      assertTrue(h.plausible());
      assertEquals(frame.length, h.frameBytes());
      byte[] payload = payloadOf(frame);
      assertTrue(RecordCodec.intact(payload, h));
      assertEquals(r, RecordCodec.decode(payload));
    }
  }

  @Test
  void theFrameIsLengthThenCrcThenPayload() {
    SpoolRecord.Param p = new SpoolRecord.Param("k", "v");
    byte[] frame = RecordCodec.frame(p);
    byte[] payload = RecordCodec.encode(p);
    ByteBuffer b = ByteBuffer.wrap(frame);
    assertEquals(payload.length, b.getInt());
    assertEquals(RecordCodec.checksum(payload), b.getInt());
    assertArrayEquals(payload, payloadOf(frame));
    // type byte 2, then the strings as int length + UTF-8
    assertEquals(2, payload[0]);
    assertEquals(1 + 4 + 1 + 4 + 1, payload.length);
    assertEquals("k", new String(payload, 5, 1, StandardCharsets.UTF_8));
  }

  @Test
  void aFlippedBitFailsTheChecksum() {
    byte[] frame = RecordCodec.frame(new SpoolRecord.Metric("m", 1, 2, 3));
    RecordCodec.Header h = RecordCodec.header(frame, 0);
    byte[] payload = payloadOf(frame);
    payload[payload.length - 1] ^= 1;
    assertFalse(RecordCodec.intact(payload, h));
    assertFalse(RecordCodec.intact(Arrays.copyOf(payload, payload.length - 1), h), "a short payload");
  }

  @Test
  void implausibleHeadersAreGarbage() {
    assertFalse(new RecordCodec.Header(0, 0).plausible());
    assertFalse(new RecordCodec.Header(-5, 0).plausible());
    assertFalse(new RecordCodec.Header(RecordCodec.MAX_RECORD + 1, 0).plausible());
    assertTrue(new RecordCodec.Header(RecordCodec.MAX_RECORD, 0).plausible());
  }

  @Test
  void unknownTypesAndCutPayloadsAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RecordCodec.decode(new byte[] {9}));
    assertTrue(e.getMessage().contains("unknown spool record type 9"), e.getMessage());
    byte[] payload = RecordCodec.encode(new SpoolRecord.Tag("key", "value"));
    assertThrows(IllegalArgumentException.class, () -> RecordCodec.decode(Arrays.copyOf(payload, 6)));
  }
}
