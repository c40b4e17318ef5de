package micros.data.base;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Where each item of a base lies in its log, sorted by key: what a base keeps in memory while
 * its items stay on disk. Keys are packed into chunks of at most {@link #CHUNK}: their characters
 * as bytes (one per character when all are below U+0100, else two), each with its item's place
 * (offset and length in the log, one long) and, in chunks holding items that expire, the expiry.
 * That is about 12 bytes per item plus its key's characters, and no object per item.
 *
 * <p>Chunks never change. They sit in a concurrent sorted map under the lowest key they may hold
 * (the first under ""), so readers walk it without a lock while the one writer (the base's writer
 * lock) replaces a chunk with a changed copy (a few KB), splitting it in two past CHUNK keys and
 * dropping it once empty: keys only ever move to a chunk with a higher bound, and readers position
 * themselves by key at every chunk, so they see no key twice and skip none that stays.
 */
final class KeyIndex {
    static final int CHUNK = 256;
    /** The expiry of an item that never expires. */
    static final double NEVER = Double.POSITIVE_INFINITY;
    /** A place packs the item's offset in the log (40 bits: logs up to 1 TB) and its length (24 bits). */
    static final long MAX_OFFSET = 1L << 40;
    static final int MAX_LENGTH = 1 << 24;

    static long place(long offset, int length) {
        if (offset < 0 || offset >= MAX_OFFSET || length < 0 || length >= MAX_LENGTH)
            throw new IllegalArgumentException("an item at " + offset + " of " + length + " bytes is past what a base log holds (1 TB, items of 16 MB)");
        return offset << 24 | length;
    }

    static long offset(long place) {
        return place >>> 24;
    }

    static int length(long place) {
        return (int) (place & (MAX_LENGTH - 1));
    }

    private final ConcurrentSkipListMap<String, Chunk> chunks = new ConcurrentSkipListMap<>();
    // kept by the writer, read under the writer lock
    private long count, bytes;

    KeyIndex() {
        chunks.put("", Chunk.EMPTY);
    }

    /** Live entries and the sum of their lengths (expired ones included until purged). */
    long count() {
        return count;
    }

    long bytes() {
        return bytes;
    }

    // ---- one key ----

    /** The entry of a key, or null. */
    Entry get(String key) {
        Chunk c = chunks.floorEntry(key).getValue();
        int i = c.search(key);
        return i < 0 ? null : new Entry(key, c.places[i], c.expires(i));
    }

    record Entry(String key, long place, double expires) {
        long offset() {
            return KeyIndex.offset(place);
        }

        int length() {
            return KeyIndex.length(place);
        }

        boolean expired(double now) {
            return expires <= now;
        }
    }

    /** Sets a key's place (writer only); returns the length of the item it replaces, or -1. */
    int put(String key, long place, double expires) {
        Map.Entry<String, Chunk> e = chunks.floorEntry(key);
        Chunk c = e.getValue();
        int i = c.search(key);
        int old = -1;
        Chunk next;
        if (i >= 0) {
            old = length(c.places[i]);
            next = c.replace(i, place, expires);
        } else {
            next = c.insert(-i - 1, key, place, expires);
            count++;
        }
        bytes += length(place) - Math.max(old, 0);
        if (next.size() > CHUNK) {
            int mid = next.size() / 2;
            Chunk right = next.slice(mid, next.size()), left = next.slice(0, mid);
            chunks.put(right.key(0), right); // the upper half first: a reader past the old chunk finds its keys there
            chunks.put(e.getKey(), left);
        } else chunks.put(e.getKey(), next);
        return old;
    }

    /** Removes a key (writer only); returns the length of its item, or -1. */
    int remove(String key) {
        Map.Entry<String, Chunk> e = chunks.floorEntry(key);
        Chunk c = e.getValue();
        int i = c.search(key);
        if (i < 0) return -1;
        int old = length(c.places[i]);
        count--;
        bytes -= old;
        if (c.size() == 1 && !e.getKey().isEmpty()) chunks.remove(e.getKey());
        else chunks.put(e.getKey(), c.without(i));
        return old;
    }

    /** Applies a record's changes as they are read (records of this process, so whole); {@code at}: where its payload lies in the log. */
    LogRecords.Visitor applying(long at) {
        return new LogRecords.Visitor() {
            public void clear() {
                KeyIndex.this.clear();
            }

            public void del(String key) {
                remove(key);
            }

            public void put(String key, int offset, int length, double expires) {
                KeyIndex.this.put(key, place(at + offset, length), expires);
            }
        };
    }

    void clear() {
        chunks.put("", Chunk.EMPTY);
        while (chunks.size() > 1) chunks.pollLastEntry();
        count = 0;
        bytes = 0;
    }

    /** Entries that have not expired by {@code now}. */
    long countLive(double now) {
        long n = 0;
        for (Chunk c : chunks.values()) {
            if (c.expiry == null) n += c.size();
            else for (double e : c.expiry) if (e > now) n++;
        }
        return n;
    }

    /** Keys of the entries expired by {@code now}. */
    List<String> expired(double now) {
        List<String> out = new ArrayList<>();
        for (Chunk c : chunks.values()) {
            if (c.expiry != null) for (int i = 0; i < c.size(); i++) if (c.expiry[i] <= now) out.add(c.key(i));
        }
        return out;
    }

    // ---- walking ----

    /**
     * A walk over the keys in [lo, hi] (null: unbounded; loIn/hiIn: whether the bound itself is in),
     * ascending or descending. Each chunk is read as it is when the walk reaches it.
     */
    Cursor cursor(String lo, boolean loIn, String hi, boolean hiIn, boolean desc) {
        return new Cursor(lo, loIn, hi, hiIn, desc);
    }

    /** A walk over every key, ascending, that drops each chunk it leaves: the index is spent after, its memory freed as the walk goes. */
    Cursor drain() {
        Cursor c = new Cursor(null, false, null, false, false);
        c.drain = true;
        return c;
    }

    final class Cursor {
        private final String lo, hi;
        private final boolean loIn, hiIn, desc;
        private String bound; // the current chunk's bound in the map (null: not started)
        private Chunk c;
        private int i;
        private boolean done, drain;

        private Cursor(String lo, boolean loIn, String hi, boolean hiIn, boolean desc) {
            this.lo = lo;
            this.loIn = loIn;
            this.hi = hi;
            this.hiIn = hiIn;
            this.desc = desc;
        }

        /** Moves to the next key; false when the range is done. */
        boolean next() {
            if (done) return false;
            if (bound == null) start();
            else i += desc ? -1 : 1;
            while (desc ? i < 0 : i >= c.size()) {
                // the next chunk, positioned after the last key of this one (a split copy repeats keys)
                String passed = c.size() == 0 ? null : c.key(desc ? 0 : c.size() - 1);
                Map.Entry<String, Chunk> e = desc ? chunks.lowerEntry(bound) : chunks.higherEntry(bound);
                if (drain) chunks.remove(bound);
                if (e == null) return end();
                bound = e.getKey();
                c = e.getValue();
                if (passed == null) i = desc ? c.size() - 1 : 0;
                else {
                    int at = c.search(passed);
                    i = desc ? (at >= 0 ? at - 1 : -at - 2) : (at >= 0 ? at + 1 : -at - 1);
                }
            }
            if (desc ? lo != null && beyond(c.compare(i, lo), loIn, -1) : hi != null && beyond(c.compare(i, hi), hiIn, 1)) return end();
            return true;
        }

        private void start() {
            String from = desc ? hi : lo;
            Map.Entry<String, Chunk> e = from == null ? (desc ? chunks.lastEntry() : chunks.firstEntry()) : chunks.floorEntry(from);
            bound = e.getKey();
            c = e.getValue();
            if (from == null) i = desc ? c.size() - 1 : 0;
            else {
                int at = c.search(from);
                boolean in = desc ? hiIn : loIn;
                if (at >= 0) i = in ? at : at + (desc ? -1 : 1);
                else i = desc ? -at - 2 : -at - 1;
            }
        }

        /** Whether a key compared {@code cmp} to a bound lies past it (side 1: above hi, -1: below lo). */
        private static boolean beyond(int cmp, boolean inclusive, int side) {
            return side > 0 ? cmp > 0 || cmp == 0 && !inclusive : cmp < 0 || cmp == 0 && !inclusive;
        }

        private boolean end() {
            done = true;
            return false;
        }

        String key() {
            return c.key(i);
        }

        long place() {
            return c.places[i];
        }

        int length() {
            return KeyIndex.length(c.places[i]);
        }

        long offset() {
            return KeyIndex.offset(c.places[i]);
        }

        double expires() {
            return c.expires(i);
        }
    }

    // ---- building ----

    /** Builds an index from keys given in strictly ascending order (a compaction, a sorted load). */
    static final class Builder {
        private static final int FILL = CHUNK * 3 / 4; // room for inserts before a chunk splits
        private final KeyIndex index = new KeyIndex();
        private byte[] keys = new byte[FILL * 16];
        private final int[] ends = new int[FILL];
        private final long[] places = new long[FILL];
        private final double[] expires = new double[FILL];
        private int n, used;
        private boolean first = true;

        void add(String key, long place, double expiry) {
            int len = PackedKeys.encodedLength(key);
            if (used + len > keys.length) keys = java.util.Arrays.copyOf(keys, Math.max(keys.length * 2, used + len));
            ends[n] = PackedKeys.encode(key, keys, used);
            used = ends[n] & ~PackedKeys.WIDE;
            places[n] = place;
            expires[n] = expiry;
            n++;
            index.count++;
            index.bytes += length(place);
            if (n == FILL) flush();
        }

        /** The same from packed key bytes (end carries the WIDE flag). */
        void add(byte[] from, int start, int end, long place, double expiry) {
            int len = (end & ~PackedKeys.WIDE) - start;
            if (used + len > keys.length) keys = java.util.Arrays.copyOf(keys, Math.max(keys.length * 2, used + len));
            System.arraycopy(from, start, keys, used, len);
            used += len;
            ends[n] = used | end & PackedKeys.WIDE;
            places[n] = place;
            expires[n] = expiry;
            n++;
            index.count++;
            index.bytes += length(place);
            if (n == FILL) flush();
        }

        private void flush() {
            if (n == 0) return;
            Chunk c = new Chunk(java.util.Arrays.copyOf(keys, used), java.util.Arrays.copyOf(ends, n), java.util.Arrays.copyOf(places, n), Chunk.expiring(expires, 0, n));
            index.chunks.put(first ? "" : c.key(0), c);
            first = false;
            n = 0;
            used = 0;
        }

        KeyIndex build() {
            flush();
            return index;
        }
    }

    /** One immutable run of keys in order, with their places and expiries (null: none expires). */
    private record Chunk(byte[] keys, int[] ends, long[] places, double[] expiry) {
        static final Chunk EMPTY = new Chunk(new byte[0], new int[0], new long[0], null);

        static double[] expiring(double[] e, int from, int to) {
            for (int k = from; k < to; k++) if (e[k] != NEVER) return java.util.Arrays.copyOfRange(e, from, to);
            return null;
        }

        int size() {
            return ends.length;
        }

        int start(int i) {
            return i == 0 ? 0 : ends[i - 1] & ~PackedKeys.WIDE;
        }

        double expires(int i) {
            return expiry == null ? NEVER : expiry[i];
        }

        String key(int i) {
            return PackedKeys.decode(keys, start(i), ends[i]);
        }

        int compare(int i, String k) {
            return PackedKeys.compare(keys, start(i), ends[i], k);
        }

        /** The index of key k, or -(where it would go) - 1. */
        int search(String k) {
            int a = 0, b = size() - 1;
            while (a <= b) {
                int m = (a + b) >>> 1;
                int cmp = compare(m, k);
                if (cmp < 0) a = m + 1;
                else if (cmp > 0) b = m - 1;
                else return m;
            }
            return -a - 1;
        }

        Chunk replace(int i, long place, double expires) {
            long[] p = places.clone();
            p[i] = place;
            double[] e = expiry;
            if (expires(i) != expires) {
                e = expiry == null ? filled(size()) : expiry.clone();
                e[i] = expires;
                e = expiring(e, 0, e.length);
            }
            return new Chunk(keys, ends, p, e); // the keys are shared: they did not change
        }

        Chunk insert(int at, String key, long place, double expires) {
            int n = size(), len = PackedKeys.encodedLength(key), s = start(at);
            byte[] k = new byte[keys.length + len];
            System.arraycopy(keys, 0, k, 0, s);
            int end = PackedKeys.encode(key, k, s);
            System.arraycopy(keys, s, k, s + len, keys.length - s);
            int[] en = new int[n + 1];
            System.arraycopy(ends, 0, en, 0, at);
            en[at] = end;
            for (int j = at; j < n; j++) en[j + 1] = ends[j] + len; // the PackedKeys.WIDE bit stays: offsets are far below it
            long[] p = new long[n + 1];
            System.arraycopy(places, 0, p, 0, at);
            p[at] = place;
            System.arraycopy(places, at, p, at + 1, n - at);
            double[] e = null;
            if (expiry != null || expires != NEVER) {
                e = new double[n + 1];
                double[] old = expiry == null ? filled(n) : expiry;
                System.arraycopy(old, 0, e, 0, at);
                e[at] = expires;
                System.arraycopy(old, at, e, at + 1, n - at);
            }
            return new Chunk(k, en, p, e);
        }

        Chunk without(int at) {
            int n = size(), s = start(at), len = (ends[at] & ~PackedKeys.WIDE) - s;
            byte[] k = new byte[keys.length - len];
            System.arraycopy(keys, 0, k, 0, s);
            System.arraycopy(keys, s + len, k, s, keys.length - s - len);
            int[] en = new int[n - 1];
            System.arraycopy(ends, 0, en, 0, at);
            for (int j = at + 1; j < n; j++) en[j - 1] = ends[j] - len;
            long[] p = new long[n - 1];
            System.arraycopy(places, 0, p, 0, at);
            System.arraycopy(places, at + 1, p, at, n - at - 1);
            double[] e = null;
            if (expiry != null) {
                e = new double[n - 1];
                System.arraycopy(expiry, 0, e, 0, at);
                System.arraycopy(expiry, at + 1, e, at, n - at - 1);
                e = expiring(e, 0, e.length);
            }
            return new Chunk(k, en, p, e);
        }

        /** Keys [from, to) as a chunk of their own. */
        Chunk slice(int from, int to) {
            int s = start(from), e = ends[to - 1] & ~PackedKeys.WIDE;
            int[] en = new int[to - from];
            for (int j = from; j < to; j++) en[j - from] = ends[j] - s;
            return new Chunk(java.util.Arrays.copyOfRange(keys, s, e), en, java.util.Arrays.copyOfRange(places, from, to),
                    expiry == null ? null : expiring(expiry, from, to));
        }

        private static double[] filled(int n) {
            double[] e = new double[n];
            java.util.Arrays.fill(e, NEVER);
            return e;
        }
    }
}
