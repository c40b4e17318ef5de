package micros.gateway;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;

/**
 * One keep-alive HTTP/1.1 connection to a micro, with its own read buffer. A connection made by
 * the server's event loop is a non-blocking channel ({@link #channel}); a worker uses the blocking
 * streams, and takes over a loop connection by switching it to blocking mode.
 */
final class Upstream implements Closeable {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    static final int BUFFER = 16 * 1024;

    final Socket socket;
    final SocketChannel channel; // null for the readiness probe's plain socket
    private ByteBuffer view;      // buf as a buffer, for channel reads
    final InputStream in;
    final OutputStream out;
    final long generation;
    final byte[] buf = new byte[BUFFER];
    int pos, lim;
    long idleSince;
    boolean reused;
    boolean closeAfter; // the micro asked to close (or sent HTTP/1.0, or framing said so)
    boolean spent;      // the request on it said Connection: close: never pooled
    int keepAlive = -1; // the timeout (s) the last answer announced in Keep-Alive: timeout=N; -1 none

    Upstream(Socket socket, long generation) throws IOException {
        this.socket = socket;
        this.channel = socket.getChannel();
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.generation = generation;
    }

    static Upstream connect(int port, long generation) throws IOException {
        return connect(new InetSocketAddress(LOOPBACK, port), generation);
    }

    /** A connection to a micro that runs elsewhere; its name is looked up again for each new connection. */
    static Upstream connect(micros.runtime.Remote remote, long generation) throws IOException {
        InetSocketAddress address = new InetSocketAddress(remote.host(), remote.port());
        if (address.isUnresolved()) throw new java.net.UnknownHostException(remote.host());
        return connect(address, generation);
    }

