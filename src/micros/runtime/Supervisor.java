package micros.runtime;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import micros.sandbox.MicroGroup;
import micros.spacefile.App.Micro;

/**
 * Keeps one process micro: starts it when a request needs it (concurrent first requests
 * share one start), waits until its port accepts, stops it when idle, restarts it after a
 * crash with a growing back-off, and ends its whole process tree when told to.
 * No lock is held while spawning, probing or stopping.
 */
public final class Supervisor {
    public enum State { ASLEEP, STARTING, AWAKE, BACKOFF, STOPPING, UNAVAILABLE }

    /** Starts the micro's process with PORT set to the given port, through its group's wrapper. */
    public interface Spawner {
        Process spawn(int port, MicroGroup group) throws IOException;
    }

    /** Where a ready micro listens; {@code connection} is the probe's connection, already open, or null. */
    public record Endpoint(int port, long generation, Socket connection) {}

    // the endpoint of the process while the state is AWAKE, else null: read without the lock on every request
    private volatile Endpoint awakeEndpoint;

    /** A request cannot be served by this micro now; {@code status} is the HTTP status to answer with. */
    public static final class Unavailable extends Exception {
        private final int status;

        public Unavailable(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private final Micro micro;
    private final Spawner spawner;
    private final MicroGroup group;
    private final Duration startLimit;
    private final Log log;
    private String unavailableReason; // guarded by lock
    private final LogTail tail = new LogTail(50);
    private final OutputNotes notes = new OutputNotes();
    private final Object lock = new Object();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile Consumer<Long> onStop = generation -> { };
    // freezing between requests, as Space did: guarded by freezeLock (taken after lock, never before it)
    private final Object freezeLock = new Object();
    private final java.util.concurrent.ScheduledExecutorService freezer;
    private final java.util.concurrent.atomic.AtomicBoolean freezePending = new java.util.concurrent.atomic.AtomicBoolean();
    private static final long FREEZE_GRACE_NANOS = 100_000_000L;
    // written under freezeLock, read without it by each request (see thaw): freezing is set before the
    // freezer looks at inFlight, and a request counts itself in flight before it looks at either
    private volatile boolean frozen, freezing;
    private boolean announcedFreeze;

    // guarded by lock
    private State state;
    private Process process;
    private int port;
    private long generation;
    private CompletableFuture<Endpoint> starting;
    private int failures;
    private long backoffUntil;
    private String lastFailure;
    private String lastExit;
    private long lastExitGeneration;
    private String killed;   // why the last process was killed (a limit, the timeout), until the next start

    private volatile Remote remote; // set once, before the supervisor is shared
    private volatile long lastUsed = System.nanoTime();
    private volatile long readySince;
    private final AtomicLong coldStarts = new AtomicLong();
    private final AtomicLong spawns = new AtomicLong();
    private volatile long lastColdStartMillis = -1;
    private long lastRefused;   // touched by the runtime's monitor thread only
    private boolean refusing;

    /**
     * @param unavailableReason when not null, the micro cannot start at all (for example --dev without a dev command)
     */
    public Supervisor(Micro micro, Spawner spawner, MicroGroup group, Duration startLimit, Log log, String unavailableReason) {
        this(micro, spawner, group, startLimit, log, unavailableReason, null);
    }

    /** @param freezer when not null, the micro is frozen between requests (after 100 ms without one) on this executor */
    public Supervisor(Micro micro, Spawner spawner, MicroGroup group, Duration startLimit, Log log, String unavailableReason,
                      java.util.concurrent.ScheduledExecutorService freezer) {
        this.freezer = freezer;
        this.micro = micro;
        this.spawner = spawner;
        this.group = group;
        this.startLimit = startLimit;
        this.log = log;
        this.unavailableReason = unavailableReason;
        this.state = unavailableReason != null ? State.UNAVAILABLE : State.ASLEEP;
    }

    /**
     * A micro that runs elsewhere ({@code micros gateway}): always awake at the remote's port,
     * with nothing to start, stop, freeze or limit; the platform running it does that.
     */
    public static Supervisor remote(Micro micro, Remote remote, MicroGroup group, Log log) {
        Supervisor s = new Supervisor(micro, (port, g) -> { throw new IOException("it runs at " + remote.url()); }, group, Duration.ZERO, log, null);
        synchronized (s.lock) {
            s.remote = remote;
            s.state = State.AWAKE;
            s.port = remote.port();
            s.awakeEndpoint = new Endpoint(remote.port(), 0, null); // awake for good: the lock-free path serves it
        }
        return s;
    }

    /** Where the micro runs when it runs elsewhere, else null. */
    public Remote remote() {
        return remote;
    }

    public Micro micro() {
        return micro;
    }

    public void onStop(Consumer<Long> listener) {
        this.onStop = listener;
    }

    /**
     * The micro's endpoint, starting it first when it sleeps; counts the request as in flight
     * until {@link #release()}. Waits at most the start limit for a cold start.
     */
    public Endpoint acquire() throws Unavailable {
        Endpoint fast = awakeEndpoint; // awake: no lock on the request path
        if (fast != null) {
            inFlight.incrementAndGet();
            lastUsed = System.nanoTime();
            if (awakeEndpoint == fast) {
                thaw(); // in flight first, then thawed: a freeze that comes later sees the request
                return fast;
            }
            inFlight.decrementAndGet(); // it stopped meanwhile: the slow path says what to do
        }
        CompletableFuture<Endpoint> future;
        boolean starter = false;
        Endpoint awake = null;
        synchronized (lock) {
            while (state == State.STOPPING) {
                try {
                    lock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new Unavailable(503, "micro \"" + micro.name() + "\" is stopping");
                }
            }
            switch (state) {
                case AWAKE -> {
                    inFlight.incrementAndGet();
                    lastUsed = System.nanoTime();
                    awake = awakeEndpoint; // made once per process: no allocation per request
                }
                case UNAVAILABLE -> throw new Unavailable(503, unavailableReason);
                case BACKOFF -> {
                    long wait = backoffUntil - System.nanoTime();
                    if (wait > 0)
                        throw new Unavailable(503, "micro \"" + micro.name() + "\" " + lastFailure + "; micros will try again in "
                                + Math.max(1, TimeUnit.NANOSECONDS.toSeconds(wait + 999_999_999L)) + "s");
                }
                default -> { }
            }
            if (awake != null) {
                future = null;
            } else if (state == State.STARTING) {
                future = starting;
            } else {
                future = starting = new CompletableFuture<>();
                state = State.STARTING;
                awakeEndpoint = null;
                starter = true;
            }
        }
        if (awake != null) {
            thaw(); // in flight first, then thawed: a freeze that comes later sees the request
            return awake;
        }
        if (starter) start(future);
        try {
            Endpoint e = future.get(startLimit.toMillis() + 1000, TimeUnit.MILLISECONDS);
            inFlight.incrementAndGet();
            lastUsed = System.nanoTime();
            return starter ? e : new Endpoint(e.port(), e.generation(), null); // the probe's connection is the starter's alone
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Unavailable u) throw u;
            throw new Unavailable(503, "micro \"" + micro.name() + "\" could not start: " + e.getCause());
        } catch (TimeoutException e) {
            throw new Unavailable(503, "micro \"" + micro.name() + "\" is still starting");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable(503, "interrupted while micro \"" + micro.name() + "\" was starting");
        }
    }

