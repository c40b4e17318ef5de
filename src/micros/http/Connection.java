package micros.http;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One client connection: reads request heads (RFC 9112), hands each exchange to the handler,
 * keeps the connection alive between requests. A connection waiting for its next request, or
 * for the rest of a slowly sent head, gives its thread back and waits on the parker's selector.
 */
final class Connection implements Runnable {
    static final byte[] HTTP11 = "HTTP/1.1 ".getBytes(StandardCharsets.US_ASCII);
    static final byte[] HTTP10 = "HTTP/1.0 ".getBytes(StandardCharsets.US_ASCII);
    static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    static final int MAX_HEAD = 64 * 1024;
    private static final int READY = 0, PARKED = 1, CLOSE = 2, NEXT = 3, TLS = 4;
    // where a worker takes up a connection the event loop hands over
    static final int FROM_HEAD = 0, FROM_ADMIT = 1, FROM_SERVE = 2;
    // what the event loop does next with a connection
    static final int WAIT = 0, WORKER = 1, RELAYING = 2, CLOSED = 3, FLUSHING = 4;
    private static final long LINGER_NANOS = 2_000_000_000L;

    final Server server;
    final SocketChannel ch;
    private final Socket socket;
    private final InputStream sin;
    final Out out;
    final Exchange ex = new Exchange(this);
    private byte[] in = new byte[8 * 1024];
    private int ip, il;          // unread input: in[ip..il)
    private int scanned;         // where the search for the end of the current head resumes
    private long headDeadline;   // when the current head must be complete (System.nanoTime); 0 before its first byte
    long parkedAt;
    private volatile boolean aborted;
    private IOException writeFailure;
    // the current request body: read whole before the handler runs
    private final BodyReader reader = new BodyReader();
    private RequestBody body;     // made on the first request with a body, reused
    private boolean readingBody;  // between admission and the body's last byte (possibly parked)
    private boolean bodyUnread;   // the request has body bytes nobody read (an early answer, a refusal)
    private long bodyDeadline;
    private long bodySince;       // the loop waits for the rest of a small body since then (0: it does not)
    private int bodyWaits;        // how often: the head is parsed again each time, so a trickle goes to a worker
    private static final int MAX_BODY_WAITS = 4;
    private boolean bodyFresh;    // no read for this body yet: its first bytes are probably on their way
    private volatile boolean bodyReadable; // the loop saw the client's bytes, or its end, while the body was short
    private int lastRead;         // bytes the last body read got
    private boolean junkAfter;    // a refused head: more unread bytes may follow
    // closing: the response is out, the client's remaining bytes are read and dropped on the parker
    volatile boolean lingering;
    long lingerUntil;
    private boolean fresh = true;    // no byte read yet: the first may say TLS
    // on the event loop
    int resumeAt = FROM_HEAD;   // for the worker it is handed to: the head is parsed (admit it), or admitted (serve it)
    Relay relay;                // the relay in flight, while the loop drives it
    boolean flushing;           // a relayed response waits for the client to take it
    long flushSince;
    private boolean onLoop;     // parsing on the loop: a malformed head is left for a worker to answer
    private boolean lingerNext; // the last request needed a worker: wait on it for the next one before parking
    boolean awaitingTls;        // a whole TLS hello, waiting on the loop for a place (TlsBridge.reserve)
    private boolean tlsReserved;
    private java.nio.ByteBuffer inView;

    Connection(Server server, SocketChannel ch) throws IOException {
        this.server = server;
        this.ch = ch;
        this.socket = ch.socket();
        socket.setTcpNoDelay(true);
        this.sin = socket.getInputStream();
        this.out = new Out(socket.getOutputStream(), this);
    }

