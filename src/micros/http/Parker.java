package micros.http;

import java.io.IOException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Holds connections that are waiting (between requests, or in the middle of a slowly sent head or
 * body) on one selector, so they need no thread. When bytes arrive, the connection goes back to a
 * worker. Connections being closed linger here too, their last bytes read and dropped.
 */
final class Parker implements Runnable {
    private final Server server;
    private final Selector selector;
    private final ConcurrentLinkedQueue<Connection> incoming = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private final java.nio.ByteBuffer scratch = java.nio.ByteBuffer.allocate(16 * 1024); // lingering connections' dropped bytes
    private volatile boolean open = true;

    Parker(Server server) throws IOException {
        this.server = server;
        this.selector = Selector.open();
        this.thread = new Thread(this, "micros-http-parker");
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
        List<Connection> ready = new ArrayList<>();
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
                selector.select(250);
                for (SelectionKey k : selector.selectedKeys()) {
                    Connection s = (Connection) k.attachment();
                    if (s.lingering) { // closing: drop what comes, here, until the client is done
                        if (!s.discard(scratch)) {
                            k.cancel();
                            s.closeNow();
                        }
                        continue;
                    }
                    k.cancel();
                    ready.add(s);
                }
                selector.selectedKeys().clear();
                long now = System.nanoTime();
                for (SelectionKey k : selector.keys()) {
                    if (!k.isValid()) continue;
                    Connection p = (Connection) k.attachment();
                    if (p.lingering) {
                        if (now - p.lingerUntil > 0) {
                            k.cancel();
                            p.closeNow();
                        }
                    } else if (p.readExpired(now)) { // a stalled head or body gets its 408 from a worker
                        k.cancel();
                        ready.add(p);
                    } else if (!p.midRequest() && now - p.parkedAt > server.idleTimeoutNanos()) { // an idle keep-alive connection just ends
                        k.cancel();
                        p.closeNow();
                    }
                }
                if (!ready.isEmpty()) {
                    selector.selectNow(); // deregisters the cancelled keys, so the channels may block again
                    for (Connection r : ready) {
                        try {
                            r.ch.configureBlocking(true);
                            server.resume(r);
                        } catch (IOException | RuntimeException e) {
                            r.closeNow();
                        }
                    }
                    ready.clear();
                }
            } catch (IOException | ClosedSelectorException e) {
                if (!open) return;
            }
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
        for (SelectionKey k : selector.keys()) ((Connection) k.attachment()).closeNow();
        try {
            selector.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
