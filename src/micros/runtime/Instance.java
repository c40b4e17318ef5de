package micros.runtime;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import micros.sandbox.MicroGroup;

/**
 * One process of a micro: an instance, as Space's Lambda ran one per concurrent execution. It
 * has its own port, its own cgroup (its slot's), and in the sandbox its own pid namespace and
 * /tmp. Requests claim it without a lock: {@link #load} counts the requests it holds, or is
 * {@link #FREEZING} while micros freezes it, or far below zero once it is closed (stopping,
 * killed or gone), so nothing claims it again.
 */
public final class Instance {
    static final int FREEZING = -1;
    private static final int CLOSED = Integer.MIN_VALUE / 2;

    final int slot;          // its place in the micro's table, 0-based; its cgroup is the slot's
    final long number;       // 1, 2, 3 ... for each micro: what the log and the request log call it
    final MicroGroup group;
    final LogTail tail = new LogTail(20); // its own output, for a start that fails
    private final AtomicInteger load = new AtomicInteger(1); // made for the request that starts it
    final AtomicBoolean freezePending = new AtomicBoolean();
    final AtomicInteger killers = new AtomicInteger(); // kills of its group at work: its slot waits for them (see Supervisor.freeWhenDone)
    volatile Process process;
    volatile int port;
    volatile boolean ready;     // its port accepted a connection: requests may claim it
    volatile boolean frozen;
    volatile boolean stopping;  // stopped or killed on purpose: its exit is no crash
    volatile long lastUsed = System.nanoTime();
    volatile long readySince;
    volatile String exit;       // how it ended, once it has
    // made once it is ready, so a warm request allocates nothing: one as it is, one that says it thawed
    Supervisor.Endpoint warm, thawed;
    long refusedSeen;           // pids-limit refusals already seen (the runtime's monitor thread only)
    final Runnable freezeTask;  // what the freezer runs for it, made once

    Instance(int slot, long number, MicroGroup group, java.util.function.Consumer<Instance> freezeIfIdle) {
        this.slot = slot;
        this.number = number;
        this.group = group;
        this.freezeTask = () -> freezeIfIdle.accept(this);
    }

    /** Its number among the micro's instances (1, 2, ...), as the log names it. */
    public long number() {
        return number;
    }

    /** Its place in the micro's table, 0-based (a slot's cgroup and pooled connections serve the instances that take it). */
    public int slot() {
        return slot;
    }

    /** How it ended ("exited with code 1", "was killed: out of memory (512 MiB limit)"), or null while it runs. */
    public String exit() {
        return exit;
    }

    /** Takes a place for one request when it holds fewer than {@code max} and is neither being frozen nor closed. */
    boolean tryClaim(int max) {
        for (;;) {
            int n = load.get();
            if (n < 0 || n >= max) return false;
            if (load.compareAndSet(n, n + 1)) {
                lastUsed = System.nanoTime();
                return true;
            }
        }
    }

    /** Gives a request's place back; returns how many it still holds (below zero once closed). */
    int release() {
        lastUsed = System.nanoTime();
        return load.decrementAndGet();
    }

    /** Nothing claims it from now on; true the first time. */
    boolean close() {
        for (;;) {
            int n = load.get();
            if (n < CLOSED / 2) return false;
            if (load.compareAndSet(n, n + CLOSED)) return true;
        }
    }

    /** Closes it when no request holds it and nothing freezes it (an idle stop). */
    boolean closeIfIdle() {
        return load.compareAndSet(0, CLOSED);
    }

    boolean closed() {
        return load.get() < CLOSED / 2;
    }

    boolean freezingNow() {
        return load.get() == FREEZING;
    }

    /** Requests it holds now. */
    int inFlight() {
        int n = load.get();
        return n < CLOSED / 2 ? Math.max(0, n - CLOSED) : Math.max(0, n);
    }

    /** Waits for a freeze in progress to end (it holds this instance's monitor). */
    void awaitFreezing() {
        synchronized (this) {
            // nothing: the freeze is over
        }
    }

    /** Freezes its tasks when it is ready, idle and not frozen yet; true when it did. */
    synchronized boolean freeze() {
        if (frozen || !ready || !load.compareAndSet(0, FREEZING)) return false;
        try {
            if (!group.canFreeze()) return false;
            group.freeze();
            frozen = true;
            return true;
        } finally {
            load.compareAndSet(FREEZING, 0);
        }
    }

    /** For a request that claimed it: thaws it when frozen; true when it did. */
    boolean thawForRequest() {
        if (!frozen) return false;
        synchronized (this) {
            if (!frozen) return false;
            group.thaw();
            frozen = false;
            return true;
        }
    }

    /** Its process is about to be signalled: a frozen task would not see it, so it is thawed by the group; forget it was frozen. */
    synchronized void unfreezeFlag() {
        frozen = false;
    }

    long pid() {
        Process p = process;
        return p == null ? -1 : p.pid();
    }

    long uptimeMillis() {
        return ready ? TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - readySince) : -1;
    }

    /** What the dashboard says of it: starting, running (holding a request), frozen, warm (idle, ready), stopping. */
    String state() {
        if (closed()) return "stopping";
        if (!ready) return "starting";
        if (inFlight() > 0) return "running";
        return frozen ? "frozen" : "warm";
    }
}
