package micros.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;

/**
 * Forwards one exchange to a micro over a pooled keep-alive connection, streaming both bodies,
 * with the request head written from a reused buffer. Hop-by-hop headers (RFC 9110 §7.6.1)
 * and client-address headers are not forwarded; Host keeps the client's value.
 */
final class Forwarder {
    private static final byte[] HTTP11 = " HTTP/1.1\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] CHUNK_END = "0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final int MAX_HEAD = Upstream.BUFFER;

    /** How a forward ended; {@code started} is true once response headers went to the client. */
    enum Result { OK, CONNECT_FAILED, NO_RESPONSE, BAD_RESPONSE, RESPONSE_CUT, TIMEOUT, CLIENT_GONE, REQUEST_TOO_LARGE, RESPONSE_TOO_LARGE }

    /** What the gateway needs to answer or log after a forward; reused per request. */
    static final class Outcome {
        Result result;
        boolean started;
        int status;
        long responseBytes;
        boolean reusable;
        String detail;

        Outcome set(Result r, String d) {
            result = r;
            detail = d;
            return this;
        }
    }

    /** Per-request buffers, pooled rather than thread-local so virtual threads do not each allocate them. */
    static final class Scratch {
        byte[] head = new byte[4096];
        int len;
        final byte[] body = new byte[16 * 1024];
        final Outcome outcome = new Outcome();

        void put(byte b) {
            if (len == head.length) head = java.util.Arrays.copyOf(head, head.length * 2);
            head[len++] = b;
        }

        void put(String s) {
            int n = s.length();
            if (len + n > head.length) head = java.util.Arrays.copyOf(head, Math.max(head.length * 2, len + n));
            for (int i = 0; i < n; i++) head[len++] = (byte) s.charAt(i);
        }

        void put(byte[] b) {
            if (len + b.length > head.length) head = java.util.Arrays.copyOf(head, Math.max(head.length * 2, len + b.length));
            System.arraycopy(b, 0, head, len, b.length);
            len += b.length;
        }

        void crlf() {
            put((byte) '\r');
            put((byte) '\n');
        }
    }

    private final ArrayBlockingQueue<Scratch> scratches = new ArrayBlockingQueue<>(256);
    private final long responseLimit; // bytes; 0 = none
    private final long requestLimit;

    Forwarder(long requestLimit, long responseLimit) {
        this.requestLimit = requestLimit;
        this.responseLimit = responseLimit;
    }

    Scratch scratch() {
        Scratch s = scratches.poll();
        if (s == null) s = new Scratch();
        s.len = 0;
        Outcome o = s.outcome;
        o.result = null;
        o.started = false;
        o.status = 0;
        o.responseBytes = 0;
        o.reusable = false;
        o.detail = null;
        return s;
    }

    void recycle(Scratch s) {
        if (s.head.length > 64 * 1024) s.head = new byte[4096];
        scratches.offer(s);
    }

    /**
     * Sends the request to the micro and its answer to the client.
     * @param first an already open connection to use first (the readiness probe's), or null
     */
    Outcome forward(HttpExchange ex, Upstream.Pool pool, int port, long generation, Socket first,
                    String target, String cookie, Deadlines.Ticket ticket, Scratch sc) {
        Outcome o = sc.outcome;
        Headers rq = ex.getRequestHeaders();
        String method = ex.getRequestMethod();
        long contentLength = -1;
        String cl = rq.getFirst("Content-length");
        if (cl != null) contentLength = Long.parseLong(cl.strip()); // HttpServer has checked it is a number
        boolean chunked = rq.containsKey("Transfer-encoding");
        if (requestLimit > 0 && contentLength > requestLimit) return o.set(Result.REQUEST_TOO_LARGE, null);

        writeHead(sc, method, target, rq, cookie, contentLength, chunked);
        boolean hasBody = contentLength > 0 || chunked;
        for (int attempt = 0; ; attempt++) {
            Upstream u = null;
            try {
                u = first != null ? new Upstream(first, generation) : pool.poll(generation);
                first = null;
                if (u == null) u = Upstream.connect(port, generation);
            } catch (IOException e) {
                if (u != null) u.close();
                return o.set(ticket.fired() ? Result.TIMEOUT : Result.CONNECT_FAILED, e.getMessage());
            }
            ticket.watch(u);
            boolean reused = u.reused;
            try {
                u.out.write(sc.head, 0, sc.len);
                if (hasBody && !sendBody(ex.getRequestBody(), u.out, contentLength, chunked, sc)) {
                    u.close();
                    return o.set(Result.REQUEST_TOO_LARGE, null);
                }
                u.out.flush();
            } catch (ClientGone e) {
                u.close();
                return o.set(Result.CLIENT_GONE, e.getMessage());
            } catch (IOException e) {
                u.close();
                if (ticket.fired()) return o.set(Result.TIMEOUT, null);
                if (reused && !hasBody && attempt == 0) continue; // a stale pooled connection: try a fresh one
                return o.set(Result.NO_RESPONSE, e.getMessage());
            }
            Result r = relayResponse(ex, u, method, sc, ticket, reused && !hasBody && attempt == 0);
            if (r == null) { // a stale pooled connection closed before answering: retry once
                u.close();
                continue;
            }
            ticket.watch(null);
            if (r == Result.OK && o.reusable && !ticket.fired()) pool.offer(u);
            else u.close();
            return o.set(r, o.detail);
        }
    }

