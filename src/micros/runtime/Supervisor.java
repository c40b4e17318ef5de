package micros.runtime;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.IntFunction;

import micros.sandbox.MicroGroup;
import micros.spacefile.App.Micro;

/**
 * Keeps one process micro's instances, as Space ran them: a request takes an idle warm instance
 * (thawing it), or starts a new one (a cold start) while the micro has fewer than its cap; past
 * the cap it waits, in order, for an instance to come free, up to the execution timeout. An
 * instance serves one request at a time, except with a cap of 1: then its one process takes every
 * request at once (micros before instances, for apps that need it). Idle instances freeze, and
 * stop after --idle; one that crashes or is killed is replaced on demand, with a growing back-off
 * for a micro that fails to start. Warm requests claim an instance without a lock; no lock is held
 * while spawning, probing, freezing or stopping.
 */
public final class Supervisor {
    public enum State { ASLEEP, STARTING, AWAKE, BACKOFF, STOPPING, UNAVAILABLE }

    /** Starts an instance's process with PORT set to the given port, through its group's wrapper; {@code slot} keeps instances' folders apart. */
    public interface Spawner {
        Process spawn(int port, MicroGroup group, int slot) throws IOException;

        /** Who other than the micro listens on {@code port} ("uid 0"), once it accepts a connection; null: no one. */
        default String squatter(int port) {
            return null;
        }
    }

    /**
     * Where a request goes: an instance's port. {@code connection} is the readiness probe's, already
     * open, for the request that started the instance, else null; {@code cold}: the request waited
     * for a start; {@code thawed}: it thawed the instance. The gateway gives it back to {@link #release}.
     */
    public record Endpoint(Instance instance, int port, long generation, Socket connection, boolean cold, boolean thawed) {}

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

    /** One instance as the dashboard shows it. */
    public record InstanceView(long number, long pid, String state, long uptimeMillis, int inFlight, long memoryBytes) {}

    /** A request waiting in line: it is given an instance, a start to make, or a refusal (written under the lock, then its thread is woken). */
    private static final class Waiter {
        final Thread thread = Thread.currentThread();
        volatile Instance given, start;
        volatile Unavailable failed;

        boolean answered() {
            return given != null || start != null || failed != null;
        }
    }

    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final long FREEZE_GRACE_NANOS = 100_000_000L;
    private static final Duration IDLE_GRACE = Duration.ofSeconds(5);

    private final Micro micro;
    private final Spawner spawner;
    private final MicroGroup[] groups;   // one per slot: an instance runs in its slot's group
    private final Duration startLimit;   // the execution timeout: for a start, and for a wait past the cap
    private final Log log;
    private final int cap, perInstance;
    private final AtomicReferenceArray<Instance> slots;
    private final LogTail tail = new LogTail(50);
    private final OutputNotes notes = new OutputNotes();
    private final Object lock = new Object();
    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>(); // guarded by lock
    private volatile int waiting;         // waiters.size(): every request reads it, without the lock
    private final ScheduledExecutorService freezer;
    private final AtomicBoolean announcedFreeze = new AtomicBoolean();
    private volatile Consumer<Instance> onStop = i -> { };
    private volatile Remote remote;       // set once, before the supervisor is shared

    // guarded by lock
    private String unavailableReason;
    private boolean retired;
    private int live;                     // instances in the table: starting, ready or stopping
    private long made;                    // instances made so far: the last one's number
    private int failures;
    private long backoffUntil;
    private boolean backingOff;
    private String lastFailure;
    private String killed;                // why the last instance to end was killed (a limit, the timeout), until the next start

    private final AtomicLong coldStarts = new AtomicLong(), spawns = new AtomicLong();
    private volatile long lastColdStartMillis = -1;
    private long lastServed;              // the instance the last request took (check names it); racy on purpose
    private long served;                  // requests that took an instance: a plain count, racy on purpose (check only sees it change)
    private boolean refusing;             // the monitor thread's

