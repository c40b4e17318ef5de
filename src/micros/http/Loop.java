package micros.http;

import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The server's event loop: one thread and one selector for every connection that has no worker.
 * It reads the next request of a waiting connection and, when the handler takes it as a
 * {@link Relay}, forwards it and writes the answer itself, as nginx's worker does: no thread
 * hand-off and no blocking-mode switch on the common path. Everything else goes to a worker:
 * requests with bodies, the handler's own pages, slow or odd answers. Connections in the middle
 * of a slowly sent head or body wait here too, and closing ones linger here, their last bytes
 * read and dropped.
 */
final class Loop implements Runnable {
    /** The attachment of an idle pooled connection to a micro, watched so that its end is noticed. */
    private static final Object IDLE_UPSTREAM = new Object();
    private static final long SWEEP_NANOS = 20_000_000L;

    private final Server server;
    private final Selector selector;
    private final ConcurrentLinkedQueue<Connection> incoming = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private final java.nio.ByteBuffer scratch = java.nio.ByteBuffer.allocate(16 * 1024); // lingering connections' dropped bytes
    private final List<Connection> handoffs = new ArrayList<>();
    private final Consumer<SelectionKey> onReady = this::ready;
    private int relaying;  // relays in flight: their deadlines are looked at every 20 ms
    private long lastSweep;
    private volatile boolean tlsPlaceFreed; // a TLS connection ended: one waiting for a place may go on
    private volatile boolean open = true;

    Loop(Server server) throws IOException {
        this.server = server;
        this.selector = Selector.open();
        this.thread = new Thread(this, "micros-http-loop");
        thread.setDaemon(true);
        thread.start();
    }

    boolean park(Connection c) {
        if (!open) return false;
        c.parkedAt = System.nanoTime();
        incoming.add(c);
        selector.wakeup();
        return true;
    }

    @Override
    public void run() {
        while (open) {
            try {
                Connection c;
                while ((c = incoming.poll()) != null) {
                    try {
                        c.ch.configureBlocking(false);
                        c.ch.register(selector, SelectionKey.OP_READ, c);
                    } catch (IOException | RuntimeException e) {
                        c.closeNow();
                    }
                }
                selector.select(onReady, relaying > 0 ? 20 : 250);
                long now = System.nanoTime();
                if (now - lastSweep > SWEEP_NANOS) {
                    lastSweep = now;
                    sweep(now);
                }
                if (tlsPlaceFreed) {
                    tlsPlaceFreed = false;
                    admitWaitingTls();
                }
                if (!handoffs.isEmpty()) handOver();
            } catch (IOException | ClosedSelectorException e) {
                if (!open) return;
            }
        }
    }

    /**
     * One ready key. A key cancelled earlier in the same round (a hand-off, a close) is still
     * reported by the selector, and is skipped: its connection belongs to a worker now, and its
     * bytes (a body, say) must not be read here as a request. A bug here must not end the loop,
     * which serves every connection: the connection it hit is closed.
     */
    private void ready(SelectionKey k) {
        if (!k.isValid()) return;
        try {
            dispatch(k);
        } catch (RuntimeException e) {
            if (!(k.attachment() instanceof Connection c)) {
                closeQuietly(k);
                return;
            }
            server.internalError(c.ex, e);
            Relay r = c.relay;
            c.closeNow(); // what was written to it can no longer be trusted to be whole
            if (r != null) handOff(c, null); // a worker finishes the relay against the closed connection, which releases the micro
        }
    }

    private void dispatch(SelectionKey k) {
        Object a = k.attachment();
        if (a == IDLE_UPSTREAM) { // an idle connection to a micro hung up or sent bytes nobody asked for: never reuse it
            closeQuietly(k);
            return;
        }
        Connection c = (Connection) a;
        if (k.channel() != c.ch) {
            upstreamReady(c, k);
            return;
        }
        if (c.lingering) { // closing: drop what comes, here, until the client is done
            if (!c.discard(scratch)) {
                k.cancel();
                c.closeNow();
            }
            return;
        }
        if (c.flushing) {
            if (k.isWritable()) written(c, k, c.afterRelay());
            return;
        }
        if (c.relay != null) { // the client sends more while its request is relayed: looked at afterwards
            k.interestOps(0);
            return;
        }
        act(c, k, c.onReadable());
    }

