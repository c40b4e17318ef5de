package micros.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One request and its response on a connection. The request head is kept as offsets into the
 * connection's buffer, so headers are only turned into Strings when asked for; the forwarder
 * copies them to the micro as bytes. Reused for every request of a connection.
 */
public final class Exchange {
    static final int MAX_HEADERS = 128;
    private static final byte[] CRLF = {'\r', '\n'};

    private final Connection conn;
    // request head: offsets into conn.in (valid until the body is read past them)
    byte[] buf;
    int methodStart, methodEnd, targetStart, targetEnd;
    boolean http10;
    int headers;
    final int[] nameStart = new int[MAX_HEADERS], nameEnd = new int[MAX_HEADERS];
    final int[] valueStart = new int[MAX_HEADERS], valueEnd = new int[MAX_HEADERS];
    String method, rawPath, rawQuery;
    long arrived;         // System.nanoTime() when the head was in hand
    long contentLength;   // -1 when absent
    boolean chunked, expectContinue, clientClose, http10KeepAlive;
    RequestBody requestBody;      // set once the whole body is read
    private Object attachment;
    // response
    private int status;
    private boolean started, finished, cut, closeAfter, chunkedOut, untilClose;
    private long fixedLeft;
    private long rawMark;
    private final List<String> outHeaders = new ArrayList<>(8);
    private final BodyOut bodyOut = new BodyOut();

    Exchange(Connection conn) {
        this.conn = conn;
    }

    void reset() {
        headers = 0;
        method = rawPath = rawQuery = null;
        contentLength = -1;
        chunked = expectContinue = clientClose = http10 = http10KeepAlive = false;
        requestBody = null;
        attachment = null;
        status = 0;
        started = finished = cut = closeAfter = chunkedOut = untilClose = false;
        fixedLeft = 0;
        outHeaders.clear();
    }

    // ---- the request ----

    public String method() {
        return method;
    }

    /** System.nanoTime() when the request's head was in hand (the request log's durations start there). */
    public long arrived() {
        return arrived;
    }

    /** The path part of the request target, still percent-encoded. */
    public String rawPath() {
        return rawPath;
    }

    /** The query, still percent-encoded, or null. */
    public String rawQuery() {
        return rawQuery;
    }

    public String rawTarget() {
        return new String(buf, targetStart, targetEnd - targetStart, StandardCharsets.ISO_8859_1);
    }

    public boolean isHttp10() {
        return http10;
    }

    public int headerCount() {
        return headers;
    }

    /** Whether header i has this name (ASCII, case-insensitive), without making a String. */
    public boolean nameIs(int i, String name) {
        int len = nameEnd[i] - nameStart[i];
        if (len != name.length()) return false;
        for (int k = 0; k < len; k++) {
            int a = buf[nameStart[i] + k], b = name.charAt(k);
            if (a != b && (a | 0x20) != (b | 0x20)) return false;
        }
        return true;
    }

    public String name(int i) {
        return new String(buf, nameStart[i], nameEnd[i] - nameStart[i], StandardCharsets.ISO_8859_1);
    }

    public String value(int i) {
        return new String(buf, valueStart[i], valueEnd[i] - valueStart[i], StandardCharsets.ISO_8859_1);
    }

    /** The first value of a header, or null. */
    public String header(String name) {
        for (int i = 0; i < headers; i++) if (nameIs(i, name)) return value(i);
        return null;
    }

    /** Every value of a header (Cookie may come in several lines). */
    public List<String> headers(String name) {
        List<String> out = null;
        for (int i = 0; i < headers; i++) {
            if (!nameIs(i, name)) continue;
            if (out == null) out = new ArrayList<>(2);
            out.add(value(i));
        }
        return out;
    }

    /** Copies "Name: value\r\n" of header i into the sink's bytes. */
    public void copyHeader(int i, ByteSink sink) {
        sink.put(buf, nameStart[i], nameEnd[i] - nameStart[i]);
        sink.put((byte) ':');
        sink.put((byte) ' ');
        sink.put(buf, valueStart[i], valueEnd[i] - valueStart[i]);
        sink.put(CRLF, 0, 2);
    }

