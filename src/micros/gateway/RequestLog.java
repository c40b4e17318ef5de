package micros.gateway;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import micros.http.Exchange;
import micros.spacefile.App;
import micros.util.Json;

/**
 * The last {@value #CAPACITY} requests the gateway answered, for the dashboard: when, what,
 * which micro and which of its instances, the status, how long, and what happened on the way (a
 * cold start, a thaw, the timeout, a limit). It sits on every request's path, so recording allocates nothing and takes
 * no lock: each request claims a slot of a ring of preallocated arrays with one atomic
 * increment, writes primitives and the String references its Exchange already holds, and
 * publishes the slot (a sequence lock per slot). Text is made only when the log is read.
 */
final class RequestLog {
    static final int CAPACITY = 500;
    private static final int SLOTS = 512, MASK = SLOTS - 1; // a power of two: a slot is a mask, not a division
    /** What happened on the way; several may be set. */
    static final int COLD = 1, THAWED = 2, TIMEOUT = 4, PAYLOAD = 8, RESPONSE_TOO_LARGE = 16, OUT_OF_MEMORY = 32;
    /** Requests micros answers itself (a login, a refusal before any route, Base and Drive in the browser): no micro. */
    static final int NONE = -1;

    private static final VarHandle SEQ = MethodHandles.arrayElementVarHandle(long[].class);

    private final App.Micro[] micros;
    private final AtomicLong next = new AtomicLong();
    private final long[] seq = new long[SLOTS];        // the request number a slot holds; -1 while written
    private final long[] arrived = new long[SLOTS];    // System.nanoTime() at the head's arrival
    private final long[] ended = new long[SLOTS];      // ... and at the answer's end
    private final String[] method = new String[SLOTS], path = new String[SLOTS], query = new String[SLOTS];
    private final short[] status = new short[SLOTS];
    private final byte[] micro = new byte[SLOTS], flags = new byte[SLOTS];
    private final long[] instance = new long[SLOTS];   // the number of the micro's instance that served it; 0: none
    // nanoTime is the only clock on the request path; a pair read once turns it into wall time
    private final long wallMillis = System.currentTimeMillis(), wallNanos = System.nanoTime();

    RequestLog(App app) {
        this.micros = app.micros().toArray(App.Micro[]::new);
        java.util.Arrays.fill(seq, -1L);
    }

    /** The micro's index, as {@link #record} takes it. */
    int index(App.Micro m) {
        for (int i = 0; i < micros.length; i++) if (micros[i] == m) return i; // the app's own Micro objects: no string compared per request
        for (int i = 0; i < micros.length; i++) if (micros[i].name().equals(m.name())) return i;
        return NONE;
    }

    /** One answered request that no instance served: called once, at its end, with what happened on the way. */
    void record(Exchange ex, int microIndex, int statusCode, int what) {
        record(ex, microIndex, statusCode, what, 0);
    }

    /** One answered request, and the number of the micro's instance that served it (0: none). */
    void record(Exchange ex, int microIndex, int statusCode, int what, long servedBy) {
        long end = System.nanoTime();
        long n = next.getAndIncrement();
        int i = (int) n & MASK;
        SEQ.setOpaque(seq, i, -1L); // readers skip the slot until it is whole again:
        VarHandle.storeStoreFence(); // the mark before any field (free on x86)
        arrived[i] = ex.arrived() == 0 ? end : ex.arrived();
        ended[i] = end;
        method[i] = ex.method();
        path[i] = ex.rawPath();
        query[i] = ex.rawQuery();
        status[i] = (short) statusCode;
        micro[i] = (byte) microIndex;
        flags[i] = (byte) what;
        instance[i] = servedBy;
        SEQ.setRelease(seq, i, n);
    }

    /** One request as the dashboard shows it. {@code micro} is null for micros' own answers. */
    record Entry(Instant time, String method, String path, String micro, int status, double millis, int flags, long instance) {
        boolean has(int flag) {
            return (flags & flag) != 0;
        }

        /** What happened on the way, in words ("cold start", "timed out (504)"), or "". */
        String notes() {
            List<String> n = new ArrayList<>(2);
            if (has(COLD)) n.add("cold start");
            if (has(THAWED)) n.add("thawed");
            if (has(TIMEOUT)) n.add("timed out");
            if (has(PAYLOAD)) n.add("request over the payload limit");
            if (has(RESPONSE_TOO_LARGE)) n.add("response over the payload limit");
            if (has(OUT_OF_MEMORY)) n.add("out of memory");
            return String.join(", ", n);
        }

        /** The limit it hit, or null. */
        String limit() {
            return has(TIMEOUT) ? "timeout" : has(PAYLOAD) ? "payload" : has(RESPONSE_TOO_LARGE) ? "response size" : has(OUT_OF_MEMORY) ? "memory" : null;
        }

        String json() {
            return "{\"time\":" + Json.quote(time.toString()) + ",\"method\":" + Json.quote(method) + ",\"path\":" + Json.quote(path)
                    + ",\"micro\":" + (micro == null ? "null" : Json.quote(micro)) + ",\"instance\":" + (instance == 0 ? "null" : Long.toString(instance))
                    + ",\"status\":" + status
                    + ",\"ms\":" + String.format(java.util.Locale.ROOT, "%.2f", millis) + ",\"coldStart\":" + has(COLD) + ",\"thawed\":" + has(THAWED)
                    + ",\"timedOut\":" + has(TIMEOUT) + ",\"limit\":" + (limit() == null ? "null" : Json.quote(limit())) + "}";
        }
    }

    /** The requests still in the ring, oldest first; at most {@code max}, the newest. */
    List<Entry> entries(int max) {
        long last = next.get();
        long first = Math.max(0, Math.max(last - CAPACITY, last - max));
        List<Entry> out = new ArrayList<>((int) (last - first));
        for (long n = first; n < last; n++) {
            int i = (int) n & MASK;
            if ((long) SEQ.getAcquire(seq, i) != n) continue; // being written, or already overwritten
            long a = arrived[i], e = ended[i];
            String m = method[i], p = path[i], q = query[i];
            int st = status[i], mi = micro[i], f = flags[i];
            long served = instance[i];
            VarHandle.loadLoadFence();
            if ((long) SEQ.getVolatile(seq, i) != n) continue; // overwritten while read
            Instant time = Instant.ofEpochMilli(wallMillis + (e - wallNanos) / 1_000_000);
            out.add(new Entry(time, m == null ? "?" : m, shown(p, q), mi < 0 || mi >= micros.length ? null : micros[mi].name(), st, (e - a) / 1e6, f, served));
        }
        return out;
    }

    /** The path with each query value replaced by "…": a query may carry a token or someone's data. */
    static String shown(String path, String query) {
        String p = path == null ? "?" : path;
        if (query == null) return p;
        StringBuilder sb = new StringBuilder(p).append('?');
        String[] parts = query.split("&", -1);
        for (int k = 0; k < parts.length; k++) {
            int eq = parts[k].indexOf('=');
            sb.append(k == 0 ? "" : "&").append(eq < 0 ? parts[k] : parts[k].substring(0, eq) + "=\u2026");
        }
        return sb.toString();
    }

    String json() {
        List<Entry> all = entries(CAPACITY);
        StringBuilder sb = new StringBuilder(128 + all.size() * 160).append("{\"capacity\":").append(CAPACITY).append(",\"requests\":[");
        for (int k = 0; k < all.size(); k++) sb.append(k == 0 ? "\n" : ",\n").append(all.get(k).json());
        return sb.append("\n]}").toString();
    }
}
