package micros.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * TLS on a micros port without touching the plain path: a connection whose first byte is a TLS
 * handshake is handed here; the bridge completes the handshake on a blocking {@link SSLSocket}
 * layered over the accepted socket (with the bytes already read given back to it) and relays
 * the decrypted bytes to the same server's plain side over loopback. HTTP parsing, limits and
 * handlers are then exactly those of plain HTTP.
 */
final class TlsBridge {
    private static final int HANDSHAKE_MILLIS = 10_000;
    private final java.util.function.Supplier<SSLContext> context;
    private final Server server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final int max;
    private final AtomicInteger bridges = new AtomicInteger();
    private volatile boolean closed;

    /** {@code max}: how many TLS connections may be open at once; each holds a worker and a relay thread. */
    TlsBridge(java.util.function.Supplier<SSLContext> context, Server server, int max) {
        this.context = context;
        this.server = server;
        this.max = max;
    }

    /**
     * Takes one of the {@code max} places, or says there is none: a connection without one waits
     * on the event loop (it holds no thread there) until a TLS connection ends, or its head
     * timeout does. The workers left serve plain HTTP and what the open TLS connections relay to it.
     */
    boolean reserve() {
        if (bridges.incrementAndGet() <= max) return true;
        bridges.decrementAndGet();
        return false;
    }

    /** Serves one TLS connection, whose place was {@link #reserve reserved}, on the calling thread until either side ends it. */
    void serve(SocketChannel ch, byte[] consumed) {
        try {
            bridge(ch, consumed);
        } finally {
            bridges.decrementAndGet();
            server.tlsPlaceFreed();
        }
    }

    private void bridge(SocketChannel ch, byte[] consumed) {
        Socket raw = ch.socket();
        SSLSocket tls = null;
        Socket plain = null;
        try {
            raw.setSoTimeout(HANDSHAKE_MILLIS);
            tls = (SSLSocket) context.get().getSocketFactory().createSocket(raw, new ByteArrayInputStream(consumed), true);
            open.add(tls);
            if (closed) return;
            tls.startHandshake();
            tls.setSoTimeout(0); // the plain side enforces the idle and request timeouts
            plain = new Socket();
            open.add(plain);
            plain.setTcpNoDelay(true);
            plain.connect(loopback(), HANDSHAKE_MILLIS);
            Socket back = plain;
            SSLSocket front = tls;
            Thread replies = new Thread(() -> relay(back, front, raw), "micros-tls-relay");
            replies.setDaemon(true);
            replies.start();
            relay(tls, plain, null);
        } catch (IOException | RuntimeException e) {
            // a failed handshake (an untrusted certificate, plain bytes after 0x16) ends the connection
        } finally {
            closeQuietly(plain);
            closeQuietly(tls != null ? tls : raw);
            try {
                ch.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    private InetSocketAddress loopback() {
        InetSocketAddress at = server.address();
        InetAddress a = at.getAddress();
        return a == null || a.isAnyLocalAddress() ? new InetSocketAddress(InetAddress.getLoopbackAddress(), at.getPort()) : at;
    }

    /**
     * Copies one direction; when it ends, the other direction is ended too. Writes to the client
     * ({@code cut} not null) get the write timeout: a client that stops reading has {@code cut},
     * its socket under the TLS layer, closed, which ends a write blocked inside TLS.
     */
    private void relay(Socket from, Socket to, Socket cut) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                Deadlines.Ticket t = cut == null ? null : server.deadlines.arm(server.writeTimeoutNanos());
                if (t != null) t.watch(cut);
                try {
                    out.write(buf, 0, n);
                    out.flush();
                } finally {
                    if (t != null) server.deadlines.disarm(t);
                }
            }
        } catch (IOException e) {
            // one side went away
        } finally {
            closeQuietly(to);
            closeQuietly(from);
        }
    }

    private void closeQuietly(Socket s) {
        if (s == null) return;
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    void close() {
        closed = true;
        for (Socket s : open) closeQuietly(s);
    }
}
