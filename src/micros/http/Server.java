package micros.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * micros' HTTP/1.1 server. An event loop ({@link Loop}) reads every connection's next request
 * and forwards the plain ones itself ({@link Handler#relay}); the rest get a worker thread with
 * blocking I/O until they wait again. Threads are bounded; on Java 21+ they are virtual threads.
 */
public final class Server {
    /**
     * Tunables; the defaults suit a development gateway. {@code headTimeout}: from a head's first
     * byte to its end; {@code bodyTimeout}: from the end of the head to the body's last byte;
     * {@code maxBody}: the largest request body read (413 past it; 0 = no limit).
     */
    public record Settings(int maxThreads, Duration headTimeout, Duration bodyTimeout, Duration writeTimeout, Duration idleTimeout, long maxBody) {
        public static final Settings DEFAULT = new Settings(512, Duration.ofSeconds(30), Duration.ofSeconds(30),
                Duration.ofSeconds(60), Duration.ofSeconds(60), 0);

        public Settings withMaxBody(long bytes) {
            return new Settings(maxThreads, headTimeout, bodyTimeout, writeTimeout, idleTimeout, bytes);
        }

        /** How long a client may take to send a request: its head, and then its body. */
        public Settings withReadTimeout(Duration d) {
            return new Settings(maxThreads, d, d, writeTimeout, idleTimeout, maxBody);
        }
    }

    private static final int ACCEPT_PAUSE_MILLIS = 50;
    private static final long NOTICE_NANOS = 60_000_000_000L;
    private static final java.nio.file.Path SPOOL = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));

    final Handler handler;
    final TlsBridge tls;   // null: plain HTTP only
    final Deadlines deadlines = new Deadlines();
    private final Settings settings;
    private final ServerSocketChannel listener;
    private final InetSocketAddress address; // kept: a closed channel has none, and a banner printed as micros stops still names it
    private final ExecutorService workers;
    private final boolean virtual;
    private final Loop loop;
    private final Thread acceptor;
    private final AtomicInteger busy = new AtomicInteger();   // connections that have a thread
    private final java.util.concurrent.ConcurrentLinkedQueue<Connection> waiting = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private final BiConsumer<Exchange, RuntimeException> onError;
    private final Consumer<String> notices;
    private volatile boolean running = true;
    private final java.util.concurrent.ArrayBlockingQueue<byte[]> readBuffers = new java.util.concurrent.ArrayBlockingQueue<>(32);

    private Server(ServerSocketChannel listener, Handler handler, Settings settings, BiConsumer<Exchange, RuntimeException> onError,
                   java.util.function.Supplier<javax.net.ssl.SSLContext> tls, Consumer<String> notices) throws IOException {
        this.listener = listener;
        this.address = (InetSocketAddress) listener.getLocalAddress();
        this.handler = handler;
        this.settings = settings;
        this.onError = onError;
        this.notices = notices;
        ExecutorService v = newVirtualExecutor();
        this.virtual = v != null;
        this.workers = v != null ? v : platformThreads(settings.maxThreads());
        // an open TLS connection holds a worker and a relay thread: with platform workers, at most
        // three quarters of them, so that plain HTTP and what TLS relays to it always find one
        this.tls = tls == null ? null : new TlsBridge(tls, this, virtual ? 4096 : Math.max(1, settings.maxThreads() - settings.maxThreads() / 4));
        this.loop = new Loop(this);
        this.acceptor = new Thread(this::accept, "micros-http-acceptor");
        acceptor.setDaemon(true);
    }

    /** Binds and starts serving; BindException when the port is taken. */
    public static Server start(String host, int port, Handler handler, Settings settings, BiConsumer<Exchange, RuntimeException> onError) throws IOException {
        return start(host, port, handler, settings, onError, null);
    }

    /**
     * As above; with a TLS context the port also answers TLS (a connection whose first byte is a
     * TLS handshake). The context is asked for at the first such connection (it may still be loading).
     */
    public static Server start(String host, int port, Handler handler, Settings settings, BiConsumer<Exchange, RuntimeException> onError,
                               java.util.function.Supplier<javax.net.ssl.SSLContext> tls) throws IOException {
        return start(host, port, handler, settings, onError, tls, System.err::println);
    }

    /** As above; {@code notices} gets what concerns the whole server rather than one request (it cannot accept connections). */
    public static Server start(String host, int port, Handler handler, Settings settings, BiConsumer<Exchange, RuntimeException> onError,
                               java.util.function.Supplier<javax.net.ssl.SSLContext> tls, Consumer<String> notices) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(new InetSocketAddress(host, port), 1024);
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        Server s = new Server(ch, handler, settings, onError, tls, notices);
        s.acceptor.start();
        return s;
    }

    public int port() {
        return address.getPort();
    }

    /** Where it listens. */
    public InetSocketAddress address() {
        return address;
    }

    /** A TLS connection ended: the loop lets one that waits for a place go on. */
    void tlsPlaceFreed() {
        loop.tlsPlaceFreed();
    }

    /** Whether request threads are virtual (Java 21+). */
    public boolean virtualThreads() {
        return virtual;
    }

    public int connections() {
        return open.size();
    }

    /**
     * A failed accept is retried after a pause, never at once: out of file descriptors (EMFILE), it
     * fails until a connection closes, and retrying at once spins a core. Clients wait in the
     * listen queue meanwhile. It is logged at most once a minute, not once per failure.
     */
    private void accept() {
        long quietUntil = System.nanoTime();
        while (running) {
            SocketChannel c;
            try {
                c = listener.accept();
            } catch (IOException | RuntimeException e) {
                if (!running) return;
                long now = System.nanoTime();
                if (now - quietUntil >= 0) {
                    quietUntil = now + NOTICE_NANOS;
                    try {
                        notices.accept(acceptFailed(e));
                    } catch (RuntimeException broken) {
                        // the acceptor goes on regardless
                    }
                }
                try {
                    Thread.sleep(ACCEPT_PAUSE_MILLIS);
                } catch (InterruptedException stopping) {
                    return;
                }
                continue;
            }
            try {
                Connection conn = new Connection(this, c);
                open.add(conn);
                if (!loop.park(conn)) conn.closeNow();
            } catch (IOException | RuntimeException e) { // the client left at once (its options cannot be set)
                try {
                    c.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    private String acceptFailed(Exception e) {
        InetSocketAddress at = address();
        String where = "cannot accept connections on " + at.getHostString() + ":" + at.getPort() + ": ";
        if ("Too many open files".equals(e.getMessage())) // EMFILE: this process's limit, not the system's
            return where + "micros has as many connections and files open as it may (Too many open files); new clients wait until some close. "
                    + "Raise the limit with `ulimit -n` before starting micros";
        return where + e + "; trying again every " + ACCEPT_PAUSE_MILLIS + " ms";
    }

    /** Gives the connection a thread: an idle one if there is one, a new one up to the bound, else it waits its turn. */
    void resume(Connection c) {
        if (busy.incrementAndGet() > settings.maxThreads() && !virtual) {
            busy.decrementAndGet();
            waiting.add(c);
            drain();
            return;
        }
        try {
            workers.execute(() -> work(c));
        } catch (RuntimeException rejected) { // shutting down
            busy.decrementAndGet();
            c.close();
        }
    }

    private void work(Connection first) {
        try {
            for (Connection c = first; c != null; c = waiting.poll()) c.run();
        } finally {
            busy.decrementAndGet();
        }
        drain(); // a connection may have queued after the last poll
    }

    private void drain() {
        while (!waiting.isEmpty()) {
            if (busy.incrementAndGet() > settings.maxThreads()) {
                busy.decrementAndGet();
                return;
            }
            Connection c = waiting.poll();
            if (c == null) {
                busy.decrementAndGet();
                return;
            }
            try {
                workers.execute(() -> work(c));
            } catch (RuntimeException rejected) {
                busy.decrementAndGet();
                c.close();
            }
        }
    }

    boolean park(Connection c) {
        return loop.park(c);
    }

    void closed(Connection c) {
        open.remove(c);
    }

    void internalError(Exchange ex, RuntimeException e) {
        onError.accept(ex, e);
    }

    /**
     * How long a thread waits for the next piece of a body that arrives at speed before parking the
     * connection: long while threads are plentiful, short when they are scarce.
     */
    int linger() {
        if (virtual) return (int) settings.idleTimeout().toMillis();
        return busy.get() > settings.maxThreads() / 2 ? 10 : 200;
    }

    long headTimeoutNanos() {
        return settings.headTimeout().toNanos();
    }

    long bodyTimeoutNanos() {
        return settings.bodyTimeout().toNanos();
    }

    long maxBody() {
        return settings.maxBody();
    }

    /** A read buffer for request bodies, lent for one stretch of reading (a parked connection holds none). */
    byte[] borrow() {
        byte[] b = readBuffers.poll();
        return b != null ? b : new byte[64 * 1024];
    }

    void giveBack(byte[] b) {
        readBuffers.offer(b);
    }

    /** Where bodies too large for memory wait (unlinked at once). */
    java.nio.file.Path spool() {
        return SPOOL;
    }

    long writeTimeoutNanos() {
        return settings.writeTimeout().toNanos();
    }

    long idleTimeoutNanos() {
        return settings.idleTimeout().toNanos();
    }

    public void stop() {
        running = false;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        acceptor.interrupt();
        loop.close();
        for (Connection c : open) c.closeNow();
        if (tls != null) tls.close();
        workers.shutdownNow();
        deadlines.close();
    }

    /** Idle threads are reused before new ones are made; {@link #resume} keeps the count under the bound. */
    private static ExecutorService platformThreads(int max) {
        AtomicInteger n = new AtomicInteger();
        return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(null, r, "micros-http-" + n.incrementAndGet(), 256 * 1024);
            t.setDaemon(true);
            return t;
        });
    }

    /** Executors.newVirtualThreadPerTaskExecutor() when this Java has it (21+); compiled for 17, so found at run time. */
    private static ExecutorService newVirtualExecutor() {
        if (Boolean.getBoolean("micros.platformThreads")) return null;
        try {
            return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
