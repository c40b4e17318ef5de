package micros.actions;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import micros.runtime.Log;
import micros.spacefile.App;
import micros.spacefile.App.Action;
import micros.spacefile.App.Micro;

/**
 * Fires every scheduled action on its default_interval (UTC), as Space did: a POST to
 * /__space/v0/actions of the action's micro. Runs missed while the machine slept are not
 * replayed in a burst: one run, then the schedule resumes from now. The clock is injectable.
 */
public final class Scheduler {

    /** What the micro answered to an action call. */
    public record Result(int status, String body, long millis) {
        public boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    /** Sends the action's request to its micro (through the gateway, so it wakes the micro and obeys the timeout). */
    public interface Firing {
        Result fire(Action action, Micro micro);
    }

    /** One action's schedule and history, as the banner and the dashboard show them. */
    public static final class Entry {
        public final Action action;
        public final Micro micro;
        private Instant next;
        private volatile Instant lastRun;
        private volatile Result lastResult;

        Entry(Action action, Micro micro, Instant next) {
            this.action = action;
            this.micro = micro;
            this.next = next;
        }

        public synchronized Instant next() {
            return next;
        }

        public Instant lastRun() {
            return lastRun;
        }

        public Result lastResult() {
            return lastResult;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Clock clock;
    private final Log log;
    private final Firing firing;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "micros-action");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean running;
    private Thread thread;

    public Scheduler(App app, Clock clock, Log log, Firing firing) {
        this.clock = clock;
        this.log = log;
        this.firing = firing;
        Instant now = clock.instant();
        for (Micro m : app.micros())
            for (Action a : m.actions()) entries.add(new Entry(a, m, a.schedule().first(now)));
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    public Entry entry(String id) {
        for (Entry e : entries) if (e.action.id().equals(id)) return e;
        return null;
    }

    public void start() {
        if (entries.isEmpty()) return;
        running = true;
        thread = new Thread(() -> {
            while (running) {
                tick();
                try {
                    Thread.sleep(untilNext());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "micros-scheduler");
        thread.setDaemon(true);
        thread.start();
    }

    /** Sleeps at most a second at a time, so a clock jump (a machine waking up) is noticed quickly. */
    private long untilNext() {
        Instant now = clock.instant(), soonest = now.plusSeconds(1);
        for (Entry e : entries) if (e.next().isBefore(soonest)) soonest = e.next();
        return Math.max(10, Duration.between(now, soonest).toMillis());
    }

    /** Fires every action that is due (in the background) and moves each to its next run. Returns how many it fired. */
    public int tick() {
        Instant now = clock.instant();
        int fired = 0;
        for (Entry e : entries) {
            int skipped = 0;
            synchronized (e) {
                if (e.next.isAfter(now)) continue;
                Instant next = e.action.schedule().next(e.next);
                while (!next.isAfter(now)) {
                    next = e.action.schedule().next(next);
                    skipped++;
                }
                e.next = next;
            }
            if (skipped > 0)
                log.event("action " + e.action.id() + ": " + skipped + " missed run" + (skipped == 1 ? " was" : "s were") + " skipped (the machine was asleep or busy); runs once now");
            fired++;
            pool.execute(() -> run(e, "scheduled"));
        }
        return fired;
    }

    /** Fires one action now and waits for its answer (`micros trigger`, the dashboard's "Run now"). */
    public Result fireNow(String id) {
        Entry e = entry(id);
        if (e == null) throw new IllegalArgumentException("no action " + id);
        return run(e, "triggered");
    }

    private Result run(Entry e, String how) {
        Instant started = clock.instant();
        Result r = firing.fire(e.action, e.micro);
        e.lastRun = started;
        e.lastResult = r;
        String body = r.ok() || r.body() == null ? "" : ": " + log.redactLines(r.body()).strip().replace('\n', ' '); // redacted before it is cut
        if (body.length() > 200) body = body.substring(0, 200) + "...";
        log.event("action " + e.action.id() + " (" + how + ", micro " + e.micro.name() + "): " + (r.status() == 0 ? "failed" : r.status()) + " in " + r.millis() + " ms" + body);
        return r;
    }

    public void stop() {
        running = false;
        if (thread != null) thread.interrupt();
        pool.shutdownNow();
        try {
            pool.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
