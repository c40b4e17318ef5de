package micros.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;

import micros.http.ByteSink;
import micros.http.Tokens;
import micros.http.Deadlines;
import micros.http.Exchange;
import micros.http.Out;
import micros.http.RequestBody;

/**
 * Forwards one exchange to a micro over a pooled keep-alive connection. Header lines are copied
 * as bytes in both directions, bodies stream through a reused buffer. Hop-by-hop headers
 * (RFC 9110 §7.6.1) and client-address headers are not forwarded; Host keeps the client's value.
 */
final class Forwarder {
    private static final byte[] HTTP11 = " HTTP/1.1\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] CHUNK_END = "0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] V11 = "HTTP/1.1 ".getBytes(StandardCharsets.ISO_8859_1), V10 = "HTTP/1.0 ".getBytes(StandardCharsets.ISO_8859_1);
    private static final int MAX_HEAD = Upstream.BUFFER;
    private static final int MAX_RESPONSE_HEADERS = 200;

    /** How a forward ended. */
    enum Result { OK, CONNECT_FAILED, NO_RESPONSE, BAD_RESPONSE, RESPONSE_CUT, TIMEOUT, CLIENT_GONE, RESPONSE_TOO_LARGE }

    /** What the gateway needs to answer or log after a forward; reused per request. */
    static final class Outcome {
        Result result;
        boolean started;   // response bytes went to the client
        int status;
        long responseBytes;
        String detail;

        Outcome set(Result r, String d) {
            result = r;
            detail = d;
            return this;
        }
    }

    /** Per-request buffers and offsets, pooled rather than thread-local so virtual threads do not each allocate them. */
    static final class Scratch implements ByteSink {
        byte[] head = new byte[4096];
        int len;
        final byte[] body = new byte[16 * 1024];
        byte[] big;   // 64 KiB for large response bodies, made on first need: fewer system calls per megabyte

        byte[] big() {
            if (big == null) big = new byte[64 * 1024];
            return big;
        }

        private java.nio.ByteBuffer direct; // 64 KiB off the heap: large answers from a micro's channel to the client's

        java.nio.ByteBuffer direct() {
            if (direct == null) direct = java.nio.ByteBuffer.allocateDirect(64 * 1024);
            return direct.clear();
        }
        final Outcome outcome = new Outcome();
        final int[] keep = new int[MAX_RESPONSE_HEADERS * 4]; // response header spans to copy: name start/end, value start/end
        // the parsed response head (parseHead)
        int status, statusStart, statusEnd, kept;
        long length;
        boolean chunked, hasDate;
        boolean flushPending;  // the whole answer is in the client's buffer: its last bytes go out once the micro is given back
        // the instance the request holds, given back once its answer is read whole (see finish), else by the gateway
        private micros.runtime.Supervisor lease;
        private micros.runtime.Supervisor.Endpoint leased;

        void lease(micros.runtime.Supervisor s, micros.runtime.Supervisor.Endpoint ep) {
            lease = s;
            leased = ep;
        }

        /** Gives the instance back, once. */
        void releaseLease() {
            micros.runtime.Supervisor s = lease;
            if (s == null) return;
            lease = null;
            s.release(leased);
            leased = null;
        }

        @Override
        public void put(byte b) {
            if (len == head.length) head = Arrays.copyOf(head, head.length * 2);
            head[len++] = b;
        }

        @Override
        public void put(byte[] b, int off, int n) {
            if (len + n > head.length) head = Arrays.copyOf(head, Math.max(head.length * 2, len + n));
            System.arraycopy(b, off, head, len, n);
            len += n;
        }

        void put(String s) {
            int n = s.length();
            if (len + n > head.length) head = Arrays.copyOf(head, Math.max(head.length * 2, len + n));
            for (int i = 0; i < n; i++) head[len++] = (byte) s.charAt(i);
        }
    }

    private final ArrayBlockingQueue<Scratch> scratches = new ArrayBlockingQueue<>(256);
    private final long responseLimit; // bytes; 0 = none

    Forwarder(long responseLimit) {
        this.responseLimit = responseLimit;
    }

    Scratch scratch() {
        Scratch s = scratches.poll();
        if (s == null) s = new Scratch();
        s.len = 0;
        s.flushPending = false;
        Outcome o = s.outcome;
        o.result = null;
        o.started = false;
        o.status = 0;
        o.responseBytes = 0;
        o.detail = null;
        return s;
    }

    void recycle(Scratch s) {
        s.releaseLease();
        if (s.head.length > 64 * 1024) s.head = new byte[4096];
        scratches.offer(s);
    }

    /**
     * Sends the request, its body already read whole, to the micro and its answer to the client.
     * A request that carries a body to a micro whose server may not read it goes on a connection
     * that is closed afterwards, so bytes the micro did not read can never be taken as another
     * request ({@link Upstream.Pool#framesBodies}). When a pooled connection turns out to be closed
     * before a byte of the answer came back, an idempotent request is sent once more on a fresh
     * one (the micro never saw it whole: a keep-alive race, or a server that drops idle connections).
     * @param first  an already open connection to use first (the readiness probe's), or null
     * @param cookie when not null, replaces the Cookie headers (the gateway took its login cookie out); "" drops them
     */
    Outcome forward(Exchange ex, Upstream.Pool pool, int port, long generation, Socket first,
                    String target, String cookie, Deadlines.Ticket ticket, Scratch sc) {
        return forward(ex, pool, port, generation, first, target, cookie, ticket, sc, 0);
    }

    /** {@code firstAttempt} 1: the event loop's try was the first, so this one is on a fresh connection and is the last. */
    private Outcome forward(Exchange ex, Upstream.Pool pool, int port, long generation, Socket first,
                            String target, String cookie, Deadlines.Ticket ticket, Scratch sc, int firstAttempt) {
        Outcome o = sc.outcome;
        RequestBody body = ex.requestBody();
        long length = body == null ? 0 : body.length();
        boolean close = length > 0 && !pool.framesBodies(generation);
        writeHead(sc, ex, target, cookie, length, pool.remote, close);
        byte[] small = body == null ? null : body.memory();
        if (small != null && length <= sc.body.length) sc.put(small, 0, (int) length); // head and a small body leave in one write
        else small = null;
        // a request that must not be sent twice (RFC 9110 9.2.2) goes on a fresh connection, which is
        // never retried: a pooled one the micro dropped would leave a choice between a retry and a 502
        boolean once = !idempotent(ex.method());
        for (int attempt = firstAttempt; ; attempt++) {
            Upstream u = null;
            try {
                // a retry takes a fresh connection: another pooled one may have been dropped by the micro too
                u = first != null ? new Upstream(first, generation) : attempt == 0 && !once ? pool.poll(generation) : null;
                first = null;
                if (u == null) u = pool.remote == null ? Upstream.connect(port, generation) : Upstream.connect(pool.remote, generation);
            } catch (IOException e) {
                if (u != null) u.close();
                return o.set(ticket.fired() ? Result.TIMEOUT : Result.CONNECT_FAILED, null);
            }
            ticket.watch(u);
            u.spent = close;
            boolean retry = u.reused && attempt == 0;
            try {
                u.out.write(sc.head, 0, sc.len);
                u.out.flush();
                if (length > 0 && small == null) sendBody(body, u, sc);
            } catch (IOException e) {
                u.close();
                if (ticket.fired()) return o.set(Result.TIMEOUT, null);
                if (retry) continue; // a stale pooled connection: try a fresh one
                return o.set(Result.NO_RESPONSE, "closed the connection before it took the whole request");
            }
            Result r = relay(ex, u, sc, ticket, retry);
            if (r == null) { // a stale pooled connection closed before answering: retry once
                u.close();
                continue;
            }
            return o.set(finish(ex, pool, u, r, sc, ticket), o.detail);
        }
    }

    /**
     * The micro's part is over: its connection goes back to the pool (or is closed) and, when it
     * answered whole, its instance is given back before the answer's last bytes go to the client, so
     * the client's next request finds that instance idle rather than starting another. A failed
     * forward keeps the instance until the gateway has dealt with it (a timeout ends that instance).
     */
    private static Result finish(Exchange ex, Upstream.Pool pool, Upstream u, Result r, Scratch sc, Deadlines.Ticket ticket) {
        ticket.watch(null);
        if (r == Result.OK && !u.closeAfter && !ticket.fired()) pool.offer(u);
        else u.close();
        if (r != Result.OK) return r;
        sc.releaseLease();
        if (sc.flushPending) {
            sc.flushPending = false;
            try {
                ex.endRaw();
            } catch (IOException e) { // the last bytes could not go out: the client left, the micro did nothing wrong
                sc.outcome.detail = e.getMessage();
                return Result.CLIENT_GONE;
            }
        }
        return r;
    }

    /** Methods a proxy may send again when a connection fails before the answer (RFC 9110 9.2.2). */
    static boolean idempotent(String method) {
        return switch (method) {
            case "GET", "HEAD", "PUT", "DELETE", "OPTIONS" -> true;
            default -> false;
        };
    }

    /**
     * Finishes, on a worker thread, a forward the event loop began ({@link LoopRelay}): from the
     * parsed head ({@code parsed}), from waiting for the answer ({@code u} not null; the first
     * {@code sent} bytes of the request had left, the rest leaves now on the same connection), or
     * from the start when no byte of the request left. The scratch holds what the loop had read.
     */
    Outcome takeOver(Exchange ex, Upstream.Pool pool, Upstream u, boolean parsed, int sent, int port, long generation,
                     String target, String cookie, Deadlines.Ticket ticket, Scratch sc) {
        Outcome o = sc.outcome;
        if (u != null) {
            ticket.watch(u);
            boolean retry = u.reused && idempotent(ex.method());
            Result r;
            if (parsed) r = send(ex, u, sc, ticket, true);
            else if (sent < sc.len && !writeRest(u, sc, sent)) {
                o.detail = ticket.fired() ? null : "closed the connection before it took the whole request";
                r = ticket.fired() ? Result.TIMEOUT : retry ? null : Result.NO_RESPONSE;
            } else r = relay(ex, u, sc, ticket, retry);
            if (r != null) return o.set(finish(ex, pool, u, r, sc, ticket), o.detail);
            u.close(); // a stale pooled connection: the request goes again on a fresh one
        }
        sc.len = 0;
        return forward(ex, pool, port, generation, null, target, cookie, ticket, sc, 1);
    }

    private static boolean writeRest(Upstream u, Scratch sc, int sent) {
        try {
            u.out.write(sc.head, sent, sc.len - sent);
            u.out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Where the response head in u.buf[u.pos..u.lim) ends (its blank line), or -1 when it is not all
     * there yet. The search starts near {@code from}, where the last one stopped: a micro that sends
     * its head a byte at a time costs a linear scan, not a quadratic one.
     */
    static int headEnd(Upstream u, int from) {
        byte[] b = u.buf;
        for (int i = Math.max(u.pos, from - 3); i < u.lim; i++) {
            if (b[i] != '\n') continue;
            if (i == u.pos || b[i - 1] != '\r') return BARE_LF;
            if (i - 3 >= u.pos && b[i - 2] == '\n' && b[i - 3] == '\r') return i - 3;
        }
        return -1;
    }

    /**
     * {@link #headEnd}'s answer for a line ended by a LF alone: refused at once (a client could
     * split such a head differently), where waiting for a CRLF CRLF that never comes took the 20 s timeout.
     */
    static final int BARE_LF = -3;

    static Result bareLf(Outcome o) {
        o.detail = "ended a line of its response head with a bare LF (HTTP needs CRLF)";
        return o.result = Result.BAD_RESPONSE;
    }

    /** Whether an answer has no body whatever its framing says (RFC 9110 §6.4.1). */
    static boolean noBody(Exchange ex, int status) {
        return status == 204 || status == 304 || ex.method().equals("HEAD");
    }

    /**
     * @param remote when not null, the micro runs elsewhere: its base path goes before the target, Host names it
     *               (a Knative service is routed by Host), the client's Host goes on as X-Forwarded-Host, and the
     *               gateway's key (if any) replaces whatever the client sent under its name
     * @param close  the request carries a body to a micro whose server may not read it (see
     *               {@link Upstream.Pool#framesBodies}): the connection ends after the answer
     */
    static void writeHead(Scratch sc, Exchange ex, String target, String cookie, long length, micros.runtime.Remote remote, boolean close) {
        sc.put(ex.method());
        sc.put((byte) ' ');
        if (remote != null) sc.put(remote.base());
        sc.put(target);
        sc.put(HTTP11, 0, HTTP11.length);
        String[] listed = connectionOptions(ex.header("Connection"));
        boolean hasHost = false;
        for (int i = 0; i < ex.headerCount(); i++) {
            if (hopByHop(ex, i) || (cookie != null && ex.nameIs(i, "Cookie"))) continue;
            if (listed != null && named(ex, i, listed)) continue;
            if (remote != null && (ex.nameIs(i, "Host") || ex.nameIs(i, "X-Forwarded-Host") || ex.nameIs(i, micros.runtime.Remote.KEY_HEADER))) continue;
            if (!hasHost && ex.nameIs(i, "Host")) hasHost = true;
            ex.copyHeader(i, sc);
        }
        if (remote != null) {
            sc.put("Host: ");
            sc.put(remote.authority());
            sc.put(CRLF, 0, 2);
            String host = ex.header("Host");
            if (host != null) {
                sc.put("X-Forwarded-Host: ");
                sc.put(host);
                sc.put(CRLF, 0, 2);
            }
            if (remote.gatewayKey() != null) { // the exported micro's guard lets in only what carries it
                sc.put(micros.runtime.Remote.KEY_HEADER);
                sc.put(": ");
                sc.put(remote.gatewayKey());
                sc.put(CRLF, 0, 2);
            }
        } else if (!hasHost) sc.put("Host: localhost\r\n");
        if (cookie != null && !cookie.isEmpty()) {
            sc.put("Cookie: ");
            sc.put(cookie);
            sc.put(CRLF, 0, 2);
        }
        // the body is whole: always a Content-Length (chunks were undone, trailers dropped)
        if (length > 0 || ex.hasBody() || (!ex.method().equals("GET") && !ex.method().equals("HEAD"))) {
            sc.put("Content-Length: ");
            sc.put(Long.toString(length));
            sc.put(CRLF, 0, 2);
        }
        if (close) sc.put("Connection: close\r\n");
        sc.put(CRLF, 0, 2);
    }

    /** Headers the gateway handles itself, and the client's address, which Space never passed on. */
    private static boolean hopByHop(Exchange ex, int i) {
        return ex.nameIs(i, "Connection") || ex.nameIs(i, "Keep-Alive") || ex.nameIs(i, "Proxy-Connection") || ex.nameIs(i, "TE")
                || ex.nameIs(i, "Trailer") || ex.nameIs(i, "Transfer-Encoding") || ex.nameIs(i, "Upgrade")
                || ex.nameIs(i, "Proxy-Authorization") || ex.nameIs(i, "Proxy-Authenticate") || ex.nameIs(i, "Expect")
                || ex.nameIs(i, "Content-Length") || ex.nameIs(i, "X-Forwarded-For") || ex.nameIs(i, "Forwarded")
                || ex.nameIs(i, "X-Real-IP");
    }

    /**
     * The header names a Connection header lists beyond keep-alive and close (RFC 9110 §7.6.1:
     * they are hop-by-hop too), or null: usually there are none, and nothing is made per header.
     */
    private static String[] connectionOptions(String connection) {
        if (connection == null) return null;
        List<String> names = null;
        for (String token : connection.split(",")) {
            String t = token.strip();
            if (t.isEmpty() || t.equalsIgnoreCase("keep-alive") || t.equalsIgnoreCase("close")) continue;
            if (names == null) names = new ArrayList<>(2);
            names.add(t);
        }
        return names == null ? null : names.toArray(new String[0]);
    }

    private static boolean named(Exchange ex, int i, String[] names) {
        for (String n : names) if (ex.nameIs(i, n)) return true;
        return false;
    }

    /** Thrown when writing to the client fails: the client is gone, not the micro. */
    static final class ClientGone extends IOException {
        ClientGone(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /**
     * Sends a body that is too large for the head's buffer: from its spool file with sendfile on a
     * local micro's channel, else (the readiness probe's plain socket) through the stream.
     */
    private static void sendBody(RequestBody body, Upstream u, Scratch sc) throws IOException {
        if (u.channel != null) {
            body.transferTo(u.channel);
            return;
        }
        byte[] mem = body.memory();
        if (mem != null) {
            u.out.write(mem, 0, (int) body.length());
            u.out.flush();
            return;
        }
        byte[] b = sc.big();
        try (InputStream in = body.open()) {
            int n;
            while ((n = in.read(b, 0, b.length)) > 0) u.out.write(b, 0, n);
        }
        u.out.flush();
    }

    /**
     * Reads the micro's response and relays it. Returns null when a reused connection turned out
     * to be closed before any byte arrived (safe to retry), else the result.
     */
    private Result relay(Exchange ex, Upstream u, Scratch sc, Deadlines.Ticket ticket, boolean mayRetry) {
        Outcome o = sc.outcome;
        u.closeAfter = false;
        try {
            while (true) {
                int end = readHead(u);
                if (end == BARE_LF) return bareLf(o);
                if (end == -2) {
                    if (mayRetry && u.lim == 0) return null;
                    o.detail = "closed the connection without answering";
                    return ticket.fired() ? Result.TIMEOUT : Result.NO_RESPONSE;
                }
                if (end < 0) {
                    o.detail = "sent a response head over " + (MAX_HEAD / 1024) + " KiB";
                    return Result.BAD_RESPONSE;
                }
                Result bad = parseHead(u, end, sc);
                if (bad != null) return bad;
                if (sc.status >= 200) break;
                // 1xx: an interim answer; the real one follows
            }
        } catch (IOException e) {
            if (mayRetry && u.lim == 0 && !ticket.fired()) return null; // reset before a byte came back: never reached the micro whole
            o.detail = ticket.fired() ? null : "closed the connection while answering";
            return ticket.fired() ? Result.TIMEOUT : Result.NO_RESPONSE;
        }
        return send(ex, u, sc, ticket, true);
    }

    /**
     * Parses the response head in u.buf[u.pos..end) into the scratch's status, framing and the
     * spans of the headers to pass on; null when it is acceptable (u.pos then points past it).
     */
    static Result parseHead(Upstream u, int end, Scratch sc) {
        Outcome o = sc.outcome;
        byte[] b = u.buf;
        int p = u.pos;
        int lineEnd = lineEnd(b, p); // -1: a control character, as in a reason phrase with a bare LF
        int status = lineEnd < 0 ? -1 : parseStatus(b, p, lineEnd);
        if (status < 0) {
            o.detail = "sent a malformed status line";
            return Result.BAD_RESPONSE;
        }
        u.closeAfter = b[p + 7] == '0';
        u.keepAlive = -1;
        sc.statusStart = p + 9;
        sc.statusEnd = lineEnd;
        p = lineEnd + 2;
        int kept = 0;
        long length = -1;
        boolean chunked = false, hasDate = false;
        // the lines go to the client as they are: a bare CR or LF, a folded line or a name that is
        // not a token could end the head early for the client and start a forged answer to its next
        // request (response splitting), so such a head is refused (RFC 9112 §2.2, §4, §5.2; RFC 9110 §5.5)
        while (p < end) {
            if (b[p] == ' ' || b[p] == '\t') {
                o.detail = "sent a folded header line";
                return Result.BAD_RESPONSE;
            }
            int nameEnd = p;
            while (Tokens.isTchar(b[nameEnd])) nameEnd++; // stops at the latest at the CR of the head's end
            int colon = nameEnd;
            while (b[colon] == ' ' || b[colon] == '\t') colon++; // a proxy removes whitespace before the colon (RFC 9112 §5.1)
            if (nameEnd == p || b[colon] != ':') {
                o.detail = "sent a malformed header line";
                return Result.BAD_RESPONSE;
            }
            int le = lineEnd(b, colon + 1);
            if (le < 0) {
                o.detail = "sent a control character in a header value";
                return Result.BAD_RESPONSE;
            }
            int vs = colon + 1, ve = le;
            while (vs < ve && (b[vs] == ' ' || b[vs] == '\t')) vs++;
            while (ve > vs && (b[ve - 1] == ' ' || b[ve - 1] == '\t')) ve--;
            int nameLen = nameEnd - p;
            if (is(b, p, nameLen, "content-length")) {
                long v = parseLength(b, vs, ve);
                if (v < 0 || (length >= 0 && length != v)) {
                    o.detail = "sent an invalid Content-Length";
                    return Result.BAD_RESPONSE;
                }
                length = v;
            } else if (is(b, p, nameLen, "transfer-encoding")) {
                chunked = endsWithChunked(b, vs, ve);
            } else if (is(b, p, nameLen, "connection")) {
                if (contains(b, vs, ve, "close")) u.closeAfter = true;
                else if (contains(b, vs, ve, "keep-alive")) u.closeAfter = false;
            } else if (is(b, p, nameLen, "keep-alive")) {
                u.keepAlive = keepAliveTimeout(b, vs, ve);
            } else if (!is(b, p, nameLen, "proxy-connection") && !is(b, p, nameLen, "te")
                    && !is(b, p, nameLen, "trailer") && !is(b, p, nameLen, "upgrade")
                    && !(is(b, p, nameLen, "set-cookie") && setsLoginCookie(b, vs, ve))) { // the owner's cookie is the gateway's
                if (kept == MAX_RESPONSE_HEADERS) {
                    o.detail = "sent more than " + MAX_RESPONSE_HEADERS + " headers";
                    return Result.BAD_RESPONSE;
                }
                if (is(b, p, nameLen, "date")) hasDate = true;
                int k = kept++ * 4;
                sc.keep[k] = p;
                sc.keep[k + 1] = nameEnd;
                sc.keep[k + 2] = vs;
                sc.keep[k + 3] = ve;
            }
            p = le + 2;
        }
        if (status == 101) {
            o.detail = "switched protocols (WebSockets are not supported on Space)";
            return Result.BAD_RESPONSE;
        }
        u.pos = end + 4;
        sc.status = status;
        sc.kept = kept;
        sc.length = chunked ? -1 : length;
        sc.chunked = chunked;
        sc.hasDate = hasDate;
        return null;
    }

    /**
     * Sends the parsed head and then the body to the client; what is left in the client's buffer goes
     * out at the end ({@link #finish}). {@code flush}: false on the event loop, which has made sure the
     * whole answer is in hand and fits the client's output buffer, and writes it out itself.
     */
    Result send(Exchange ex, Upstream u, Scratch sc, Deadlines.Ticket ticket, boolean flush) {
        Outcome o = sc.outcome;
        int status = sc.status;
        long length = sc.length;
        boolean chunked = sc.chunked;
        o.status = status;
        ex.noteStatus(status);
        boolean head = ex.method().equals("HEAD");
        boolean noBody = noBody(ex, status);
        if (!noBody && responseLimit > 0 && length > responseLimit) {
            o.detail = length + " bytes";
            return Result.RESPONSE_TOO_LARGE;
        }
        boolean untilClose = !noBody && !chunked && length < 0;
        boolean client10 = ex.isHttp10();
        if (untilClose || (chunked && client10)) ex.closeAfter(); // the body's end will be the connection's end
        Out out = ex.raw();
        byte[] b = u.buf;
        out.put(client10 ? V10 : V11, 0, 9);
        out.put(b, sc.statusStart, sc.statusEnd - sc.statusStart);
        out.put(CRLF, 0, 2);
        for (int i = 0; i < sc.kept; i++) {
            int k = i * 4;
            out.put(b, sc.keep[k], sc.keep[k + 1] - sc.keep[k]);
            out.put((byte) ':');
            out.put((byte) ' ');
            out.put(b, sc.keep[k + 2], sc.keep[k + 3] - sc.keep[k + 2]);
            out.put(CRLF, 0, 2);
        }
        if (length >= 0 && (!noBody || head)) {
            out.putHeader("Content-Length", length);
        } else if (chunked && !noBody && !client10) {
            out.putHeader("Transfer-Encoding", "chunked");
        }
        if (!sc.hasDate) out.putHeader("Date", Exchange.date());
        if (ex.closing()) out.putHeader("Connection", "close");
        else if (client10) out.putHeader("Connection", "keep-alive");
        out.put(CRLF, 0, 2);
        o.started = true;
        try {
            if (!noBody) {
                if (chunked) copyChunked(u, out, o, !client10, sc);
                else copyFixed(u, out, length < 0 ? Long.MAX_VALUE : length, o, sc);
                if (untilClose) u.closeAfter = true;
            }
            if (u.pos != u.lim) u.closeAfter = true; // more than the framing said: never reuse
            if (!flush) ex.endRawBuffered();
            else sc.flushPending = true; // written out once the micro is given back (see finish)
        } catch (ClientGone e) {
            o.detail = e.getMessage();
            return Result.CLIENT_GONE;
        } catch (TooLarge e) {
            o.started = !ex.retract();
            return Result.RESPONSE_TOO_LARGE;
        } catch (IOException e) {
            o.started = !ex.retract();
            o.detail = "closed the connection in the middle of its response";
            return ticket.fired() ? Result.TIMEOUT : Result.RESPONSE_CUT;
        }
        return Result.OK;
    }

    /** The index where the blank line ending the head starts; -2 at end of stream, -1 when the head is too large. */
    private static int readHead(Upstream u) throws IOException {
        int scanned = 0;
        while (true) {
            int end = headEnd(u, u.pos + scanned);
            if (end != -1) return end;
            scanned = u.lim - u.pos;
            if (scanned >= MAX_HEAD) return -1;
            if (u.fill() < 0) return -2;
        }
    }

    /**
     * Where the line from {@code from} ends (its CRLF), or -1 when a control character other than
     * HTAB comes first: a bare CR or LF, NUL, DEL. Bytes 0x80-0xFF (obs-text) are allowed. The head's
     * final CRLF CRLF bounds the scan.
     */
    private static int lineEnd(byte[] b, int from) {
        for (int i = from; ; i++) {
            int c = b[i] & 0xff;
            if ((c >= 0x20 && c != 0x7f) || c == '\t') continue;
            return c == '\r' && b[i + 1] == '\n' ? i : -1;
        }
    }


    /** Whether b[from..to) holds a lower-case ASCII word, ignoring case (no String made). */
    private static boolean contains(byte[] b, int from, int to, String lower) {
        for (int i = from; i + lower.length() <= to; i++) if (is(b, i, lower.length(), lower)) return true;
        return false;
    }

    /** The seconds in a Keep-Alive value's "timeout=N" ("timeout=5, max=100"), or -1. */
    private static int keepAliveTimeout(byte[] b, int from, int to) {
        for (int i = from; i + 8 < to; i++) {
            if (!is(b, i, 8, "timeout=") || (i > from && b[i - 1] != ' ' && b[i - 1] != ',')) continue;
            int v = 0, d = i + 8;
            for (; d < to && b[d] >= '0' && b[d] <= '9' && v < 100_000; d++) v = v * 10 + (b[d] - '0');
            return d == i + 8 ? -1 : v;
        }
        return -1;
    }

    /** Whether a Set-Cookie value sets space_token, which would shadow (or forge) the owner's login. */
    private static boolean setsLoginCookie(byte[] b, int from, int to) {
        int n = LOGIN_COOKIE.length;
        if (to - from < n) return false;
        for (int i = 0; i < n; i++) if (b[from + i] != LOGIN_COOKIE[i]) return false;
        int i = from + n;
        while (i < to && (b[i] == ' ' || b[i] == '\t')) i++;
        return i < to && b[i] == '=';
    }

    private static final byte[] LOGIN_COOKIE = Auth.COOKIE.getBytes(StandardCharsets.US_ASCII);

    /** Case-insensitive comparison of a header name with a lower-case ASCII word. */
    private static boolean is(byte[] b, int off, int len, String lower) {
        if (len != lower.length()) return false;
        for (int i = 0; i < len; i++) if ((b[off + i] | 0x20) != lower.charAt(i)) return false;
        return true;
    }

    private static long parseLength(byte[] b, int from, int to) {
        if (to <= from || to - from > 18) return -1;
        long v = 0;
        for (int i = from; i < to; i++) {
            if (b[i] < '0' || b[i] > '9') return -1;
            v = v * 10 + (b[i] - '0');
        }
        return v;
    }

    private static boolean endsWithChunked(byte[] b, int from, int to) {
        return to - from >= 7 && is(b, to - 7, 7, "chunked");
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
    private void copyFixed(Upstream u, Out out, long n, Outcome o, Scratch sc) throws IOException {
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
        if (left > u.buf.length && u.channel != null) {
            copyDirect(u, out, n, left, o, sc);
            return;
        }
        byte[] buf = left > u.buf.length ? sc.big() : u.buf;
        while (left > 0) {
            flushIfIdle(u, out);
            int k = u.in.read(buf, 0, (int) Math.min(buf.length, left));
            if (k < 0) {
                if (n == Long.MAX_VALUE) return;
                throw new java.io.EOFException("the micro sent " + (n - left) + " of " + n + " bytes");
            }
            write(out, buf, 0, k, o);
            left -= k;
        }
    }

    /**
     * Copies a large body from the micro's channel to the client's through a direct buffer: each
     * piece is written as it comes (a streaming micro's bytes reach the client at once), and none
     * is copied through the heap (a heap buffer costs two copies per piece, in and out).
     */
    private void copyDirect(Upstream u, Out out, long n, long left, Outcome o, Scratch sc) throws IOException {
        java.nio.ByteBuffer b = sc.direct();
        while (left > 0) {
            b.clear().limit((int) Math.min(b.capacity(), left));
            int k = u.channel.read(b);
            if (k < 0) {
                if (n == Long.MAX_VALUE) return;
                throw new java.io.EOFException("the micro sent " + (n - left) + " of " + n + " bytes");
            }
            o.responseBytes += k;
            if (responseLimit > 0 && o.responseBytes > responseLimit) throw new TooLarge();
            b.flip();
            try {
                out.write(b);
            } catch (IOException e) {
                throw new ClientGone(e);
            }
            left -= k;
        }
    }

    /** A streaming micro's bytes reach the client as they come: flush whenever the micro has nothing more ready. */
    private static void flushIfIdle(Upstream u, Out out) throws IOException {
        if (out.pending() > 0 && u.pos == u.lim && u.in.available() == 0) {
            try {
                out.flush();
            } catch (IOException e) {
                throw new ClientGone(e);
            }
        }
    }

    /** Relays a chunked body, re-framing each chunk (or, for an HTTP/1.0 client, just its bytes). */
    private void copyChunked(Upstream u, Out out, Outcome o, boolean framed, Scratch sc) throws IOException {
        while (true) {
            long size = 0;
            int c, digits = 0;
            while ((c = u.read()) != '\r' && c != ';') {
                int d = Character.digit(c, 16);
                if (d < 0 || ++digits > 15) throw new IOException("bad chunk size");
                size = size * 16 + d;
            }
            if (c == ';') while (u.read() != '\r') { /* chunk extension: dropped */ }
            if (u.read() != '\n' || digits == 0) throw new IOException("bad chunk line");
            if (size == 0) {
                int len = 0;
                while (true) { // trailer section: dropped, up to the empty line
                    c = u.read();
                    if (c == '\n') {
                        if (len <= 1) break;
                        len = 0;
                    } else len++;
                }
                if (framed) out.put(CHUNK_END, 0, CHUNK_END.length);
                return;
            }
            if (framed) {
                out.putHex(size);
                out.put(CRLF, 0, 2);
            }
            copyFixed(u, out, size, o, sc);
            if (framed) out.put(CRLF, 0, 2);
            if (u.read() != '\r' || u.read() != '\n') throw new IOException("bad chunk end");
            flushIfIdle(u, out);
        }
    }

    private void write(Out out, byte[] b, int off, int len, Outcome o) throws IOException {
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