    /** @param cookie when not null, replaces the Cookie headers (the gateway took its login cookie out); "" drops them */
    private static void writeHead(Scratch sc, String method, String target, Headers rq, String cookie, long contentLength, boolean chunked) {
        sc.put(method);
        sc.put((byte) ' ');
        sc.put(target);
        sc.put(HTTP11);
        List<String> connection = rq.get("Connection");
        boolean hasHost = false;
        for (Map.Entry<String, List<String>> e : rq.entrySet()) {
            String name = e.getKey();
            if (!forwardRequestHeader(name) || listedIn(connection, name) || (cookie != null && name.equals("Cookie"))) continue;
            if (name.equals("Host")) hasHost = true;
            for (String v : e.getValue()) {
                sc.put(name);
                sc.put((byte) ':');
                sc.put((byte) ' ');
                sc.put(v);
                sc.crlf();
            }
        }
        if (!hasHost) sc.put("Host: localhost\r\n");
        if (cookie != null && !cookie.isEmpty()) {
            sc.put("Cookie: ");
            sc.put(cookie);
            sc.crlf();
        }
        if (chunked) sc.put("Transfer-Encoding: chunked\r\n");
        else if (contentLength > 0 || (contentLength == 0 && !method.equals("GET") && !method.equals("HEAD"))) {
            sc.put("Content-Length: ");
            sc.put(Long.toString(contentLength));
            sc.crlf();
        }
        sc.crlf();
    }

    /** Names as HttpServer normalises them: first letter upper case, the rest lower case. */
    static boolean forwardRequestHeader(String name) {
        return switch (name) {
            case "Connection", "Keep-alive", "Proxy-connection", "Te", "Trailer", "Transfer-encoding", "Upgrade",
                 "Proxy-authorization", "Proxy-authenticate", "Expect", "Content-length",
                 "X-forwarded-for", "Forwarded", "X-real-ip" -> false;
            default -> true;
        };
    }