    @Override
    public void run() {
        boolean parked = false;
        int from = resumeAt;
        resumeAt = FROM_HEAD;
        try {
            for (; !aborted; from = FROM_HEAD) {
                if (!readingBody && from != FROM_SERVE) {
                    int r = from == FROM_ADMIT ? READY : readHead();
                    if (r == PARKED) {
                        parked = true;
                        return;
                    }
                    if (r == TLS) { // the TLS bridge owns the socket from here on
                        parked = true;
                        server.closed(this);
                        server.tls.serve(ch, Arrays.copyOfRange(in, ip, il));
                        return;
                    }
                    if (r == CLOSE) break;
                    int a = admit();
                    if (a == CLOSE) break;
                    if (a == NEXT) continue;
                }
                if (readingBody) {
                    int r = readBody();
                    if (r == PARKED) {
                        parked = true;
                        return;
                    }
                    if (r == CLOSE) break;
                }
                if (!serve()) break;
            }
        } catch (IOException | RuntimeException e) {
            // the client went away, or sent something unreadable
        } finally {
            if (!parked) close();
        }
    }

    // ---- reading the head ----

    private int readHead() throws IOException {
        ex.reset();
        while (true) {
            while (ip < il && (in[ip] == '\r' || in[ip] == '\n')) ip++; // blank lines before a request are ignored (RFC 9112 §2.2)
            if (ip == il) {
                ip = il = scanned = 0;
                headDeadline = 0;
            }
            if (fresh && il > ip) {
                fresh = false;
                if (server.tls != null && in[ip] == 0x16) return tlsReserved ? TLS : CLOSE; // else the head timeout ran out first: part of a hello, or no place for it
            }
            int end = findEnd(Math.max(ip, scanned - 3));
            if (end >= 0) {
                scanned = 0;
                headDeadline = 0;
                if (!parse(ip, end)) return CLOSE;
                lingerNext = !server.handler.relays() || (ex.hasBody() && !loopBody()); // the loop may take the next one
                return READY;
            }
            scanned = il;
            if (headDeadline == 0) headDeadline = System.nanoTime() + server.headTimeoutNanos(); // a pipelined head's start came with the last one
            if (readExpired(System.nanoTime())) {
                reject(408, "the request head took too long to arrive");
                return CLOSE;
            }
            if (il - ip >= MAX_HEAD) {
                boolean lineDone = indexOf((byte) '\n', ip, il) >= 0;
                reject(lineDone ? 431 : 414, lineDone ? "the request head is over 64 KiB" : "the request line is over 64 KiB");
                return CLOSE;
            }
            makeRoom();
            // nothing there yet: the event loop waits for it and may relay it itself. After a request
            // the loop cannot relay (a body, the handler's own pages) the thread waits a moment for the
            // next one first: a hand-off costs more than JDK 17's timed read (its 4 fcntl calls)
            int n;
            if (sin.available() > 0) {
                socket.setSoTimeout(0);
                n = sin.read(in, il, in.length - il);
            } else if (il == ip && lingerNext) {
                lingerNext = false;
                socket.setSoTimeout(Math.min(server.linger(), 200)); // short even on virtual threads: the loop may relay what follows
                try {
                    n = sin.read(in, il, in.length - il);
                } catch (SocketTimeoutException quiet) {
                    return server.park(this) ? PARKED : CLOSE;
                }
            } else {
                return server.park(this) ? PARKED : CLOSE;
            }
            if (n < 0) return CLOSE;
            if (il == ip) headDeadline = System.nanoTime() + server.headTimeoutNanos();
            il += n;
        }
    }

    // ---- on the event loop ----

    /** The client's bytes arrived: read them, then look at what is in hand (see {@link #step}). */
    int onReadable() {
        if (readingBody) {
            bodyReadable = true; // the worker must read: an end of stream is only seen by reading it
            return WORKER;
        }
        try {
            makeRoom();
            if (inView == null || inView.array() != in) inView = java.nio.ByteBuffer.wrap(in);
            inView.limit(in.length).position(il);
            int n = ch.read(inView);
            if (n < 0) return closeOnLoop(); // the client is done (or gave up in the middle of a head)
            if (n == 0) return WAIT;
            if (il == ip) headDeadline = System.nanoTime() + server.headTimeoutNanos();
            il += n;
        } catch (IOException e) {
            closeNow();
            return CLOSED;
        }
        return step();
    }

