package micros.http;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** A connection's buffered output: response heads are assembled here and leave in one write. */
public final class Out implements ByteSink {
    private static final byte[][] STATUS = new byte[600][];
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private final OutputStream os;
    private final Connection conn;
    private final byte[] b = new byte[16 * 1024];
    private int n;
    private int sent;     // on the event loop: how much of b[0..n) a partial write already sent
    private final java.nio.ByteBuffer view = java.nio.ByteBuffer.wrap(b);
    private long written; // bytes handed to the socket so far

    Out(OutputStream os, Connection conn) {
        this.os = os;
        this.conn = conn;
    }

    @Override
    public void put(byte x) {
        if (n == b.length) flushQuietly();
        b[n++] = x;
    }

    @Override
    public void put(byte[] src, int off, int len) {
        if (len > b.length - n) {
            flushQuietly();
            if (len >= b.length) {
                writeThrough(src, off, len);
                return;
            }
        }
        System.arraycopy(src, off, b, n, len);
        n += len;
    }

    /** Writes body bytes; unlike the head methods this reports a gone client at once. */
    public void write(byte[] src, int off, int len) throws IOException {
        put(src, off, len);
        conn.checkWrite();
    }

    /**
     * Writes what is buffered, then {@code src}'s remaining bytes (a direct buffer: a large body
     * relayed from a micro's channel without a copy through the heap). On a worker's blocking channel only.
     */
    public void write(java.nio.ByteBuffer src) throws IOException {
        flush();
        written += src.remaining();
        conn.write(src);
    }

    void putAscii(String s) {
        int len = s.length();
        if (len > b.length - n) flushQuietly();
        if (len > b.length) {
            byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
            writeThrough(bytes, 0, bytes.length);
            return;
        }
        for (int i = 0; i < len; i++) b[n++] = (byte) s.charAt(i);
    }

    public void putHeader(String name, String value) {
        header(name, value);
    }

    /** "Name: 123\r\n" without making a String of the number. */
    public void putHeader(String name, long value) {
        putAscii(name);
        put((byte) ':');
        put((byte) ' ');
        if (value == 0) put((byte) '0');
        else {
            int start = n;
            long v = value;
            int digits = 0;
            for (long t = v; t > 0; t /= 10) digits++;
            if (n + digits > b.length) flushQuietly();
            start = n;
            for (int i = digits - 1; i >= 0; i--) {
                b[start + i] = (byte) ('0' + v % 10);
                v /= 10;
            }
            n += digits;
        }
        put((byte) '\r');
        put((byte) '\n');
    }

    void header(String name, String value) {
        putAscii(name);
        put((byte) ':');
        put((byte) ' ');
        putAscii(value);
        put((byte) '\r');
        put((byte) '\n');
    }

    /** "200 OK\r\n" and the like, made once per status code. */
    void putStatus(int code) {
        byte[] s = code >= 100 && code < 600 ? STATUS[code] : null;
        if (s == null) {
            s = (code + " " + Status.reason(code) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            if (code >= 100 && code < 600) STATUS[code] = s;
        }
        put(s, 0, s.length);
    }

    public void putHex(long v) {
        if (v == 0) {
            put((byte) '0');
            return;
        }
        int shift = 60;
        while ((v >>> shift) == 0) shift -= 4;
        for (; shift >= 0; shift -= 4) put(HEX[(int) ((v >>> shift) & 0xf)]);
    }

    public void putDecimal(long v) {
        putAscii(Long.toString(v));
    }

    public void flush() throws IOException {
        if (n > 0) {
            int len = n;
            n = 0;
            written += len;
            conn.write(os, b, 0, len);
        }
        conn.checkWrite();
    }

    /**
     * On the event loop (a non-blocking channel): writes what the socket takes now; true when
     * everything buffered has left, false to be called again once the channel is writable.
     */
    boolean writeTo(java.nio.channels.SocketChannel ch) throws IOException {
        view.limit(n).position(sent);
        ch.write(view);
        sent = view.position();
        if (sent < n) return false;
        written += n;
        n = sent = 0;
        return true;
    }

    /** How many more bytes fit before the buffer would have to be written out. */
    public int room() {
        return b.length - n;
    }

    /** Bytes waiting in the buffer. */
    public int pending() {
        return n;
    }

    long written() {
        return written;
    }

    /** Head methods do not throw: a failed write is remembered and reported by the next flush. */
    private void flushQuietly() {
        if (n == 0) return;
        int len = n;
        n = 0;
        written += len;
        conn.writeQuietly(os, b, 0, len);
    }

    private void writeThrough(byte[] src, int off, int len) {
        written += len;
        conn.writeQuietly(os, src, off, len);
    }

    void discard() {
        n = sent = 0;
    }
}
