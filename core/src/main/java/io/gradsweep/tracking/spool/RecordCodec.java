package io.gradsweep.tracking.spool;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * The bytes of a {@link SpoolRecord} in a spool segment: a frame {@code int length, int CRC-32 of the payload,
 * payload} (big-endian), the payload being a type byte (1 metric, 2 param, 3 tag, 4 artifact, 5 end) and the
 * fields, strings as {@code int length, UTF-8 bytes}. Pure functions; thread-safe.
 */
public final class RecordCodec {
  /** Bytes of a frame's header (length and checksum). */
  public static final int HEADER = 8;
  /** Largest payload (an artifact is one record). */
  public static final int MAX_RECORD = 256 * 1024 * 1024;

  private RecordCodec() {}

  /**
   * A frame's header as read from a segment.
   *
   * @param length payload bytes announced
   * @param crc CRC-32 of the payload announced
   */
  public record Header(int length, int crc) {
    /** False for a length no writer makes: the bytes are garbage (treated like a torn tail). */
    public boolean plausible() {
      return length > 0 && length <= MAX_RECORD;
    }

    /** Bytes of the whole frame. */
    public int frameBytes() {
      return HEADER + length;
    }
  }

  /**
   * The record's frame.
   *
   * @throws IllegalArgumentException when the payload is over {@link #MAX_RECORD}
   */
  public static byte[] frame(SpoolRecord rec) {
    byte[] payload = encode(rec);
    if (payload.length > MAX_RECORD) {
      throw new IllegalArgumentException("a spool record is limited to " + MAX_RECORD + " bytes; got "
          + payload.length + (rec instanceof SpoolRecord.Artifact a ? " (artifact '" + a.path() + "')" : ""));
    }
    ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length);
    b.putInt(payload.length).putInt(checksum(payload)).put(payload);
    return b.array();
  }

  /** The header at {@code offset} of {@code bytes}; the caller checks that {@link #HEADER} bytes are there. */
  public static Header header(byte[] bytes, int offset) {
    ByteBuffer h = ByteBuffer.wrap(bytes, offset, HEADER);
    return new Header(h.getInt(), h.getInt());
  }

  /** Whether {@code payload} matches the checksum its header announced. */
  public static boolean intact(byte[] payload, Header header) {
    return payload.length == header.length() && checksum(payload) == header.crc();
  }

  /** CRC-32 of {@code payload}, as an int. */
  public static int checksum(byte[] payload) {
    CRC32 c = new CRC32();
    c.update(payload);
    return (int) c.getValue();
  }

  /** The payload of {@code rec}. */
  public static byte[] encode(SpoolRecord rec) {
    ByteArrayOutputStream bos = new ByteArrayOutputStream(64);
    try (DataOutputStream d = new DataOutputStream(bos)) {
      if (rec instanceof SpoolRecord.Metric m) {
        d.writeByte(1);
        writeString(d, m.key());
        d.writeDouble(m.value());
        d.writeLong(m.timestamp());
        d.writeLong(m.step());
      } else if (rec instanceof SpoolRecord.Param p) {
        d.writeByte(2);
        writeString(d, p.key());
        writeString(d, p.value());
      } else if (rec instanceof SpoolRecord.Tag t) {
        d.writeByte(3);
        writeString(d, t.key());
        writeString(d, t.value());
      } else if (rec instanceof SpoolRecord.Artifact a) {
        d.writeByte(4);
        writeString(d, a.path());
        d.writeInt(a.content().length);
        d.write(a.content());
      } else if (rec instanceof SpoolRecord.End e) {
        d.writeByte(5);
        writeString(d, e.status());
        d.writeLong(e.endTime());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bos.toByteArray();
  }

  /**
   * The record a payload holds.
   *
   * @throws IllegalArgumentException for an unknown record type or a payload cut short
   */
  public static SpoolRecord decode(byte[] payload) {
    ByteBuffer b = ByteBuffer.wrap(payload);
    try {
      byte type = b.get();
      return switch (type) {
        case 1 -> new SpoolRecord.Metric(readString(b), b.getDouble(), b.getLong(), b.getLong());
        case 2 -> new SpoolRecord.Param(readString(b), readString(b));
        case 3 -> new SpoolRecord.Tag(readString(b), readString(b));
        case 4 -> {
          String path = readString(b);
          byte[] content = new byte[b.getInt()];
          b.get(content);
          yield new SpoolRecord.Artifact(path, content);
        }
        case 5 -> new SpoolRecord.End(readString(b), b.getLong());
        default -> throw new IllegalArgumentException("unknown spool record type " + type);
      };
    } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
      throw new IllegalArgumentException("spool record payload of " + payload.length + " bytes is cut short", e);
    }
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
}