    private void act(Connection c, SelectionKey k, int next) {
        switch (next) {
            case Connection.WORKER -> handOff(c, k);
            case Connection.CLOSED -> k.cancel();
            case Connection.RELAYING -> {
                SocketChannel u = c.relay.channel();
                SelectionKey uk = u.keyFor(selector);
                try {
                    if (uk == null) u.register(selector, SelectionKey.OP_READ, c); // registered once, kept while pooled
                    else uk.attach(c);
                    relaying++;
                } catch (IOException | RuntimeException e) {
                    handOff(c, k); // the worker meets the broken connection and answers
                }
            }
            default -> { } // WAIT
        }
    }

    private void upstreamReady(Connection c, SelectionKey uk) {
        int r = c.relay.readable();
        if (r == Relay.WAIT) return;
        relaying--;
        SelectionKey k = c.ch.keyFor(selector);
        if (r == Relay.HANDOFF) {
            handOff(c, k);
            return;
        }
        if (uk.isValid()) uk.attach(IDLE_UPSTREAM); // back in its pool (before the next relay may take it again)
        written(c, k, c.afterRelay());
    }

    /** After a relayed response was (partly) written: wait until writable, or go on reading. */
    private void written(Connection c, SelectionKey k, int next) {
        if (next == Connection.FLUSHING) {
            k.interestOps(SelectionKey.OP_WRITE);
            return;
        }
        if (k.isValid() && k.interestOps() != SelectionKey.OP_READ) k.interestOps(SelectionKey.OP_READ);
        act(c, k, next);
    }

    private void handOff(Connection c, SelectionKey k) {
        if (k != null) k.cancel();
        Relay r = c.relay;
        if (r != null) {
            SelectionKey uk = r.channel().keyFor(selector);
            if (uk != null) uk.cancel();
        }
        handoffs.add(c);
    }

    /** Deregisters the handed-off channels (a registered channel cannot block) and gives each connection a worker. */
    private void handOver() throws IOException {
        selector.selectNow();
        selector.selectedKeys().clear();
        for (Connection c : handoffs) {
            Relay r = c.relay;
            c.relay = null;
            if (r != null) {
                try {
                    r.channel().configureBlocking(true);
                } catch (IOException | RuntimeException e) {
                    // closed at its deadline: the worker finds out and answers 504
                }
            }
            try {
                c.ch.configureBlocking(true);
            } catch (IOException | RuntimeException e) {
                // the client is gone: the worker still runs, so that a handed-over relay is finished and released
            }
            server.resume(c);
        }
        handoffs.clear();
    }

    void tlsPlaceFreed() {
        tlsPlaceFreed = true;
        selector.wakeup();
    }

    /** TLS connections whose hello is in hand but found no place ask again, in no particular order. */
    private void admitWaitingTls() {
        for (SelectionKey k : selector.keys()) {
            if (k.isValid() && k.attachment() instanceof Connection p && k.channel() == p.ch && p.awaitingTls && p.step() == Connection.WORKER)
                handOff(p, k);
        }
    }

    private void sweep(long now) {
        for (SelectionKey k : selector.keys()) {
            if (!k.isValid() || !(k.attachment() instanceof Connection p) || k.channel() != p.ch) continue;
            if (p.relay != null) {
                if (p.relay.expired()) { // the worker answers 504 and ends the micro
                    relaying--;
                    handOff(p, k);
                }
            } else if (p.flushing) {
                if (now - p.flushSince > server.writeTimeoutNanos()) { // a client that stopped reading
                    k.cancel();
                    p.closeNow();
                }
            } else if (p.lingering) {
                if (now - p.lingerUntil > 0) {
                    k.cancel();
                    p.closeNow();
                }
            } else if (p.readExpired(now)) { // a stalled head or body gets its 408 from a worker
                handOff(p, k);
            } else if (!p.midRequest() && now - p.parkedAt > server.idleTimeoutNanos()) { // an idle keep-alive connection just ends
                k.cancel();
                p.closeNow();
            }
        }
    }

    private static void closeQuietly(SelectionKey k) {
        try {
            k.channel().close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    void close() {
        open = false;
        selector.wakeup();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (SelectionKey k : selector.keys()) {
            if (k.attachment() instanceof Connection c) c.closeNow();
            else closeQuietly(k);
        }
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