    /**
     * A whole head in hand, without a body, is parsed and offered to the handler as a relay the loop
     * drives (RELAYING). Anything else goes to a worker, which takes up where the loop stopped: a
     * TLS hello, a malformed head (the worker parses it again and answers it), a request with a body,
     * one the handler does not relay. WAIT: the head is not complete yet, or nothing is there.
     */
    int step() {
        while (ip < il && (in[ip] == '\r' || in[ip] == '\n')) ip++;
        if (ip == il) {
            ip = il = scanned = 0;
            headDeadline = 0;
            return WAIT;
        }
        if (fresh) {
            if (server.tls != null && in[ip] == 0x16) { // a worker only for a whole hello, with a place for its connection
                if (!helloInHand()) return il - ip >= MAX_HEAD ? WORKER : WAIT; // a hello that fills the buffer will never be whole: the worker closes it
                if (!tlsReserved && !server.tls.reserve()) {
                    awaitingTls = true;
                    return WAIT;
                }
                tlsReserved = true;
                awaitingTls = false;
                return WORKER;
            }
            fresh = false;
        }
        int end = findEnd(Math.max(ip, scanned - 3));
        if (end < 0) {
            scanned = il;
            if (headDeadline == 0) headDeadline = System.nanoTime() + server.headTimeoutNanos(); // a pipelined head's start came with the last one
            return il - ip >= MAX_HEAD ? WORKER : WAIT;
        }
        scanned = 0;
        ex.reset();
        boolean parsed;
        int start = ip;
        onLoop = true;
        try {
            parsed = parse(ip, end);
        } catch (IOException | RuntimeException e) {
            parsed = false;
        } finally {
            onLoop = false;
        }
        if (!parsed) {
            ip = start; // parsing moves past the head before it checks the framing
            return WORKER;
        }
        // a small body is forwarded here once it is all in hand; a larger one is read on a worker (after
        // 100 Continue when asked for): the worker goes on from admitting the parsed head
        boolean relays = server.handler.relays();
        if (relays && ex.hasBody() && loopBody() && il - ip < ex.contentLength && !ex.expectContinue && ip - start + ex.contentLength <= MAX_HEAD
                && bodyWaits < MAX_BODY_WAITS) {
            if (bodySince == 0) { // the body's time runs from the head's end, as on a worker
                bodySince = System.nanoTime();
                headDeadline = bodySince + server.bodyTimeoutNanos();
            }
            bodyWaits++;
            ip = start; // the head is parsed again with the rest of the body
            return WAIT;
        }
        bodyWaits = 0;
        headDeadline = 0;
        resumeAt = FROM_ADMIT;
        lingerNext = true; // unless the loop relays it
        int bodyStart = ip;
        if (ex.hasBody()) {
            if (!relays || !loopBody() || il - ip < ex.contentLength) return WORKER;
            bodySince = 0;
            takeBodyInHand();
        }
        Relay r;
        try {
            r = server.handler.relay(ex);
        } catch (RuntimeException e) {
            r = null; // the worker's admit meets the same problem, and reports it
        }
        if (r == null) {
            if (ex.requestBody != null) { // the worker admits the request and reads the body as usual
                ex.requestBody = null;
                body.release();
                ip = bodyStart;
            }
            return WORKER;
        }
        lingerNext = false;
        ex.attach(r);
        resumeAt = FROM_SERVE;
        int next = r.start();
        if (next == Relay.WAIT) {
            relay = r;
            return RELAYING;
        }
        if (r.channel() != null) relay = r; // part of the request left: the loop lets go of the micro's connection too
        return WORKER;
    }

    /** The largest body the loop forwards itself, when it came whole with its head (the worker reads larger ones). */
    static final int LOOP_BODY = 16 * 1024;

    private boolean loopBody() {
        return !ex.chunked && ex.contentLength <= LOOP_BODY;
    }

    private void takeBodyInHand() {
        if (body == null) body = new RequestBody(server.spool());
        int n = (int) ex.contentLength;
        try {
            body.append(in, ip, n);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // in memory: it cannot fail
        }
        ip += n;
        ex.requestBody = body;
    }

