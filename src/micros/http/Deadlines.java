package micros.http;

import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Execution deadlines for requests in flight. A request arms a reusable {@link Ticket} with its
 * deadline and the upstream connection; one watchdog thread closes that connection when the
 * deadline passes, which ends any blocked read or write, and marks the ticket as fired.
 * Tickets are pooled, so arming one allocates nothing.
 */
public final class Deadlines {
    private static final long TICK_MILLIS = 20;

    public static final class Ticket {
        private volatile long due;          // System.nanoTime() deadline; 0 when idle
        private volatile Closeable target;  // closed when the deadline passes
        private volatile boolean fired;
        private long uses; // guarded by this: tells a stale expiry from the current use

        public void watch(Closeable c) {
            target = c;
            if (c != null && fired) closeQuietly(c);
        }

        private synchronized void reset(long newDue) {
            uses++;
            fired = false;
            target = null;
            due = newDue;
        }

        private synchronized void expire(long use) {
            if (use != uses || fired) return;
            fired = true;
            Closeable c = target;
            if (c != null) closeQuietly(c);
        }

        public boolean fired() {
            return fired;
        }

        public long remainingNanos() {
            return due - System.nanoTime();
        }
    }

    private final ArrayBlockingQueue<Ticket> free = new ArrayBlockingQueue<>(4096);
    private final CopyOnWriteArrayList<Ticket> all = new CopyOnWriteArrayList<>();
    private final Thread watchdog;
    private volatile boolean running = true;

    public Deadlines() {
        watchdog = new Thread(this::watch, "micros-deadlines");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    public Ticket arm(long timeoutNanos) {
        Ticket t = free.poll();
        if (t == null) {
            t = new Ticket();
            all.add(t);
        }
        t.reset(System.nanoTime() + timeoutNanos);
        return t;
    }

    public void disarm(Ticket t) {
        t.reset(0);
        if (!free.offer(t)) all.remove(t);
    }

    private void watch() {
        while (running) {
            long now = System.nanoTime();
            for (Ticket t : all) {
                long use;
                synchronized (t) {
                    use = t.uses;
                }
                long due = t.due;
                if (due != 0 && now - due >= 0 && !t.fired) t.expire(use);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(TICK_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    public void close() {
        running = false;
        watchdog.interrupt();
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