    /**
     * For the event loop, which must not wait: the endpoint when the micro is awake and not frozen
     * (counted in flight until {@link #release()}), else null and nothing counted.
     */
    public Endpoint tryAcquire() {
        Endpoint fast = awakeEndpoint;
        if (fast == null || frozen || freezing) return null;
        inFlight.incrementAndGet();
        lastUsed = System.nanoTime();
        if (awakeEndpoint == fast && !frozen && !freezing) return fast; // in flight first: a freeze that comes later sees the request
        release();
        return null;
    }

    /** The request that acquired the micro is done. */
    public void release() {
        lastUsed = System.nanoTime();
        if (inFlight.decrementAndGet() == 0 && freezer != null && freezePending.compareAndSet(false, true))
            freezer.schedule(this::freezeIfIdle, FREEZE_GRACE_NANOS, TimeUnit.NANOSECONDS);
    }

    /** Freezes the micro's tasks when no request has come for the grace period (Space froze micros between requests). */
    private void freezeIfIdle() {
        freezePending.set(false);
        boolean announce = false;
        synchronized (freezeLock) {
            freezing = true; // before inFlight is read: a request arriving now takes freezeLock and waits (see thaw)
            try {
                announce = freezeNow();
            } finally {
                freezing = false;
            }
        }
        if (announce) log.event(micro.name() + ": frozen between requests, as on Space (thawed for each request; --no-freeze keeps it running)");
    }