    /** The relayed response is in {@code out}: writes it, then goes on to the next request (FLUSHING: wait until writable). */
    int afterRelay() {
        relay = null;
        resumeAt = FROM_HEAD;
        if (body != null) body.release();
        try {
            if (!out.writeTo(ch)) {
                if (!flushing) flushSince = System.nanoTime();
                flushing = true;
                return FLUSHING;
            }
        } catch (IOException e) {
            closeNow();
            return CLOSED;
        }
        flushing = false;
        parkedAt = System.nanoTime();
        if (ex.closing()) return closeOnLoop();
        return step();
    }

    /** Ends the connection from the loop; with unread bytes from the client, lingers as {@link #close} does. */
    private int closeOnLoop() {
        if (il > ip && !lingering) {
            try {
                socket.shutdownOutput();
                lingering = true;
                lingerUntil = System.nanoTime() + LINGER_NANOS;
                return WAIT;
            } catch (IOException ignored) {
                // the client is gone already
            }
        }
        closeNow();
        return CLOSED;
    }

    /**
     * Whether the client's first handshake message (its ClientHello) is all here: the TLS records
     * in hand (a 5-byte header giving the payload's length) hold, together, the message's 4-byte
     * header and the length it gives. A hello may be split across records (RFC 8446 §5.1), so the
     * first record alone says too little. Until then it waits on the loop under the head timeout,
     * holding no thread. Anything but a handshake record counts as in hand: the TLS layer refuses it.
     */
    private boolean helloInHand() {
        int p = ip;
        long got = 0, length = 0; // handshake bytes seen; the hello's length (its header's bytes 1-3)
        for (int records = 0; il - p >= 5; records++) {
            if (in[p] != 0x16 || records == 64) return true; // not a hello, or split past reason: the TLS layer refuses it
            int end = p + 5 + ((in[p + 3] & 0xff) << 8 | (in[p + 4] & 0xff));
            if (end > il) return false;
            int i = p + 5;
            for (; i < end && got < 4; i++, got++) if (got > 0) length = length << 8 | (in[i] & 0xff);
            got += end - i;
            if (got >= 4 && got >= 4 + length) return true;
            p = end;
        }
        return false;
    }

    /** After the parker saw bytes (or on its clock): whether the head's or the body's time is up. */
    boolean readExpired(long now) {
        if (readingBody) return now - bodyDeadline > 0;
        return il > ip && headDeadline != 0 && now - headDeadline > 0;
    }

    /** Whether the connection waits for the middle of a request (not just idle between requests). */
    boolean midRequest() {
        return readingBody || il > ip;
    }

    private void makeRoom() {
        if (ip > 0 && in.length - il < 2048) {
            System.arraycopy(in, ip, in, 0, il - ip);
            scanned -= ip;
            il -= ip;
            ip = 0;
        }
        if (il == in.length) in = Arrays.copyOf(in, Math.min(MAX_HEAD + 4096, in.length * 2));
    }

    /** The index just after the blank line that ends the head (CRLF CRLF, or bare LFs), or -1. */
    private int findEnd(int from) {
        for (int i = from; i < il; i++) {
            if (in[i] != '\n') continue;
            if (i + 1 < il && in[i + 1] == '\n') return i + 2;
            if (i + 2 < il && in[i + 1] == '\r' && in[i + 2] == '\n') return i + 3;
        }
        return -1;
    }

    private int indexOf(byte b, int from, int to) {
        for (int i = from; i < to; i++) if (in[i] == b) return i;
        return -1;
    }