    /**
     * @param groups            the cgroup of each slot (made on first use)
     * @param cap               instances at most; 1: one process takes every request at once
     * @param unavailableReason when not null, the micro cannot start at all (for example --dev without a dev command)
     * @param freezer           when not null, idle instances are frozen (after 100 ms without a request) on this executor
     */
    public Supervisor(Micro micro, Spawner spawner, IntFunction<MicroGroup> groups, int cap, Duration startLimit, Log log,
                      String unavailableReason, ScheduledExecutorService freezer) {
        if (cap < 1) throw new IllegalArgumentException("cap " + cap);
        this.micro = micro;
        this.spawner = spawner;
        this.cap = cap;
        this.perInstance = cap == 1 ? Integer.MAX_VALUE : 1;
        this.groups = new MicroGroup[cap];
        for (int k = 0; k < cap; k++) this.groups[k] = groups.apply(k);
        this.slots = new AtomicReferenceArray<>(cap);
        this.startLimit = startLimit;
        this.log = log;
        this.unavailableReason = unavailableReason;
        this.freezer = freezer;
    }

    /** A micro that cannot start at all: every request gets 503 with the reason. */
    public static Supervisor unavailable(Micro micro, MicroGroup group, Log log, String reason) {
        return new Supervisor(micro, (port, g, slot) -> { throw new IOException(reason); }, slot -> group, 1, Duration.ZERO, log, reason, null);
    }

    /**
     * A micro that runs elsewhere ({@code micros gateway}): one instance, always awake at the
     * remote's port, taking every request; nothing to start, stop, freeze or limit.
     */
    public static Supervisor remote(Micro micro, Remote remote, MicroGroup group, Log log) {
        Supervisor s = new Supervisor(micro, (port, g, slot) -> { throw new IOException("it runs at " + remote.url()); }, slot -> group, 1, Duration.ZERO, log, null, null);
        Instance i = new Instance(0, 0, group, ignored -> { });
        i.port = remote.port();
        i.warm = new Endpoint(i, remote.port(), 0, null, false, false);
        i.thawed = i.warm;
        i.readySince = System.nanoTime();
        i.release(); // made for a starter: there is none
        i.ready = true;
        synchronized (s.lock) {
            s.remote = remote;
            s.slots.set(0, i);
            s.live = 1;
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

    /** The most instances the micro may have at once. */
    public int cap() {
        return cap;
    }

    /** Called when an instance has ended (its pooled connections are of no use). */
    public void onStop(Consumer<Instance> listener) {
        this.onStop = listener;
    }

    // ---- the request path ----

    /**
     * An instance for one request: an idle one, or a new one (a cold start, up to the start limit),
     * or, past the cap, the next that comes free (waiting in line up to the execution timeout).
     * The request holds it until {@link #release}.
     */
    public Endpoint acquire() throws Unavailable {
        return acquire(() -> true);
    }

    /**
     * As {@link #acquire()}, for a request whose client may leave while it waits in line:
     * {@code wanted} says whether it is still there (a look that must not wait). One that left is
     * taken out of the line, or gives back the instance it was given, and gets {@link Unavailable}
     * with status 0 (nothing to answer): an instance never runs a request nobody waits for.
     */
    public Endpoint acquire(java.util.function.BooleanSupplier wanted) throws Unavailable {
        if (waiting == 0) {
            Endpoint e = claim();
            if (e != null) return e;
        }
        Waiter w = new Waiter();
        synchronized (lock) {
            waiters.addLast(w);
            waiting = waiters.size(); // before it looks for an idle instance: a release after that look sees it (see release)
            dispatchLocked();
        }
        Endpoint e = await(w, wanted);
        if (!wanted.getAsBoolean()) { // given an instance (or a new one) after waiting, its client gone: the next in line takes it
            if (e.connection() != null) closeQuietly(e.connection());
            release(e);
            throw CLIENT_LEFT;
        }
        return e;
    }

    /** How often a request in line looks whether its client is still there. */
    private static final long WANTED_CHECK_NANOS = 250_000_000L;
    private static final Unavailable CLIENT_LEFT = new Unavailable(0, "the client left while its request waited for an instance");

    /**
     * For the event loop, which must not wait: an idle instance that is not frozen (held until
     * {@link #release}), else null and nothing held. Requests in line go first.
     */
    public Endpoint tryAcquire() {
        if (waiting != 0) return null;
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i == null || !i.ready || i.frozen) continue;
            if (i.tryClaim(perInstance)) {
                if (!i.frozen) return took(i).warm;
                release(i.warm); // it froze between the look and the claim: a worker thaws it
                return null;
            }
        }
        return null;
    }