    /** Under freezeLock: freezes when still idle; true the first time (to announce it). */
    private boolean freezeNow() {
        if (frozen || inFlight.get() > 0) return false;
        long idle = System.nanoTime() - lastUsed;
        if (idle < FREEZE_GRACE_NANOS) { // a request came and went meanwhile: look again later
            if (freezePending.compareAndSet(false, true))
                freezer.schedule(this::freezeIfIdle, FREEZE_GRACE_NANOS - idle, TimeUnit.NANOSECONDS);
            return false;
        }
        synchronized (lock) {
            if (state != State.AWAKE) return false;
        }
        if (!group.canFreeze()) return false;
        group.freeze();
        frozen = true;
        boolean first = !announcedFreeze;
        announcedFreeze = true;
        return first;
    }

    private void thaw() {
        if (!frozen && !freezing) return;
        synchronized (freezeLock) {
            if (!frozen) return;
            group.thaw();
            frozen = false;
        }
    }

    /** Whether the micro's tasks are frozen now, read without a lock: a request that sees it then thaws them (the request log says so). */
    public boolean frozenNow() {
        return frozen;
    }

    /** Whether the micro's tasks are frozen now. */
    public boolean frozen() {
        synchronized (freezeLock) {
            return frozen;
        }
    }

    private void start(CompletableFuture<Endpoint> future) {
        long t0 = System.nanoTime();
        Process p;
        int newPort;
        try {
            newPort = freePort();
            group.prepare();
            tail.mark();
            p = spawner.spawn(newPort, group);
        } catch (IOException e) {
            failStart(future, null, "could not be started: " + e.getMessage());
            return;
        } catch (java.io.UncheckedIOException e) {
            failStart(future, null, e.getMessage() + " (run with --no-limits to start without memory and process limits)");
            return;
        }
        spawns.incrementAndGet();
        long gen;
        synchronized (lock) {
            process = p;
            port = newPort;
            gen = ++generation;
        }
        OutputPump.start(micro.name(), p.getInputStream(), "stdout", this::output);
        OutputPump.start(micro.name(), p.getErrorStream(), "stderr", this::output);
        p.onExit().thenRun(() -> exited(p, gen));
        Socket connection = awaitPort(p, newPort, t0 + startLimit.toNanos());
        if (connection == null) {
            boolean alive = p.isAlive();
            if (alive) group.kill(p.toHandle());
            String why = alive ? "did not listen on its PORT within " + micros.util.Units.format(startLimit) : death(p) + " before listening on its PORT";
            failStart(future, p, why);
            return;
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        synchronized (lock) {
            if (process != p) { // stopped while starting
                closeQuietly(connection);
                future.completeExceptionally(new Unavailable(503, "micro \"" + micro.name() + "\" was stopped while starting"));
                return;
            }
            state = State.AWAKE;
            awakeEndpoint = new Endpoint(newPort, gen, null);
            failures = 0;
            starting = null;
            killed = null;
            readySince = System.nanoTime();
            lastColdStartMillis = ms;
            coldStarts.incrementAndGet();
        }
        log.event(micro.name() + ": cold start in " + ms + " ms (pid " + p.pid() + ", port " + newPort + ")");
        future.complete(new Endpoint(newPort, gen, connection));
    }

    /** Polls the port with a short growing pause until it accepts, the process exits, or time runs out. */
    private static Socket awaitPort(Process p, int port, long until) {
        long pauseMicros = 200;
        InetSocketAddress address = new InetSocketAddress(LOOPBACK, port);
        while (System.nanoTime() < until) {
            if (!p.isAlive()) return null;
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.connect(address, 1000);
                return s;
            } catch (IOException refused) {
                closeQuietly(s);
            }
            try {
                TimeUnit.MICROSECONDS.sleep(pauseMicros);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
            pauseMicros = Math.min(pauseMicros * 2, 5000);
        }
        return null;
    }

    private void failStart(CompletableFuture<Endpoint> future, Process p, String why) {
        String message;
        synchronized (lock) {
            if (state == State.STOPPING || state == State.UNAVAILABLE || (p != null && process != p)) { // stopped on purpose
                if (starting == future) starting = null;
                future.completeExceptionally(new Unavailable(503, "micro \"" + micro.name() + "\" was stopped while starting"));
                return;
            }
            if (p != null) process = null;
            failures++;
            long backoff = Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(failures - 1, 10));
            backoffUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
            state = State.BACKOFF;
            awakeEndpoint = null;
            starting = null;
            lastFailure = (failures > 1 ? "failed to start " + failures + " times in a row; last time it " : "") + why;
            message = "micro \"" + micro.name() + "\" " + why;
        }
        awaitOutput(p);
        log.event(micro.name() + ": failed to start: " + why + OutputNotes.lastWords(tail.sinceMark())); // its output is above, once
        future.completeExceptionally(new Unavailable(503, message));
    }