    /** Parses in[start..end) into the exchange; answers and returns false when it is malformed. */
    private boolean parse(int start, int end) throws IOException {
        Exchange e = ex;
        e.arrived = System.nanoTime();
        e.buf = in;
        int le = indexOf((byte) '\n', start, end);
        int lineEnd = le > start && in[le - 1] == '\r' ? le - 1 : le;
        int sp1 = indexOf((byte) ' ', start, lineEnd);
        int sp2 = sp1 < 0 ? -1 : indexOf((byte) ' ', sp1 + 1, lineEnd);
        if (sp1 <= start || sp2 <= sp1 + 1 || !token(start, sp1) || sp1 - start > 20) return reject(400, "malformed request line");
        e.methodStart = start;
        e.methodEnd = sp1;
        e.method = method(start, sp1);
        int vs = sp2 + 1;
        if (lineEnd - vs == 8 && in[vs] == 'H' && in[vs + 1] == 'T' && in[vs + 2] == 'T' && in[vs + 3] == 'P' && in[vs + 4] == '/'
                && in[vs + 5] == '1' && in[vs + 6] == '.' && (in[vs + 7] == '1' || in[vs + 7] == '0')) {
            e.http10 = in[vs + 7] == '0';
        } else {
            boolean http = lineEnd - vs >= 5 && in[vs] == 'H' && in[vs + 1] == 'T' && in[vs + 2] == 'T' && in[vs + 3] == 'P' && in[vs + 4] == '/';
            return reject(http ? 505 : 400, http ? "only HTTP/1.1 and HTTP/1.0 are spoken here" : "malformed request line");
        }
        if (e.method.equals("CONNECT") || e.method.equals("TRACE")) {
            ex.addHeader("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
            return reject(405, e.method + " is not allowed");
        }
        int ts = sp1 + 1, te = sp2;
        for (int i = ts; i < te; i++) if (in[i] < 0x21 || in[i] > 0x7e) return reject(400, "the request target has a character that must be percent-encoded");
        e.targetStart = ts;
        e.targetEnd = te;
        if (!target(ts, te)) return reject(400, "malformed request target");
        // header fields (RFC 9112 §5)
        int p = le + 1, hosts = 0;
        while (p < end) {
            le = indexOf((byte) '\n', p, end);
            lineEnd = le > p && in[le - 1] == '\r' ? le - 1 : le;
            if (lineEnd == p) break; // the empty line
            if (in[p] == ' ' || in[p] == '\t') return reject(400, "folded header lines are not allowed");
            int colon = indexOf((byte) ':', p, lineEnd);
            if (colon <= p || !token(p, colon)) return reject(400, "malformed header line");
            int vs2 = colon + 1, ve = lineEnd;
            while (vs2 < ve && (in[vs2] == ' ' || in[vs2] == '\t')) vs2++;
            while (ve > vs2 && (in[ve - 1] == ' ' || in[ve - 1] == '\t')) ve--;
            for (int i = vs2; i < ve; i++) if (((in[i] & 0xff) < 0x20 && in[i] != '\t') || in[i] == 0x7f) return reject(400, "a header value has a control character");
            if (e.headers == Exchange.MAX_HEADERS) return reject(431, "more than " + Exchange.MAX_HEADERS + " header lines");
            int h = e.headers++;
            e.nameStart[h] = p;
            e.nameEnd[h] = colon;
            e.valueStart[h] = vs2;
            e.valueEnd[h] = ve;
            if (e.nameIs(h, "Host")) hosts++;
            p = le + 1;
        }
        ip = end;
        return framing(hosts);
    }

    /** Body framing and the other headers the server itself obeys; refuses ambiguity (no request smuggling). */
    private boolean framing(int hosts) throws IOException {
        Exchange e = ex;
        if (!e.http10 && hosts != 1) return reject(400, hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "more than one Host header");
        long length = -1;
        boolean te = false;
        for (int h = 0; h < e.headers; h++) {
            if (e.nameIs(h, "Content-Length")) {
                for (String part : e.value(h).split(",", -1)) {
                    String v = part.strip();
                    if (v.isEmpty() || v.length() > 18 || !v.chars().allMatch(Character::isDigit)) return reject(400, "invalid Content-Length");
                    long n = Long.parseLong(v);
                    if (length >= 0 && n != length) return reject(400, "conflicting Content-Length headers");
                    length = n;
                }
            } else if (e.nameIs(h, "Transfer-Encoding")) {
                if (te || !e.value(h).strip().equalsIgnoreCase("chunked")) return reject(501, "only the chunked transfer coding is supported");
                te = true;
            } else if (e.nameIs(h, "Connection")) {
                for (String token : e.value(h).split(",")) {
                    String t = token.strip();
                    if (t.equalsIgnoreCase("close")) e.clientClose = true;
                    else if (t.equalsIgnoreCase("keep-alive") && e.http10) e.http10KeepAlive = true;
                }
            } else if (e.nameIs(h, "Expect")) {
                e.expectContinue = e.value(h).strip().equalsIgnoreCase("100-continue");
            }
        }
        if (te && length >= 0) return reject(400, "both Content-Length and Transfer-Encoding");
        if (te && e.http10) return reject(400, "HTTP/1.0 has no chunked bodies");
        if (e.http10 && !e.http10KeepAlive) e.clientClose = true;
        e.chunked = te;
        e.contentLength = length;
        return true;
    }

    private boolean token(int from, int to) {
        for (int i = from; i < to; i++) if (!Tokens.isTchar(in[i])) return false;
        return true;
    }

    private String method(int from, int to) {
        int len = to - from;
        if (len == 3 && in[from] == 'G' && in[from + 1] == 'E' && in[from + 2] == 'T') return "GET";
        if (len == 4 && in[from] == 'P' && in[from + 1] == 'O' && in[from + 2] == 'S' && in[from + 3] == 'T') return "POST";
        if (len == 4 && in[from] == 'H' && in[from + 1] == 'E' && in[from + 2] == 'A' && in[from + 3] == 'D') return "HEAD";
        return new String(in, from, len, StandardCharsets.US_ASCII);
    }

    /** Splits the target into raw path and query: origin-form, absolute-form (its path), or "*". */
    private boolean target(int ts, int te) {
        int p = ts;
        if (in[ts] != '/') {
            if (te - ts == 1 && in[ts] == '*') {
                ex.rawPath = "*";
                return true;
            }
            int scheme = indexOf((byte) ':', ts, te);
            if (scheme < 0 || te - scheme < 3 || in[scheme + 1] != '/' || in[scheme + 2] != '/') return false;
            int slash = indexOf((byte) '/', scheme + 3, te);
            if (slash < 0) {
                ex.rawPath = "/";
                int q = indexOf((byte) '?', scheme + 3, te);
                ex.rawQuery = q < 0 ? null : new String(in, q + 1, te - q - 1, StandardCharsets.US_ASCII);
                return true;
            }
            p = slash;
        }
        if (indexOf((byte) '#', p, te) >= 0) return false;
        int q = indexOf((byte) '?', p, te);
        int pathEnd = q < 0 ? te : q;
        ex.rawPath = new String(in, p, pathEnd - p, StandardCharsets.US_ASCII);
        ex.rawQuery = q < 0 ? null : new String(in, q + 1, te - q - 1, StandardCharsets.US_ASCII);
        return true;
    }

    /** Answers a request the server refuses itself, and closes afterwards. */
    private boolean reject(int status, String why) throws IOException {
        if (onLoop) return false; // a worker parses the head again and answers
        if (ex.method == null) ex.method = "GET";
        junkAfter = true;
        ex.closeAfter();
        ex.send(status, "text/plain; charset=utf-8", (why + "\n").getBytes(StandardCharsets.UTF_8));
        return false;
    }

    // ---- serving ----

    /**
     * The handler's look at the head before any body byte is read. Returns READY to read the body
     * (if any) and serve, NEXT when it answered and the connection can go on, CLOSE otherwise:
     * after an early answer to a request with a body, the body is never read (RFC 9112 §9.6).
     */
    private int admit() throws IOException {
        bodyUnread = ex.hasBody();
        boolean go;
        try {
            go = server.handler.admit(ex);
        } catch (IOException e) {
            return CLOSE;
        } catch (RuntimeException e) {
            failed(e);
            return CLOSE;
        }
        if (!go) {
            if (ex.wasCut() || aborted) return CLOSE;
            if (!ex.started()) ex.send(500, "text/plain; charset=utf-8", "no response\n".getBytes(StandardCharsets.UTF_8));
            if (!ex.finished()) ex.end();
            return ex.wasCut() || writeFailure != null || ex.closing() || bodyUnread ? CLOSE : NEXT;
        }
        if (bodyUnread) {
            if (ex.expectContinue) {
                ex.expectContinue = false;
                out.put(CONTINUE, 0, CONTINUE.length);
                out.flush();
            }
            if (body == null) body = new RequestBody(server.spool());
            reader.start(ex.contentLength, ex.chunked, server.maxBody());
            readingBody = bodyFresh = true;
            lastRead = 0;
            bodyDeadline = (bodySince != 0 ? bodySince : System.nanoTime()) + server.bodyTimeoutNanos(); // the loop may have waited for it
            bodySince = 0;
        }
        return READY;
    }

    /**
     * Reads the rest of the body without ever waiting on a thread: when nothing is ready, the
     * connection parks. Reads go to a borrowed buffer, never to {@code in}, which still holds the
     * head the handler will read; bytes past the body (a pipelined request) are kept after it.
     */
    private int readBody() throws IOException {
        ip = reader.consume(in, ip, il, body);
        byte[] b = null;
        try {
            while (true) {
                if (reader.status() != 0) return refuseBody(reader.status(), reader.why());
                if (reader.done()) {
                    readingBody = bodyUnread = false;
                    ex.requestBody = body;
                    return READY;
                }
                if (System.nanoTime() - bodyDeadline > 0) return refuseBody(408, "the request body took too long to arrive");
                // a sender that keeps up (the body's start, a full buffer) is waited for a moment; a
                // trickle is not: with nothing ready the connection parks, so slow senders hold no thread
                boolean keepingUp = bodyFresh || bodyReadable || lastRead >= 16 * 1024;
                bodyFresh = bodyReadable = false;
                int ready = sin.available();
                if (!keepingUp && ready == 0) return server.park(this) ? PARKED : CLOSE;
                // bytes already there are read without a timeout: JDK 17's timed read switches the socket
                // to non-blocking mode and back, 4 fcntl calls for each of a 5 MB body's ~120 reads
                socket.setSoTimeout(ready > 0 ? 0 : server.linger());
                if (b == null) b = server.borrow();
                int n;
                try {
                    n = sin.read(b, 0, b.length);
                } catch (SocketTimeoutException quiet) {
                    return server.park(this) ? PARKED : CLOSE;
                }
                lastRead = n;
                if (n < 0) { // the client gave up before sending it all
                    bodyUnread = false;
                    return CLOSE;
                }
                int used = reader.consume(b, 0, n, body);
                if (used < n && reader.done()) keep(b, used, n);
            }
        } finally {
            if (b != null) server.giveBack(b);
        }
    }

    /**
     * Whether the client has gone (closed its side, or reset the connection), for a handler that
     * kept its request waiting: a look that never waits. Bytes it sent meanwhile (a pipelined
     * request) are kept for later, as a body's trailing bytes are.
     */
    boolean clientGone() {
        if (aborted) return true;
        byte[] b = server.borrow();
        try {
            if (sin.available() > 0) return false;
            int n;
            synchronized (ch.blockingLock()) {
                ch.configureBlocking(false);
                try {
                    n = ch.read(java.nio.ByteBuffer.wrap(b));
                } finally {
                    ch.configureBlocking(true);
                }
            }
            if (n < 0) return true;
            if (n > 0) keep(b, 0, n);
            return false;
        } catch (IOException | RuntimeException e) {
            return true; // reset, or closed meanwhile
        } finally {
            server.giveBack(b);
        }
    }

    /** Bytes read past the body: the next request's start, appended after the current head. */
    private void keep(byte[] b, int from, int to) {
        int k = to - from;
        if (in.length - il < k) in = Arrays.copyOf(in, il + k); // ex.buf keeps the old array, so the head stays valid
        System.arraycopy(b, from, in, il, k);
        il += k;
    }

    private int refuseBody(int status, String why) throws IOException {
        readingBody = false;
        bodyUnread = true;
        ex.closeAfter();
        try {
            server.handler.refuse(ex, status, why);
        } catch (RuntimeException e) {
            failed(e);
        }
        if (!ex.started()) ex.send(status, "text/plain; charset=utf-8", (why + "\n").getBytes(StandardCharsets.UTF_8));
        if (!ex.finished()) ex.end();
        return CLOSE;
    }

    /** Runs the handler on a request whose body (if any) is complete; true when the connection can take another request. */
    private boolean serve() throws IOException {
        try {
            server.handler.handle(ex);
        } catch (IOException e) {
            return false;
        } catch (RuntimeException e) {
            failed(e);
            return false;
        } finally {
            if (body != null) body.release();
        }
        if (ex.wasCut() || aborted) return false;
        if (!ex.started()) ex.send(500, "text/plain; charset=utf-8", "no response\n".getBytes(StandardCharsets.UTF_8));
        if (!ex.finished()) ex.end();
        return !ex.wasCut() && writeFailure == null && !ex.closing();
    }

    /** A handler bug: logged, and a 500 when nothing was sent yet. */
    private void failed(RuntimeException e) throws IOException {
        server.internalError(ex, e);
        if (ex.started()) {
            ex.cut();
            return;
        }
        ex.clearHeaders();
        ex.closeAfter();
        ex.send(500, "text/plain; charset=utf-8", "micros hit an internal error; see its log\n".getBytes(StandardCharsets.UTF_8));
    }

    /** Whether the request's body is (partly) unread, so the connection cannot carry another request. */
    boolean bodyPending() {
        return bodyUnread;
    }

    // ---- writing and closing ----

    void write(OutputStream os, byte[] b, int off, int len) throws IOException {
        // every write, however small: once the client stops reading and its buffers are full, any write blocks
        Deadlines.Ticket t = server.deadlines.arm(server.writeTimeoutNanos()); // a client that stops reading does not hold a thread forever
        t.watch(ch);
        try {
            os.write(b, off, len);
        } finally {
            server.deadlines.disarm(t);
        }
    }

    /** As {@link #write}, from a direct buffer straight to the channel: the bytes are not copied through the heap. */
    void write(java.nio.ByteBuffer b) throws IOException {
        Deadlines.Ticket t = server.deadlines.arm(server.writeTimeoutNanos());
        t.watch(ch);
        try {
            while (b.hasRemaining()) ch.write(b);
        } finally {
            server.deadlines.disarm(t);
        }
    }

    void writeQuietly(OutputStream os, byte[] b, int off, int len) {
        if (writeFailure != null) return;
        try {
            write(os, b, off, len);
        } catch (IOException e) {
            writeFailure = e;
        }
    }

    void checkWrite() throws IOException {
        if (writeFailure != null) throw writeFailure;
    }

    /**
     * Reads and drops what the client still sends after our last response, without a thread:
     * false when the client is done (end of stream) and the connection can close.
     */
    boolean discard(java.nio.ByteBuffer scratch) {
        try {
            while (true) {
                scratch.clear();
                int n = ch.read(scratch);
                if (n < 0) return false;
                if (n == 0) return System.nanoTime() - lingerUntil < 0;
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** Ends the connection at once (a reset, so the client cannot mistake a cut response for a whole one). */
    void abort() {
        aborted = true;
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // closing anyway
        }
        close();
    }

    /**
     * Closes after the last response. When the client may still be sending (an unread body, a
     * refused head), closing at once would make the kernel answer with a reset that can destroy
     * our response before the client reads it; so the write side closes first and the parker reads
     * and drops the rest for up to 2 s (as nginx's lingering close), holding no thread.
     */
    void close() {
        if (!aborted && !lingering && (bodyUnread || junkAfter || ip < il)) {
            try {
                out.flush();
                socket.shutdownOutput();
                lingering = true;
                lingerUntil = System.nanoTime() + LINGER_NANOS;
                readingBody = false;
                if (server.park(this)) return;
            } catch (IOException ignored) {
                // the client is gone already
            }
        }
        closeNow();
    }

    void closeNow() {
        if (body != null) body.release();
        out.discard();
        try {
            ch.close();
        } catch (IOException ignored) {
            // already closed
        }
        server.closed(this);
    }
}
