package micros.gateway;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

import micros.http.Deadlines;
import micros.http.Exchange;
import micros.http.Relay;
import micros.runtime.Supervisor;

/**
 * A forward driven by the server's event loop (see {@link Relay}): the request (with its body,
 * when the whole of a small one came with the head) goes out on a pooled non-blocking connection,
 * and when the micro's whole answer is in hand and small, it is copied to the client's buffer right
 * there. At the first thing that is not that simple, it stops where it is and {@link Gateway#handle}
 * finishes it on a worker ({@link Forwarder#takeOver}). Reused: the gateway keeps a few.
 */
final class LoopRelay implements Relay {
    /**
     * Room needed in the client's buffer beyond the micro's head and body: Date (37 bytes), a
     * rewritten Content-Length (one more than the micro's at most), Connection (24); and one byte
     * more per header, which the micro may have sent as "name:value" and goes on as "name: value".
     */
    private static final int HEAD_SLACK = 128;

    private final Gateway gateway;
    private final Forwarder forwarder;
    Exchange ex;
    Supervisor supervisor;
    Supervisor.Endpoint endpoint;
    Upstream.Pool pool;
    String target, cookie;
    Deadlines.Ticket ticket;
    Forwarder.Scratch sc;
    Upstream upstream;   // null until connected, and after a broken start (the worker then sends it afresh)
    int sent;            // bytes of the request that left: the worker sends the rest on the same connection
    boolean parsed;      // the answer's head is parsed: the worker goes on from sending it
    private boolean close; // a body to a micro that may not read it: Connection: close, a fresh connection
    private ByteBuffer request;

    LoopRelay(Gateway gateway, Forwarder forwarder) {
        this.gateway = gateway;
        this.forwarder = forwarder;
    }

    void begin(Exchange ex, Supervisor s, Supervisor.Endpoint ep, Upstream.Pool pool, String target, String cookie,
               Deadlines.Ticket ticket, Forwarder.Scratch sc) {
        this.ex = ex;
        this.supervisor = s;
        this.endpoint = ep;
        this.pool = pool;
        this.target = target;
        this.cookie = cookie;
        this.ticket = ticket;
        this.sc = sc;
        sc.lease(s, ep); // given back when the relay is recycled, or by the worker that finishes it
        this.upstream = null;
        this.sent = 0;
        this.parsed = false;
        micros.http.RequestBody body = ex.requestBody();
        int length = body == null ? 0 : (int) body.length(); // the whole body is in memory: the loop takes small ones only
        close = length > 0 && !pool.framesBodies(ep.generation());
        Forwarder.writeHead(sc, ex, target, cookie, length, null, close);
        if (length > 0) sc.put(body.memory(), 0, length); // head and body leave in one write
    }

    @Override
    public SocketChannel channel() {
        return upstream == null ? null : upstream.channel;
    }

    @Override
    public int start() {
        Upstream u;
        long gen = endpoint.generation();
        // a request that must not be sent twice is never retried, so it takes a pooled connection only
        // from a micro that announced its keep-alive timeout, and only one that came back moments ago
        boolean once = !Forwarder.idempotent(ex.method());
        try {
            u = close || (once && !pool.framesBodies(gen)) ? null : pool.pollLoop(gen, once);
            if (u == null) u = Upstream.connectNow(endpoint.port(), gen);
        } catch (IOException e) {
            return HANDOFF; // the worker connects, fails the same way, and says so
        }
        if (u == null) return HANDOFF;
        u.spent = close;
        try {
            if (request == null || request.array() != sc.head) request = ByteBuffer.wrap(sc.head);
            request.limit(sc.len).position(0);
            u.channel.write(request);
            if (request.position() > 0) { // part of it left: never sent again, the worker writes the rest
                upstream = u;
                sent = request.position();
                ticket.watch(u);
                return request.hasRemaining() ? HANDOFF : WAIT;
            }
        } catch (IOException e) {
            // a pooled connection the micro has dropped: not a byte of the request left
        }
        u.close(); // the worker sends it on a new connection
        return HANDOFF;
    }

    @Override
    public int readable() {
        Upstream u = upstream;
        int n;
        try {
            n = u.readNow();
        } catch (IOException e) {
            n = -1;
        }
        if (n == 0) return WAIT;
        if (n < 0) return HANDOFF; // the worker reads the end too: a retry for a stale connection, else a 502 that says why
        int end = Forwarder.headEnd(u, u.lim - n);
        if (end == Forwarder.BARE_LF) {
            Forwarder.bareLf(sc.outcome);
            return HANDOFF;
        }
        if (end < 0) return u.lim == u.buf.length ? HANDOFF : WAIT;
        int headStart = u.pos;
        u.closeAfter = false;
        Forwarder.Result bad = Forwarder.parseHead(u, end, sc);
        if (bad != null) {
            sc.outcome.result = bad;
            return HANDOFF;
        }
        if (sc.status < 200) return HANDOFF; // an interim answer: the worker reads on
        long body = Forwarder.noBody(ex, sc.status) ? 0 : sc.length;
        parsed = true;
        // the whole body must be here: a part of it goes to the client at once (responses stream),
        // and that, with waiting for the rest, is the worker's job
        if (body < 0 || u.lim - u.pos < body || ex.bufferRoom() < (u.pos - headStart) + body + sc.kept + HEAD_SLACK) return HANDOFF;
        Forwarder.Result r = forwarder.send(ex, u, sc, ticket, false);
        if (r != Forwarder.Result.OK) {
            sc.outcome.result = r;
            return HANDOFF;
        }
        ticket.watch(null);
        if (!u.closeAfter && !ticket.fired()) pool.offerLoop(u);
        else u.close();
        gateway.relayed(this);
        return DONE;
    }

    @Override
    public boolean expired() {
        return ticket.fired();
    }
}