    /** -1 when the request has no Content-Length. */
    public long contentLength() {
        return contentLength;
    }

    public boolean chunked() {
        return chunked;
    }

    /** Whether the request's head announces a body (a length over 0, or chunks). */
    public boolean hasBody() {
        return chunked || contentLength > 0;
    }

    /**
     * The whole request body, de-chunked, once the handler's {@code handle} runs (the server reads
     * it before); null when the request had none. In {@code admit} it is not read yet.
     */
    public RequestBody requestBody() {
        return requestBody;
    }

    /** The body's length in bytes (0 without one), once it is read. */
    public long bodyLength() {
        return requestBody == null ? 0 : requestBody.length();
    }

    /** The request body from its start (empty without one). */
    public InputStream body() {
        return requestBody == null ? InputStream.nullInputStream() : requestBody.open();
    }

    /** What the handler's {@code admit} decided, for its {@code handle}; cleared for each request. */
    public void attach(Object o) {
        attachment = o;
    }

    public Object attachment() {
        return attachment;
    }

    // ---- the response ----

    /** Adds a response header, before the head is sent. */
    public void addHeader(String name, String value) {
        outHeaders.add(name);
        outHeaders.add(value);
    }

    public void clearHeaders() {
        outHeaders.clear();
    }

    public boolean started() {
        return started;
    }

    /** Whether the connection will close after this response (the client asked, or HTTP/1.0). */
    public boolean closing() {
        return clientClose || closeAfter;
    }

    /** Ends the connection after this response. */
    public void closeAfter() {
        closeAfter = true;
    }

    /**
     * Sends status line and headers. {@code length}: the body's size, -1 for a chunked body of
     * unknown size, or -2 for no body at all (HEAD, 204, 304 are always bodiless).
     */
    public void sendHead(int status, long length) throws IOException {
        if (started) throw new IllegalStateException("response already started");
        started = true;
        this.status = status;
        if (conn.bodyPending()) closeAfter = true; // the rest of an unread body would be the next request's start
        boolean head = method.equals("HEAD");
        boolean bodiless = length == -2 || status == 204 || status == 304 || (status >= 100 && status < 200);
        Out out = conn.out;
        byte[] version = http10 ? Connection.HTTP10 : Connection.HTTP11;
        out.put(version, 0, version.length);
        out.putStatus(status);
        for (int i = 0; i < outHeaders.size(); i += 2) out.header(outHeaders.get(i), outHeaders.get(i + 1));
        out.header("Date", Dates.now());
        if (!bodiless) {
            if (length >= 0) out.header("Content-Length", Long.toString(length));
            else if (http10) closeAfter = true; // HTTP/1.0 has no chunks: the end of the body is the end of the connection
            else out.header("Transfer-Encoding", "chunked");
        }
        if (closing()) out.header("Connection", "close");
        else if (http10) out.header("Connection", "keep-alive");
        out.put(CRLF, 0, 2);
        if (bodiless || head) {
            fixedLeft = 0;
            finished = true;
            return;
        }
        chunkedOut = length < 0 && !http10;
        untilClose = length < 0 && http10;
        fixedLeft = length >= 0 ? length : 0;
    }

    /** The body stream after {@link #sendHead}; close it (or call {@link #end}) when done. */
    public OutputStream responseBody() {
        return bodyOut;
    }

    /** A complete small response in one go. */
    public void send(int status, String contentType, byte[] body) throws IOException {
        if (contentType != null) addHeader("Content-Type", contentType);
        if (method.equals("HEAD")) {
            addHeader("Content-Length", Integer.toString(body.length));
            sendHead(status, -2);
        } else {
            sendHead(status, body.length);
            if (body.length > 0) bodyOut.write(body, 0, body.length);
        }
        end();
    }