    /** Give the output pumps a moment to drain what a crashed process wrote last. */
    private static void awaitOutput(Process p) {
        if (p == null) return;
        try {
            p.onExit().get(200, TimeUnit.MILLISECONDS);
            Thread.sleep(20);
        } catch (Exception e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        }
    }

    private void output(String stream, String line) {
        tail.add(line);
        if (OutputNotes.killReport(line) && group.limitDeath() != null) return; // the kill has its own line (see exited)
        log.micro(micro.name(), stream, line);
        String note = notes.after(line);
        if (note != null) log.event(micro.name() + ": " + note);
    }

    private void exited(Process p, long gen) {
        String how = death(p);
        synchronized (lock) {
            lastExit = how;
            lastExitGeneration = gen;
            if (group.limitDeath() != null) killed = group.limitDeath();
            if (process != p) return; // stopped on purpose, or a start that failed
            if (state == State.STARTING || state == State.STOPPING) return; // the start or the stop reports it
            process = null;
            if (state == State.AWAKE) {
                state = State.ASLEEP;
                awakeEndpoint = null;
                long ranMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - readySince);
                if (ranMillis < 1000) { // a micro that dies right after starting is crashing, not finishing
                    failures++;
                    lastFailure = lastExit + " right after starting";
                    if (failures > 1) {
                        state = State.BACKOFF;
                        awakeEndpoint = null;
                        backoffUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(failures - 1, 10)));
                    }
                }
            }
            lock.notifyAll();
        }
        log.event(micro.name() + ": " + how + "; the next request starts it again");
        onStop.accept(gen);
    }

    /** Stops the micro's process tree: SIGTERM, then SIGKILL after the grace. */
    public void stop(String reason, Duration grace) {
        Process p;
        long gen;
        synchronized (lock) {
            if (process == null) return;
            p = process;
            gen = generation;
            state = State.STOPPING;
            awakeEndpoint = null;
        }
        log.event(micro.name() + ": stopping (" + reason + "): micros sends it " + (grace.isZero() ? "SIGKILL" : "SIGTERM, then SIGKILL after " + grace.toSeconds() + "s"));
        synchronized (freezeLock) {
            frozen = false; // terminate and kill thaw the group first: a frozen task would not see the signal
        }
        if (grace.isZero()) {
            synchronized (lock) {
                killed = "killed: " + reason;
            }
        }
        boolean forced = grace.isZero() ? killNow(p) : group.terminate(p.toHandle(), grace);
        if (forced && !grace.isZero()) log.event(micro.name() + ": did not stop within " + grace.toSeconds() + "s; sent SIGKILL");
        synchronized (lock) {
            if (process == p) process = null;
            if (state == State.STOPPING) {
                state = unavailableReason != null ? State.UNAVAILABLE : State.ASLEEP;
                awakeEndpoint = null;
            }
            lock.notifyAll();
        }
        onStop.accept(gen);
    }

    /** No more starts: the emulator is shutting down; then stops the process. */
    public void retire(String reason, Duration grace) {
        synchronized (lock) {
            unavailableReason = reason;
            if (process == null) {
                state = State.UNAVAILABLE;
                awakeEndpoint = null;
            }
        }
        stop(reason, grace);
        synchronized (lock) {
            state = State.UNAVAILABLE;
            awakeEndpoint = null;
        }
        group.remove();
    }

    private boolean killNow(Process p) {
        group.kill(p.toHandle());
        return true;
    }

    /** Stops an awake micro that has had no request for {@code idle}. */
    public void sleepIfIdle(Duration idle) {
        if (idle.isZero() || inFlight.get() > 0) return;
        synchronized (lock) {
            if (state != State.AWAKE) return;
        }
        if (System.nanoTime() - lastUsed > idle.toNanos()) stop("idle for " + micros.util.Units.format(idle), Duration.ofSeconds(5));
    }

    /** How the process of that generation ended ("exited with code 1", "was killed: out of memory (512 MiB limit)"), or null while it runs. */
    public String exitOf(long gen) {
        synchronized (lock) {
            return lastExitGeneration == gen ? lastExit : null;
        }
    }

    /** Whether the process of this generation is gone (it crashed or was stopped). */
    public boolean ended(long gen) {
        synchronized (lock) {
            return generation != gen || process == null || !process.isAlive();
        }
    }

    public State state() {
        synchronized (lock) {
            return state;
        }
    }

    public long pid() {
        Process p;
        synchronized (lock) {
            p = process;
        }
        return p == null ? -1 : p.pid();
    }

    /** How long the current process has been ready, in ms; -1 when none runs. */
    public long uptimeMillis() {
        synchronized (lock) {
            if (state != State.AWAKE || process == null) return -1;
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - readySince);
    }

    /** Why the micro cannot start, its last failure, or why it was killed (for the dashboard), redacted as the log is. */
    public String problem() {
        String p;
        synchronized (lock) {
            p = state == State.UNAVAILABLE ? unavailableReason : state == State.BACKOFF ? lastFailure : state == State.ASLEEP ? killed : null;
        }
        return p == null ? null : log.redact(p);
    }

    /** Asleep because a limit or the timeout killed its process (the dashboard shows "killed"). */
    public boolean killed() {
        synchronized (lock) {
            return state == State.ASLEEP && killed != null;
        }
    }

    public int inFlight() {
        return inFlight.get();
    }

    public long coldStarts() {
        return coldStarts.get();
    }

    public long spawns() {
        return spawns.get();
    }

    public long lastColdStartMillis() {
        return lastColdStartMillis;
    }

    /** The last lines, redacted as the log is (the dashboard shows them). */
    public List<String> lastLines(int n) {
        return tail.excerpt(n).stream().map(log::redact).toList();
    }

    /** How a process ended, as a phrase after the micro's name: the limit that killed it, or its exit status. */
    private String death(Process p) {
        String limit = group.limitDeath();
        if (limit != null) return "was " + limit;
        int code = p.exitValue();
        if (code > 128 && code < 160) return "was killed by signal " + (code - 128) + signalName(code - 128);
        return "exited with code " + code + switch (code) {
            case 127 -> " (command not found)";
            case 126 -> " (not executable)";
            case 125 -> " (could not join its cgroup)";
            default -> "";
        };
    }

    /** Called every moment by the runtime: logs pids-limit refusals once per burst; ends a micro the OOM killer hit. */
    public void watchLimits(int pidsLimit) {
        long refused = group.pidsRefused();
        if (refused > lastRefused) {
            if (!refusing)
                log.event(micro.name() + ": the process limit (" + pidsLimit + " processes and threads, Space's limit) refused a fork or a new thread");
            refusing = true;
        } else {
            refusing = false;
        }
        lastRefused = refused;
        Process p;
        synchronized (lock) {
            p = state == State.AWAKE ? process : null;
        }
        if (p != null && p.isAlive() && group.limitDeath() != null) { // the OOM killer took part of the micro: end all of it
            group.kill(p.toHandle()); // its exit is logged, once (see exited)
        }
    }

    public MicroGroup group() {
        return group;
    }

    private static String signalName(int sig) {
        return switch (sig) {
            case 9 -> " (SIGKILL)";
            case 15 -> " (SIGTERM)";
            case 11 -> " (SIGSEGV)";
            case 6 -> " (SIGABRT)";
            case 2 -> " (SIGINT)";
            default -> "";
        };
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