    /**
     * The request that acquired this instance is done with it. The place is given back before
     * {@code waiting} is read, and a request that joins the line writes {@code waiting} before it
     * looks for an idle instance: one of the two sees the other, so no request waits for nothing.
     */
    public void release(Endpoint ep) {
        Instance i = ep.instance();
        int n = i.release();
        if (n < 0) return; // closed: it is being stopped or has ended
        if (waiting > 0 && n < perInstance) dispatch();
        if (n == 0 && freezer != null && i.freezePending.compareAndSet(false, true))
            freezer.schedule(i.freezeTask, FREEZE_GRACE_NANOS, TimeUnit.NANOSECONDS);
    }

    /** The first idle instance (thawed for the request when frozen), waiting out a freeze in progress; null when none is idle. */
    private Endpoint claim() {
        boolean freezing = false;
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i == null || !i.ready) continue;
            if (i.tryClaim(perInstance)) return endpoint(i);
            freezing |= i.freezingNow();
        }
        if (!freezing) return null;
        for (int k = 0; k < cap; k++) { // none idle but one being frozen: it is idle again in a moment (a thaw beats a cold start)
            Instance i = slots.get(k);
            if (i == null || !i.ready) continue;
            if (i.freezingNow()) i.awaitFreezing();
            if (i.tryClaim(perInstance)) return endpoint(i);
        }
        return null;
    }

    /** Notes which instance a request took, for check (plain writes: no lock, no allocation). */
    private Instance took(Instance i) {
        lastServed = i.number;
        served++;
        return i;
    }

    private Endpoint endpoint(Instance i) {
        took(i);
        return i.thawForRequest() ? i.thawed : i.warm; // claimed first, then thawed: a freeze that comes later sees the request
    }

    /** Under the lock: the first idle instance, claimed; null when none is. */
    private Instance claimReady() {
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i != null && i.ready && i.tryClaim(perInstance)) return i;
        }
        return null;
    }

    private boolean anyFreezing() {
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i != null && i.freezingNow()) return true;
        }
        return false;
    }

    private void dispatch() {
        synchronized (lock) {
            dispatchLocked();
        }
    }

    /** Answers the requests in line, in order, as far as it can: an idle instance, a start, or why none comes. */
    private void dispatchLocked() {
        while (!waiters.isEmpty()) {
            Waiter w = waiters.peekFirst();
            Instance i = claimReady();
            if (i != null) w.given = i;
            else if (anyFreezing()) break; // idle in a moment: the freezer dispatches again
            else if (mayStartLocked()) w.start = reserveLocked();
            else if (live == 0) w.failed = refusalLocked(); // nothing to wait for
            else break; // an instance comes free, or becomes ready, later
            waiters.pollFirst();
            LockSupport.unpark(w.thread);
        }
        waiting = waiters.size();
    }

    private boolean mayStartLocked() {
        return !retired && unavailableReason == null && live < cap && !(backingOff && System.nanoTime() - backoffUntil < 0);
    }

    /** Why no instance can start now. */
    private Unavailable refusalLocked() {
        if (retired || unavailableReason != null) return new Unavailable(503, unavailableReason);
        long wait = backoffUntil - System.nanoTime();
        return new Unavailable(503, "micro \"" + micro.name() + "\" " + lastFailure + "; micros will try again in "
                + Math.max(1, TimeUnit.NANOSECONDS.toSeconds(wait + 999_999_999L)) + "s");
    }

    /** A new instance in a free slot, held for the request that starts it. */
    private Instance reserveLocked() {
        int k = 0;
        while (slots.get(k) != null) k++;
        Instance i = new Instance(k, ++made, groups[k], this::freezeIfIdle);
        slots.set(k, i);
        live++;
        return i;
    }

    private void freeLocked(Instance i) {
        if (slots.get(i.slot) == i) {
            slots.set(i.slot, null);
            live--;
        }
    }

    /** Waits in line for an answer, then takes the instance, makes the start, or says why not. */
    private Endpoint await(Waiter w, java.util.function.BooleanSupplier wanted) throws Unavailable {
        // a shared instance's start may take the whole start limit; past the cap, a request waits the execution timeout
        long until = System.nanoTime() + startLimit.toNanos() + (perInstance > 1 ? 1_000_000_000L : 0);
        while (!w.answered()) { // each waiter is woken alone (no herd through notifyAll)
            long left = until - System.nanoTime();
            if (left <= 0 || Thread.currentThread().isInterrupted()) {
                synchronized (lock) {
                    if (!w.answered()) {
                        waiters.remove(w);
                        waiting = waiters.size();
                        throw tooLong();
                    }
                }
                break;
            }
            LockSupport.parkNanos(this, Math.min(left, WANTED_CHECK_NANOS));
            if (!w.answered() && !wanted.getAsBoolean()) {
                synchronized (lock) {
                    if (!w.answered()) { // its place goes to the next in line
                        waiters.remove(w);
                        waiting = waiters.size();
                        throw CLIENT_LEFT;
                    }
                }
            }
        }
        if (w.failed != null) throw w.failed;
        if (w.start != null) return start(w.start);
        return endpoint(w.given);
    }

    /** Under the lock: the answer to a request that waited its whole time. */
    private Unavailable tooLong() {
        if (perInstance > 1) return new Unavailable(503, "micro \"" + micro.name() + "\" is still starting");
        return new Unavailable(503, "micro \"" + micro.name() + "\" has all its " + cap + " instances busy (--instances " + cap + "): this request waited "
                + micros.util.Units.format(startLimit) + " (the execution timeout) for one to come free and was not sent to it; raise --instances, or make requests shorter");
    }

    // ---- freezing ----

    /** Freezes an instance that has had no request for the grace period (Space froze micros between requests). */
    private void freezeIfIdle(Instance i) {
        i.freezePending.set(false);
        if (i.closed() || i.frozen || i.inFlight() > 0) return; // a request in flight schedules it again when it ends
        long idle = System.nanoTime() - i.lastUsed;
        if (idle < FREEZE_GRACE_NANOS) { // a request came and went meanwhile: look again later
            if (i.freezePending.compareAndSet(false, true))
                freezer.schedule(i.freezeTask, FREEZE_GRACE_NANOS - idle, TimeUnit.NANOSECONDS);
            return;
        }
        boolean froze = i.freeze();
        if (waiting > 0) dispatch(); // someone may have waited while it froze
        if (froze && announcedFreeze.compareAndSet(false, true))
            log.event(micro.name() + ": frozen between requests, as on Space (thawed for each request; --no-freeze keeps it running)");
    }

    /** Whether every ready instance is frozen now (and there is one). */
    public boolean frozen() {
        boolean any = false;
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i == null || !i.ready || i.closed()) continue;
            if (!i.frozen) return false;
            any = true;
        }
        return any;
    }

    // ---- starting ----

    /** Starts a reserved instance for the request that holds it, and waits until its port accepts. */
    private Endpoint start(Instance i) throws Unavailable {
        long t0 = System.nanoTime();
        if (i.stopping) throw failStart(i, null, "was stopped while starting"); // retired meanwhile: no group to make again, nothing to spawn
        Process p;
        int port;
        try {
            port = freePort();
            i.group.prepare();
            p = spawner.spawn(port, i.group, i.slot);
        } catch (IOException e) {
            throw failStart(i, null, "could not be started: " + e.getMessage());
        } catch (java.io.UncheckedIOException e) {
            throw failStart(i, null, e.getMessage() + " (run with --no-limits to start without memory and process limits)");
        } catch (RuntimeException e) { // never a slot held for good
            throw failStart(i, null, "could not be started: " + e);
        }
        spawns.incrementAndGet();
        boolean stopped;
        synchronized (lock) {
            i.process = p;
            i.port = port;
            stopped = i.stopping;
        }
        OutputPump.start(micro.name(), p.getInputStream(), "stdout", (stream, line) -> output(i, stream, line));
        OutputPump.start(micro.name(), p.getErrorStream(), "stderr", (stream, line) -> output(i, stream, line));
        p.onExit().thenRun(() -> exited(i));
        Socket connection = stopped ? null : awaitPort(p, port, t0 + startLimit.toNanos());
        if (connection == null) {
            boolean alive = p.isAlive();
            if (alive) i.group.kill(p.toHandle());
            String why = alive ? "did not listen on its PORT within " + micros.util.Units.format(startLimit) : death(i, p) + " before listening on its PORT";
            throw failStart(i, p, why);
        }
        String squatter = spawner.squatter(port);
        if (squatter != null) { // another process took the port before the instance bound it: it gets none of its requests
            closeQuietly(connection);
            if (p.isAlive()) i.group.kill(p.toHandle());
            throw failStart(i, p, "found its PORT " + port + " taken by another process (" + squatter + "); micros sends it none of its requests");
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        i.warm = new Endpoint(i, port, i.number, null, false, false);
        i.thawed = new Endpoint(i, port, i.number, null, false, true);
        synchronized (lock) {
            stopped = i.stopping;
            if (!stopped) {
                failures = 0;
                backingOff = false;
                killed = null;
                lastColdStartMillis = ms;
                coldStarts.incrementAndGet();
                i.readySince = System.nanoTime();
                i.ready = true;
            }
        }
        if (stopped) { // stopped while starting
            closeQuietly(connection);
            throw new Unavailable(503, "micro \"" + micro.name() + "\" was stopped while starting");
        }
        log.event(micro.name() + ": cold start in " + ms + " ms (" + (cap == 1 ? "" : "instance " + i.number + ", ") + "pid " + p.pid() + ", port " + port + ")");
        took(i);
        if (waiting > 0) dispatch(); // those who waited for a shared instance take it now
        return new Endpoint(i, port, i.number, connection, true, false);
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

    /** A start that failed: its slot is free again, the micro backs off (unless it was stopped on purpose). */
    private Unavailable failStart(Instance i, Process p, String why) {
        boolean onPurpose;
        i.close();
        synchronized (lock) {
            freeLocked(i);
            onPurpose = retired || i.stopping;
            if (!onPurpose) {
                failures++;
                backingOff = true;
                backoffUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(failures - 1, 10)));
                lastFailure = (failures > 1 ? "failed to start " + failures + " times in a row; last time it " : "") + why;
            }
            dispatchLocked();
        }
        if (onPurpose) return new Unavailable(503, "micro \"" + micro.name() + "\" was stopped while starting");
        awaitOutput(p);
        log.event(micro.name() + ": failed to start: " + why + OutputNotes.lastWords(i.tail.last(20))); // its output is above, once
        return new Unavailable(503, "micro \"" + micro.name() + "\" " + why);
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

    private void output(Instance i, String stream, String line) {
        tail.add(line);
        i.tail.add(line);
        if (OutputNotes.killReport(line) && i.group.limitDeath() != null) return; // the kill has its own line (see exited)
        log.micro(micro.name(), stream, line);
        String note = notes.after(line);
        if (note != null) log.event(micro.name() + ": " + note);
    }

    private void exited(Instance i) {
        String how = death(i, i.process);
        i.exit = how;
        i.close();
        if (!i.ready) { // a start that failed, or was stopped: the start says so; its slot is free once its process is gone
            freeWhenDone(i);
            onStop.accept(i);
            return;
        }
        boolean announce;
        int others;
        synchronized (lock) {
            String limit = i.group.limitDeath();
            if (limit != null) killed = limit;
            announce = !i.stopping;
            if (announce && TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - i.readySince) < 1000) { // dying right after starting is crashing, not finishing
                failures++;
                lastFailure = how + " right after starting";
                if (failures > 1) {
                    backingOff = true;
                    backoffUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(failures - 1, 10)));
                }
            }
            others = live - (slots.get(i.slot) == i ? 1 : 0);
        }
        freeWhenDone(i);
        if (announce)
            log.event(micro.name() + ": " + (cap == 1 ? "" : "instance " + i.number + " ") + how + "; " + (others == 0 ? "the next request starts it again"
                    : others + " other instance" + (others == 1 ? " runs" : "s run") + " on"));
        onStop.accept(i);
    }

    /**
     * Its slot, and so its cgroup, is given to the next instance once its process has exited and no
     * kill of its group is still at work: a kill goes on until the group is empty, so it would end
     * the next instance's process too. Called by both; one of them sees the other done.
     */
    private void freeWhenDone(Instance i) {
        if (i.exit == null || i.killers.get() != 0) return;
        synchronized (lock) {
            freeLocked(i);
            dispatchLocked();
        }
    }

    /** Ends the instance's group (SIGKILL, or SIGTERM then SIGKILL after the grace); true if it had to SIGKILL. */
    private boolean endGroup(Instance i, Process p, Duration grace) {
        i.killers.incrementAndGet();
        try {
            if (grace.isZero()) {
                i.group.kill(p.toHandle());
                return true;
            }
            return i.group.terminate(p.toHandle(), grace);
        } finally {
            i.killers.decrementAndGet();
            freeWhenDone(i);
        }
    }

    // ---- stopping ----

    /** Ends, at once, the instance that served a request past the execution timeout; the micro's other instances run on. */
    public void kill(Endpoint ep, String reason) {
        Instance i = ep.instance();
        Process p;
        synchronized (lock) {
            if (i.stopping || i.process == null) return;
            i.stopping = true;
            killed = "killed: " + reason;
            p = i.process;
        }
        i.close();
        i.unfreezeFlag(); // the group thaws it before the kill: a frozen task would not see the signal
        endGroup(i, p, Duration.ZERO);
    }

    /** Stops every instance, all at once: SIGTERM, then SIGKILL after the grace. */
    public void stop(String reason, Duration grace) {
        List<Instance> all = new ArrayList<>();
        synchronized (lock) {
            for (int k = 0; k < cap; k++) {
                Instance i = slots.get(k);
                if (i == null || i.stopping) continue;
                i.stopping = true;
                i.close();
                if (i.process != null) all.add(i);
            }
        }
        if (all.isEmpty()) return;
        log.event(micro.name() + ": stopping (" + reason + "): micros sends " + (all.size() == 1 ? "it" : "its " + all.size() + " instances")
                + (grace.isZero() ? " SIGKILL" : " SIGTERM, then SIGKILL after " + grace.toSeconds() + "s"));
        if (all.size() == 1) {
            terminate(all.get(0), grace);
            return;
        }
        List<Thread> stops = new ArrayList<>();
        for (Instance i : all) {
            Thread t = new Thread(() -> terminate(i, grace), "micros-stop-" + micro.name());
            t.setDaemon(true);
            t.start();
            stops.add(t);
        }
        for (Thread t : stops) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void terminate(Instance i, Duration grace) {
        Process p = i.process;
        i.unfreezeFlag(); // terminate and kill thaw the group first
        boolean forced = endGroup(i, p, grace);
        if (forced && !grace.isZero())
            log.event(micro.name() + ": " + (cap == 1 ? "" : "instance " + i.number + " ") + "did not stop within " + grace.toSeconds() + "s; sent SIGKILL");
    }

    /** No more starts: the emulator is shutting down; requests in line are refused, then every instance stops. */
    public void retire(String reason, Duration grace) {
        synchronized (lock) {
            retired = true;
            unavailableReason = reason;
            Waiter w;
            while ((w = waiters.pollFirst()) != null) w.failed = new Unavailable(503, reason);
            waiting = 0;
            lock.notifyAll();
        }
        stop(reason, grace);
        for (MicroGroup g : groups) g.remove();
    }

    /** Stops each instance that has had no request for {@code idle}. */
    public void sleepIfIdle(Duration idle) {
        if (idle.isZero()) return;
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i == null || !i.ready || i.process == null || System.nanoTime() - i.lastUsed <= idle.toNanos()) continue;
            if (!i.closeIfIdle()) continue; // a request holds it, or it is being frozen
            synchronized (lock) {
                if (i.stopping) continue;
                i.stopping = true;
            }
            log.event(micro.name() + ": stopping (idle for " + micros.util.Units.format(idle) + "): micros sends " + (cap == 1 ? "it" : "instance " + i.number)
                    + " SIGTERM, then SIGKILL after " + IDLE_GRACE.toSeconds() + "s");
            terminate(i, IDLE_GRACE);
        }
    }

    /** Called every moment by the runtime: logs pids-limit refusals once per burst; ends an instance the OOM killer hit. */
    public void watchLimits(int pidsLimit) {
        boolean refused = false;
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i == null) continue;
            long r = i.group.pidsRefused();
            if (r > i.refusedSeen) {
                refused = true;
                i.refusedSeen = r;
            }
            Process p = i.process;
            if (i.ready && !i.stopping && p != null && p.isAlive() && i.group.limitDeath() != null)
                endGroup(i, p, Duration.ZERO); // the OOM killer took part of the instance: end all of it; its exit is logged once (see exited)
        }
        if (refused && !refusing)
            log.event(micro.name() + ": the process limit (" + pidsLimit + " processes and threads, Space's limit) refused a fork or a new thread");
        refusing = refused;
    }

    // ---- what the dashboard, check and tests see ----

    public State state() {
        boolean awake = false, starting = false, stopping = false;
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i == null) continue;
            if (i.stopping || i.closed()) stopping = true;
            else if (i.ready) awake = true;
            else starting = true;
        }
        if (awake) return State.AWAKE;
        if (starting) return State.STARTING;
        if (stopping) return State.STOPPING;
        synchronized (lock) {
            if (unavailableReason != null) return State.UNAVAILABLE;
            return backingOff ? State.BACKOFF : State.ASLEEP;
        }
    }

    /** The instance a pid or an uptime is shown for: the first ready one, else the first with a process. */
    private Instance shown() {
        Instance any = null;
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i == null || i.process == null) continue;
            if (i.ready && !i.closed()) return i;
            if (any == null) any = i;
        }
        return any;
    }

    /** The pid of its first instance's process (the namespace's holder in the sandbox); -1 when none runs. */
    public long pid() {
        Instance i = shown();
        return i == null ? -1 : i.pid();
    }

    /** How long its first instance has been ready, in ms; -1 when none runs. */
    public long uptimeMillis() {
        Instance i = shown();
        return i == null || i.process == null ? -1 : i.uptimeMillis();
    }

    /** Its instances now, in slot order. */
    public List<InstanceView> instances() {
        List<InstanceView> out = new ArrayList<>(cap);
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i == null || i.process == null) continue;
            out.add(new InstanceView(i.number, i.pid(), i.state(), i.uptimeMillis(), i.inFlight(), i.group.memoryCurrent()));
        }
        return out;
    }

    /** Why the micro cannot start, its last failure, or why it was killed (for the dashboard), redacted as the log is. */
    public String problem() {
        State s = state();
        String p;
        synchronized (lock) {
            p = s == State.UNAVAILABLE ? unavailableReason : s == State.BACKOFF ? lastFailure : s == State.ASLEEP ? killed : null;
        }
        return p == null ? null : log.redact(p);
    }

    /** Asleep because a limit or the timeout killed its last instance (the dashboard shows "killed"). */
    public boolean killed() {
        if (state() != State.ASLEEP) return false;
        synchronized (lock) {
            return killed != null;
        }
    }

    public int inFlight() {
        int n = 0;
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i != null) n += i.inFlight();
        }
        return n;
    }

    /** Requests waiting in line for an instance. */
    public int waiting() {
        return waiting;
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

    /** The number of the instance the last request took (0: none yet). */
    public long lastServed() {
        return lastServed;
    }

    /** How many requests took an instance (approximate under concurrency: it only shows that one did). */
    public long requestsServed() {
        return served;
    }

    /** Memory its instances use now, bytes, from their cgroups; -1 when none runs or it is not known. */
    public long memoryCurrent() {
        long sum = -1;
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i == null || i.process == null) continue;
            long m = i.group.memoryCurrent();
            if (m >= 0) sum = Math.max(sum, 0) + m;
        }
        return sum;
    }

    /** The most memory any one of its instances used (each has the limit to itself), bytes; -1 when not known. */
    public long memoryPeak() {
        long peak = -1;
        for (MicroGroup g : groups) peak = Math.max(peak, g.memoryPeak());
        return peak;
    }

    /** Processes and threads of its instances now; -1 when none runs or it is not known. */
    public long pidsCurrent() {
        long sum = -1;
        for (int k = 0; k < cap; k++) {
            Instance i = slots.get(k);
            if (i == null || i.process == null) continue;
            long n = i.group.pidsCurrent();
            if (n >= 0) sum = Math.max(sum, 0) + n;
        }
        return sum;
    }

    /** The last lines, redacted as the log is (the dashboard shows them). */
    public List<String> lastLines(int n) {
        return tail.excerpt(n).stream().map(log::redact).toList();
    }

    /** How a process ended, as a phrase after the instance's name: the limit that killed it, or its exit status. */
    private static String death(Instance i, Process p) {
        String limit = i.group.limitDeath();
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
