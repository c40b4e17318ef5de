package micros.gateway;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

import micros.http.Deadlines;
import micros.http.Exchange;
import micros.http.Relay;
import micros.runtime.Supervisor;

/**
 * A forward driven by the server's event loop (see {@link Relay}): the request goes out on a
 * pooled non-blocking connection, and when the micro's whole answer is in hand and small, it is
 * copied to the client's buffer right there. At the first thing that is not that simple, it
 * stops where it is and {@link Gateway#handle} finishes it on a worker ({@link Forwarder#takeOver}).
 * Reused: the gateway keeps a few.
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
    boolean parsed;      // the answer's head is parsed: the worker goes on from sending it
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
        this.upstream = null;
        this.parsed = false;
        Forwarder.writeHead(sc, ex, target, cookie, 0, null);
    }

    @Override
    public SocketChannel channel() {
        return upstream.channel;
    }

    @Override
    public int start() {
        Upstream u;
        try {
            u = pool.pollLoop(endpoint.generation());
            if (u == null) u = Upstream.connectNow(endpoint.port(), endpoint.generation());
        } catch (IOException e) {
            return HANDOFF; // the worker connects, fails the same way, and says so
        }
        if (u == null) return HANDOFF;
        try {
            if (request == null || request.array() != sc.head) request = ByteBuffer.wrap(sc.head);
            request.limit(sc.len).position(0);
            u.channel.write(request);
            if (!request.hasRemaining()) {
                upstream = u;
                ticket.watch(u);
                return WAIT;
            }
        } catch (IOException e) {
            // a pooled connection the micro has dropped
        }
        u.close(); // part of the request may have left: the worker sends it whole on a new connection
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