    /**
     * A response of exactly {@code size} bytes read from {@code in} (a file): HEAD gets the
     * length alone; a source that ends early cuts the connection rather than answer short.
     */
    public void sendFixed(int status, java.nio.channels.ReadableByteChannel in, long size) throws IOException {
        if (method.equals("HEAD")) {
            addHeader("Content-Length", Long.toString(size));
            sendHead(status, -2);
            end();
            return;
        }
        sendHead(status, size);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) Math.min(64 * 1024, Math.max(size, 1)));
        long left = size;
        while (left > 0) { // exactly the announced length, even if the file grows meanwhile
            buf.clear().limit((int) Math.min(buf.capacity(), left));
            int n = in.read(buf);
            if (n < 0) { // it shrank: the announced length cannot be kept
                cut();
                return;
            }
            bodyOut.write(buf.array(), 0, n);
            left -= n;
        }
        end();
    }

    /** Finishes the response: the last chunk, and a flush. */
    public void end() throws IOException {
        if (cut || finished && !started) return;
        if (!started) throw new IllegalStateException("no response was sent");
        if (!finished) {
            finished = true;
            if (chunkedOut) conn.out.put(Connection.LAST_CHUNK, 0, Connection.LAST_CHUNK.length);
            else if (!untilClose && fixedLeft > 0) {
                cut(); // fewer bytes than announced: the client must not take it as complete
                return;
            }
        }
        conn.out.flush();
    }

    /**
     * For the forwarder: it writes the status line, headers and body itself, as bytes.
     * The exchange only learns whether the response ended cleanly ({@link #endRaw}).
     */
    public Out raw() {
        started = true;
        if (conn.bodyPending()) closeAfter = true;
        rawMark = conn.out.written();
        return conn.out;
    }

    /**
     * Takes back a raw response none of whose bytes has left yet (it failed before the first
     * flush), so a clean error can be sent instead. False when bytes already went out.
     */
    public boolean retract() {
        if (!started || conn.out.written() != rawMark) return false;
        conn.out.discard();
        started = finished = false;
        outHeaders.clear();
        return true;
    }

    /** How many response bytes fit in the connection's buffer before it must be written out. */
    public int bufferRoom() {
        return conn.out.room();
    }

    /** The status of a raw response (for counting). */
    public void noteStatus(int status) {
        this.status = status;
    }

    public void endRaw() throws IOException {
        finished = true;
        conn.out.flush();
    }

    /** As {@link #endRaw}, for a relay on the event loop: the loop writes the buffered response itself. */
    public void endRawBuffered() {
        finished = true;
    }

    /** The current Date header value. */
    public static String date() {
        return Dates.now();
    }

    /** A time as an HTTP date (RFC 9110's IMF-fixdate), for Last-Modified and the like. */
    public static String httpDate(java.time.Instant t) {
        return Dates.format(t);
    }

    public int status() {
        return status;
    }

    /** Whether the client has gone while its request waited (see {@link Connection#clientGone}); never waits. */
    public boolean clientGone() {
        return conn.clientGone();
    }

    /** Ends the connection now, without completing the response (it had already started). */
    public void cut() {
        cut = true;
        finished = true;
        conn.abort();
    }

    boolean wasCut() {
        return cut;
    }

    boolean finished() {
        return finished;
    }

    /** The response body: chunk-encodes when needed; refuses bytes past a fixed length. */
    private final class BodyOut extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) return;
            if (chunkedOut) {
                conn.out.putHex(len);
                conn.out.put(CRLF, 0, 2);
                conn.out.put(b, off, len);
                conn.out.put(CRLF, 0, 2);
                return;
            }
            if (!untilClose) {
                if (len > fixedLeft) throw new IOException("more body than the announced Content-Length");
                fixedLeft -= len;
            }
            conn.out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            conn.out.flush();
        }

        @Override
        public void close() throws IOException {
            end();
        }
    }
}