    private static boolean forwardResponseHeader(String name) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
                 "content-length", "date" -> false;
            default -> true;
        };
    }

    private static boolean listedIn(List<String> connection, String name) {
        if (connection == null) return false;
        for (String v : connection)
            for (String token : v.split(","))
                if (token.strip().equalsIgnoreCase(name)) return true;
        return false;
    }

    /** Thrown when reading the client's body fails: the client is gone, not the micro. */
    static final class ClientGone extends IOException {
        ClientGone(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** Streams the request body; false when it grows past the payload limit. */
    private boolean sendBody(InputStream body, OutputStream out, long contentLength, boolean chunked, Scratch sc) throws IOException {
        byte[] b = sc.body;
        long total = 0;
        while (true) {
            int n;
            try {
                n = body.read(b, 0, b.length);
            } catch (IOException e) {
                throw new ClientGone(e);
            }
            if (n < 0) break;
            if (n == 0) continue;
            total += n;
            if (requestLimit > 0 && total > requestLimit) return false;
            if (chunked) {
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.write(b, 0, n);
                out.write('\r');
                out.write('\n');
            } else {
                out.write(b, 0, n);
            }
        }
        if (chunked) out.write(CHUNK_END);
        else if (contentLength >= 0 && total < contentLength) throw new ClientGone(new IOException("client sent " + total + " of " + contentLength + " bytes"));
        return true;
    }

    /**
     * Reads the micro's response and relays it. Returns null when a reused connection turned out
     * to be closed before any byte arrived (safe to retry), else the result.
     */
    private Result relayResponse(HttpExchange ex, Upstream u, String method, Scratch sc, Deadlines.Ticket ticket, boolean mayRetry) {
        Outcome o = sc.outcome;
        int status;
        long length = -1;
        boolean chunked = false, close = false;
        Headers rh = ex.getResponseHeaders();
        try {
            while (true) {
                int end = readHead(u);
                if (end == -2) {
                    if (mayRetry && u.lim == 0) return null;
                    o.detail = "closed the connection without answering";
                    return ticket.fired() ? Result.TIMEOUT : Result.NO_RESPONSE;
                }
                if (end < 0) {
                    o.detail = "sent a response head over " + (MAX_HEAD / 1024) + " KiB";
                    return Result.BAD_RESPONSE;
                }
                int p = u.pos;
                byte[] b = u.buf;
                int lineEnd = indexOfCrlf(b, p, end);
                status = parseStatus(b, p, lineEnd);
                if (status < 0) {
                    o.detail = "sent a malformed status line";
                    return Result.BAD_RESPONSE;
                }
                boolean http10 = b[p + 7] == '0';
                close = http10;
                p = lineEnd + 2;
                boolean interim = status >= 100 && status < 200;
                while (p < end) {
                    int le = indexOfCrlf(b, p, end + 2);
                    int colon = indexOf(b, (byte) ':', p, le);
                    if (colon <= p) {
                        o.detail = "sent a malformed header line";
                        return Result.BAD_RESPONSE;
                    }
                    String name = new String(b, p, colon - p, StandardCharsets.ISO_8859_1);
                    String value = new String(b, colon + 1, le - colon - 1, StandardCharsets.ISO_8859_1).strip();
                    p = le + 2;
                    if (interim) continue;
                    if (name.equalsIgnoreCase("Content-Length")) {
                        try {
                            long v = Long.parseLong(value);
                            if (v < 0 || (length >= 0 && length != v)) throw new NumberFormatException();
                            length = v;
                        } catch (NumberFormatException e) {
                            o.detail = "sent an invalid Content-Length";
                            return Result.BAD_RESPONSE;
                        }
                    } else if (name.equalsIgnoreCase("Transfer-Encoding")) {
                        chunked = value.toLowerCase(java.util.Locale.ROOT).endsWith("chunked");
                    } else if (name.equalsIgnoreCase("Connection")) {
                        String v = value.toLowerCase(java.util.Locale.ROOT);
                        if (v.contains("close")) close = true;
                        else if (v.contains("keep-alive")) close = false;
                    }
                    if (forwardResponseHeader(name)) rh.add(name, value);
                }
                u.pos = end + 4;
                if (!interim) break;
                if (status == 101) {
                    o.detail = "switched protocols (WebSockets are not supported on Space)";
                    return Result.BAD_RESPONSE;
                }
            }
        } catch (IOException e) {
            o.detail = ticket.fired() ? null : "closed the connection while answering";
            return ticket.fired() ? Result.TIMEOUT : Result.NO_RESPONSE;
        }
        o.status = status;
        boolean noBody = method.equals("HEAD") || status == 204 || status == 304;
        if (!noBody && chunked) length = -1;
        if (responseLimit > 0 && length > responseLimit && !noBody) {
            rh.clear();
            o.detail = length + " bytes";
            return Result.RESPONSE_TOO_LARGE;
        }
        OutputStream out;
        try {
            if (noBody) {
                if (method.equals("HEAD") && length >= 0) rh.set("Content-length", Long.toString(length));
                ex.sendResponseHeaders(status, -1);
                o.started = true;
                o.reusable = !close;
                return Result.OK;
            }
            ex.sendResponseHeaders(status, length > 0 ? length : length == 0 ? -1 : 0);
            o.started = true;
            out = ex.getResponseBody();
        } catch (IOException e) {
            o.detail = e.getMessage();
            return Result.CLIENT_GONE;
        }
        try {
            if (chunked) copyChunked(u, out, o);
            else if (length >= 0) copyFixed(u, out, length, o);
            else {
                copyFixed(u, out, Long.MAX_VALUE, o);
                close = true;
            }
        } catch (ClientGone e) {
            o.detail = e.getMessage();
            return Result.CLIENT_GONE;
        } catch (TooLarge e) {
            return Result.RESPONSE_TOO_LARGE;
        } catch (IOException e) {
            o.detail = "closed the connection in the middle of its response";
            return ticket.fired() ? Result.TIMEOUT : Result.RESPONSE_CUT;
        }
        o.reusable = !close && u.pos == u.lim;
        return Result.OK;
    }

    /** The index where the blank line ending the head starts; -2 at end of stream, -1 when the head is too large. */
    private static int readHead(Upstream u) throws IOException {
        int scanned = 0;
        while (true) {
            byte[] b = u.buf;
            for (int i = u.pos + Math.max(0, scanned - 3); i + 3 < u.lim; i++)
                if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i;
            scanned = u.lim - u.pos;
            if (scanned >= MAX_HEAD) return -1;
            if (u.fill() < 0) return -2;
        }
    }

    private static int indexOfCrlf(byte[] b, int from, int to) {
        for (int i = from; i + 1 < to; i++) if (b[i] == '\r' && b[i + 1] == '\n') return i;
        return to;
    }

    private static int indexOf(byte[] b, byte x, int from, int to) {
        for (int i = from; i < to; i++) if (b[i] == x) return i;
        return -1;
    }

    /** "HTTP/1.1 200 OK" -> 200; -1 when malformed. */
    private static int parseStatus(byte[] b, int from, int to) {
        if (to - from < 12 || b[from] != 'H' || b[from + 1] != 'T' || b[from + 2] != 'T' || b[from + 3] != 'P'
                || b[from + 4] != '/' || b[from + 5] != '1' || b[from + 6] != '.' || (b[from + 7] != '0' && b[from + 7] != '1')
                || b[from + 8] != ' ') return -1;
        int code = 0;
        for (int i = from + 9; i < from + 12; i++) {
            if (b[i] < '0' || b[i] > '9') return -1;
            code = code * 10 + (b[i] - '0');
        }
        if (to > from + 12 && b[from + 12] != ' ') return -1;
        return code < 100 ? -1 : code;
    }

    /** Copies up to {@code n} body bytes (until the end of stream when n is Long.MAX_VALUE). */
    private void copyFixed(Upstream u, OutputStream out, long n, Outcome o) throws IOException {
        long left = n;
        int avail = u.lim - u.pos;
        if (avail > 0) {
            int k = (int) Math.min(avail, left);
            write(out, u.buf, u.pos, k, o);
            u.pos += k;
            left -= k;
        }
        if (left == 0) return;
        u.pos = u.lim = 0;
        while (left > 0) {
            int k = u.in.read(u.buf, 0, (int) Math.min(u.buf.length, left));
            if (k < 0) {
                if (n == Long.MAX_VALUE) return;
                throw new java.io.EOFException("the micro sent " + (n - left) + " of " + n + " bytes");
            }
            write(out, u.buf, 0, k, o);
            left -= k;
        }
    }

    private void copyChunked(Upstream u, OutputStream out, Outcome o) throws IOException {
        while (true) {
            long size = 0;
            int c, digits = 0;
            while ((c = u.read()) != '\r' && c != ';') {
                int d = Character.digit(c, 16);
                if (d < 0 || ++digits > 15) throw new IOException("bad chunk size");
                size = size * 16 + d;
            }
            if (c == ';') while (u.read() != '\r') { /* chunk extension: ignored */ }
            if (u.read() != '\n' || digits == 0) throw new IOException("bad chunk line");
            if (size == 0) {
                int len = 0;
                while (true) { // trailer section: ignored, up to the empty line
                    c = u.read();
                    if (c == '\n') {
                        if (len <= 1) return;
                        len = 0;
                    } else len++;
                }
            }
            copyFixed(u, out, size, o);
            if (u.read() != '\r' || u.read() != '\n') throw new IOException("bad chunk end");
        }
    }

    private void write(OutputStream out, byte[] b, int off, int len, Outcome o) throws IOException {
        o.responseBytes += len;
        if (responseLimit > 0 && o.responseBytes > responseLimit) throw new TooLarge();
        try {
            out.write(b, off, len);
        } catch (IOException e) {
            throw new ClientGone(e);
        }
    }

    /** The response passed the payload limit after it had started. */
    static final class TooLarge extends IOException {
        TooLarge() {
            super("response over the payload limit", null);
        }
    }
}