    private static Upstream connect(InetSocketAddress address, long generation) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.socket().connect(address, 5000);
            return new Upstream(ch.socket(), generation);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * For the event loop: a non-blocking connection to a local micro, or null when the connection
     * is not made at once (a micro whose backlog is full must not stall the loop; a worker waits).
     */
    static Upstream connectNow(int port, long generation) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.configureBlocking(false);
            if (ch.connect(new InetSocketAddress(LOOPBACK, port)) || ch.finishConnect()) return new Upstream(ch.socket(), generation);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        ch.close();
        return null;
    }

    /** Non-blocking: reads what is there after {@code lim}; -1 at end of stream. */
    int readNow() throws IOException {
        if (view == null) view = ByteBuffer.wrap(buf);
        view.limit(buf.length).position(lim);
        int n = channel.read(view);
        if (n > 0) lim += n;
        return n;
    }

    /**
     * Non-blocking: whether an idle connection is still usable, by reading it. A micro that closed
     * it (a FIN already here), or sent bytes nobody asked for, makes it unusable.
     */
    boolean stillOpen() {
        try {
            return readNow() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads more bytes after {@code lim}, compacting the buffer first when it is full; -1 at end of stream. */
    int fill() throws IOException {
        if (lim == buf.length) {
            if (pos == 0) return 0; // full of unconsumed bytes: the caller decides
            System.arraycopy(buf, pos, buf, 0, lim - pos);
            lim -= pos;
            pos = 0;
        }
        int n = in.read(buf, lim, buf.length - lim);
        if (n > 0) lim += n;
        return n;
    }

    /** The next byte, reading more when needed. */
    int read() throws IOException {
        if (pos == lim) {
            pos = lim = 0;
            if (fill() <= 0) throw new EOFException("micro closed the connection");
        }
        return buf[pos++] & 0xff;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    /**
     * Idle connections to one micro. Connections from an earlier process (generation) are dropped.
     * The event loop's non-blocking connections have their own list, which only the loop touches.
     */
    static final class Pool {
        private static final long MAX_IDLE_NANOS = 2_000_000_000L; // under Node's and uvicorn's 5 s keep-alive
        /**
         * A request that must not be sent twice takes a pooled connection only when it came back
         * this recently, far inside any keep-alive timeout a server uses (1 s and up): the micro
         * cannot be closing it as the request arrives, which would leave a 502 (it is never retried).
         */
        private static final long ONCE_IDLE_NANOS = 250_000_000L;
        private static final int MAX_IDLE = 64;
        private final ArrayDeque<Upstream> idle = new ArrayDeque<>();
        private final ArrayDeque<Upstream> loopIdle = new ArrayDeque<>(); // the event loop's alone: no lock
        private long generation;
        final micros.runtime.Remote remote; // where the micro runs when it is not a local process, else null
        // what the micro's server said of itself, for the process of that generation (see framesBodies)
        private volatile long announcedBy = -1;
        private volatile long onceIdleNanos;

        Pool() {
            this(null);
        }

        Pool(micros.runtime.Remote remote) {
            this.remote = remote;
        }

        /** An idle connection to reuse, or null. */
        Upstream poll(long gen) {
            Upstream u;
            while ((u = take(gen)) != null) { // checked outside the lock: it is a system call
                if (quiet(u)) {
                    u.reused = true;
                    return u;
                }
                u.close();
            }
            return null;
        }

        private synchronized Upstream take(long gen) {
            if (gen != generation) {
                closeAll();
                generation = gen;
            }
            long now = System.nanoTime();
            Upstream u;
            while ((u = idle.pollLast()) != null) {
                if (now - u.idleSince < MAX_IDLE_NANOS) return u;
                u.close();
            }
            return null;
        }

        void offer(Upstream u) {
            if (u.spent) {
                u.close();
                return;
            }
            learn(u);
            synchronized (this) {
                if (u.generation > generation) { // the first connection of a new process
                    closeAll();
                    generation = u.generation;
                }
                if (u.generation == generation) {
                    u.idleSince = System.nanoTime();
                    closeStale(idle, u.idleSince);
                    if (idle.size() < MAX_IDLE) {
                        u.pos = u.lim = 0;
                        idle.addLast(u);
                        return;
                    }
                }
            }
            u.close();
        }

        /**
         * An idle connection must have nothing to read: bytes there were never asked for (an answer
         * to something the micro read out of a body, or garbage) and would be taken as the next answer.
         */
        private static boolean quiet(Upstream u) {
            try {
                return u.in.available() == 0;
            } catch (IOException e) {
                return false;
            }
        }

        /**
         * Whether the server of this process frames bodies itself: it announced its keep-alive
         * timeout (Keep-Alive: timeout=N, as Node's http does), so it manages its connections and
         * reads or drains every body before the next request (RFC 9112 §9.3). A body then goes on a
         * kept-alive connection; to any other server with Connection: close, since one that answers
         * without reading a body (Python's http.server) would take the body for its next request.
         */
        boolean framesBodies(long gen) {
            return announcedBy == gen;
        }

        /** A connection comes back: learn what its answer said of the micro's server. */
        private void learn(Upstream u) {
            if (u.keepAlive < 0 || announcedBy == u.generation) return;
            // Node says timeout=0 for a keep-alive under 1 s: then a POST never takes a pooled connection
            onceIdleNanos = u.keepAlive == 0 ? 0 : ONCE_IDLE_NANOS;
            announcedBy = u.generation;
        }

        /**
         * On the event loop: an idle non-blocking connection of this generation, or null. {@code once}:
         * for a request that must not be sent twice, to a micro that {@link #framesBodies}: only one
         * that came back moments ago, and that is seen still open just before it is used.
         */
        Upstream pollLoop(long gen, boolean once) {
            long now = System.nanoTime();
            Upstream u;
            while ((u = loopIdle.peekLast()) != null) {
                // closed by the loop when the micro hung up; from an older process; or idle too long
                if (u.channel.isOpen() && u.generation == gen && now - u.idleSince < MAX_IDLE_NANOS) {
                    if (once && (now - u.idleSince >= onceIdleNanos || announcedBy != gen)) return null; // the newest is too old: a fresh one
                    loopIdle.pollLast();
                    if (once && !u.stillOpen()) {
                        u.close();
                        continue;
                    }
                    u.reused = true;
                    return u;
                }
                loopIdle.pollLast().close();
            }
            return null;
        }

        /** On the event loop: keeps a connection whose exchange ended cleanly. */
        void offerLoop(Upstream u) {
            if (u.spent) {
                u.close();
                return;
            }
            learn(u);
            u.idleSince = System.nanoTime();
            closeStale(loopIdle, u.idleSince);
            if (loopIdle.size() >= MAX_IDLE) {
                u.close();
                return;
            }
            u.pos = u.lim = 0;
            loopIdle.addLast(u);
        }

        /**
         * Connections are taken newest first, so after a burst the oldest wait at the front until
         * they are too old to use: they are closed as new ones come back, instead of holding the
         * micro's sockets until the pool is next emptied.
         */
        private static void closeStale(ArrayDeque<Upstream> list, long now) {
            Upstream u;
            while ((u = list.peekFirst()) != null && now - u.idleSince >= MAX_IDLE_NANOS) list.pollFirst().close();
        }

        synchronized void drain(long gen) {
            if (gen >= generation) closeAll();
        }

        private void closeAll() {
            Upstream u;
            while ((u = idle.pollFirst()) != null) u.close();
        }
    }
}
