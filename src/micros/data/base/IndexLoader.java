package micros.data.base;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a base's index from its log's changes in log order (puts, deletes, clears), a record at
 * a time ({@link #commit} applies what {@link #put}, {@link #del} and {@link #clear} gathered;
 * {@link #abort} drops a record found bad halfway). While keys come in ascending order with no
 * delete, as compaction and imports write them, they are laid out in chunks at once, with no
 * more memory than the index itself; the changes after (the tail) are collected packed in a few
 * arrays, sorted by key (stable: the last change to a key wins) and merged in at the end.
 */
final class IndexLoader implements LogRecords.Visitor {
    private static final long GONE = -1;

    // the ascending prefix, laid out as it comes
    private KeyIndex.Builder prefix = new KeyIndex.Builder();
    private String last;
    private KeyIndex built; // the prefix, once the tail began

    // the tail, packed
    private byte[] keys;
    private int[] ends;
    private long[] places;
    private double[] expires; // null until an item expires
    private int n, used;
    private final int expected;

    // the record being read
    private final List<String> pendingKeys = new ArrayList<>();
    private long[] pendingPlaces = new long[64];
    private double[] pendingExpires = new double[64];

    /** {@code expected}: how many changes the log holds, when known (the tail's arrays are made that large at once). */
    IndexLoader(int expected) {
        this.expected = expected;
    }

    IndexLoader() {
        this(0);
    }

    /** Reads a log's records into this loader, each all or nothing. */
    LogFile.Records records() {
        return (b, length, at) -> {
            recordAt = at;
            try {
                LogRecords.scan(b, length, this);
            } catch (RuntimeException e) {
                abort(); // a record found bad halfway leaves nothing of itself
                throw e;
            }
            commit();
        };
    }

    private long recordAt; // where the payload of the record being read lies in the log

    @Override
    public void put(String key, int offset, int length, double expires) {
        put(key, KeyIndex.place(recordAt + offset, length), expires);
    }

    void put(String key, long place, double expiry) {
        pending(key, place, expiry);
    }

    @Override
    public void del(String key) {
        pending(key, GONE, KeyIndex.NEVER);
    }

    @Override
    public void clear() {
        pending(null, GONE, KeyIndex.NEVER); // no key: the clear
    }

    private void pending(String key, long place, double expiry) {
        int k = pendingKeys.size();
        if (k == pendingPlaces.length) {
            pendingPlaces = Arrays.copyOf(pendingPlaces, 2 * k);
            pendingExpires = Arrays.copyOf(pendingExpires, 2 * k);
        }
        pendingKeys.add(key);
        pendingPlaces[k] = place;
        pendingExpires[k] = expiry;
    }

    /** Drops the changes of the record being read (it turned out not to be one). */
    void abort() {
        pendingKeys.clear();
    }

    /** Applies the record's changes, in order. */
    void commit() {
        for (int k = 0; k < pendingKeys.size(); k++) {
            String key = pendingKeys.get(k);
            if (key == null) {
                prefix = new KeyIndex.Builder();
                last = null;
                built = null;
                n = 0;
                used = 0;
                expires = null;
            } else if (built == null && pendingPlaces[k] != GONE && (last == null || key.compareTo(last) > 0)) {
                prefix.add(key, pendingPlaces[k], pendingExpires[k]);
                last = key;
            } else {
                if (built == null) {
                    built = prefix.build();
                    prefix = null;
                }
                add(key, pendingPlaces[k], pendingExpires[k]);
            }
        }
        pendingKeys.clear();
    }

    private void add(String key, long place, double expiry) {
        if (keys == null) {
            int cap = Math.max(expected, 256);
            keys = new byte[cap * 12];
            ends = new int[cap];
            places = new long[cap];
        }
        if (n == ends.length) {
            int cap = n + (n >> 2) + 16;
            ends = Arrays.copyOf(ends, cap);
            places = Arrays.copyOf(places, cap);
            if (expires != null) expires = grown(expires, cap);
        }
        int len = PackedKeys.encodedLength(key);
        if (used + len > keys.length) keys = Arrays.copyOf(keys, Math.max(keys.length + (keys.length >> 2), used + len));
        ends[n] = PackedKeys.encode(key, keys, used);
        used = ends[n] & ~PackedKeys.WIDE;
        places[n] = place;
        if (expiry != KeyIndex.NEVER && expires == null) expires = grown(new double[0], ends.length);
        if (expires != null) expires[n] = expiry;
        n++;
    }

    private static double[] grown(double[] e, int cap) {
        double[] out = Arrays.copyOf(e, cap);
        Arrays.fill(out, e.length, cap, KeyIndex.NEVER);
        return out;
    }

    private int start(int i) {
        return i == 0 ? 0 : ends[i - 1] & ~PackedKeys.WIDE;
    }

    private int compare(int i, int j) {
        return PackedKeys.compare(keys, start(i), ends[i], keys, start(j), ends[j]);
    }

    private double expiry(int i) {
        return expires == null ? KeyIndex.NEVER : expires[i];
    }

    /** The index: for each key its last change, deleted keys left out. The loader is spent after. */
    KeyIndex build() {
        if (built == null) return prefix.build();
        KeyIndex head = built;
        built = null;
        int[] order = sort();
        if (head.count() == 0) { // no prefix (a log of changes in no order): the tail alone, laid out as sorted
            KeyIndex.Builder b = new KeyIndex.Builder();
            for (int k = 0; k < order.length; k++) {
                int i = order[k];
                if (sameAsNext(order, k)) continue; // a later change to the same key follows
                if (places[i] != GONE) b.add(keys, start(i), ends[i], places[i], expiry(i));
            }
            return b.build();
        }
        if (n <= head.count() / 8) { // a short tail: applied to the prefix's chunks
            for (int k = 0; k < order.length; k++) {
                int i = order[k];
                if (sameAsNext(order, k)) continue; // a later change to the same key follows
                String key = PackedKeys.decode(keys, start(i), ends[i]);
                if (places[i] == GONE) head.remove(key);
                else head.put(key, places[i], expiry(i));
            }
            return head;
        }
        // a long one: both walked in key order into a new index, the tail's change winning
        KeyIndex.Builder b = new KeyIndex.Builder();
        KeyIndex.Cursor c = head.drain();
        boolean more = c.next();
        String at = more ? c.key() : null;
        for (int k = 0; k < order.length; k++) {
            int i = order[k];
            if (sameAsNext(order, k)) continue;
            String key = PackedKeys.decode(keys, start(i), ends[i]);
            int cmp;
            while (more && (cmp = at.compareTo(key)) <= 0) {
                if (cmp < 0) b.add(at, c.place(), c.expires());
                more = c.next();
                at = more ? c.key() : null;
            }
            if (places[i] != GONE) b.add(key, places[i], expiry(i));
        }
        while (more) {
            b.add(at, c.place(), c.expires());
            more = c.next();
            at = more ? c.key() : null;
        }
        return b.build();
    }

    /**
     * The tail's positions sorted by key, stable: a merge sort of the runs already in order, over
     * each key's first characters packed in a long beside its position (8 when every key takes a
     * byte a character, else 4), so comparisons read two arrays in order and go to the keys
     * themselves only when those characters are the same.
     */
    private int[] sort() {
        boolean narrow = true;
        for (int i = 0; i < n && narrow; i++) narrow = ends[i] >= 0;
        long[] pre = new long[n], preTmp = new long[n];
        int[] at = new int[n], atTmp = new int[n];
        for (int i = 0; i < n; i++) {
            at[i] = i;
            pre[i] = prefix(i, narrow);
        }
        int[] runs = new int[16];
        int r = 0;
        for (int i = 0; i < n; ) { // natural runs: appended changes are often in order
            int j = i + 1;
            while (j < n && compare(pre[j - 1], at[j - 1], pre[j], at[j]) <= 0) j++;
            if (r + 1 >= runs.length) runs = Arrays.copyOf(runs, runs.length * 2);
            runs[r++] = i;
            i = j;
        }
        runs[r] = n;
        while (r > 1) {
            int w = 0;
            for (int k = 0; k < r; k += 2) {
                int lo = runs[k], mid = runs[Math.min(k + 1, r)], hi = runs[Math.min(k + 2, r)];
                int x = lo, y = mid, z = lo;
                while (x < mid && y < hi) { // ties: the earlier change first
                    boolean second = compare(pre[y], at[y], pre[x], at[x]) < 0;
                    int from = second ? y++ : x++;
                    preTmp[z] = pre[from];
                    atTmp[z++] = at[from];
                }
                for (; x < mid; x++, z++) {
                    preTmp[z] = pre[x];
                    atTmp[z] = at[x];
                }
                for (; y < hi; y++, z++) {
                    preTmp[z] = pre[y];
                    atTmp[z] = at[y];
                }
                runs[w++] = lo;
            }
            runs[w] = n;
            r = w;
            long[] p = pre;
            pre = preTmp;
            preTmp = p;
            int[] t = at;
            at = atTmp;
            atTmp = t;
        }
        sortedPrefixes = pre;
        return at;
    }

    /** After {@link #sort}: the prefixes in sorted order (a key differs from the next when its prefix does). */
    private long[] sortedPrefixes;

    /** Whether sorted positions k and k + 1 hold the same key. */
    private boolean sameAsNext(int[] order, int k) {
        return k + 1 < order.length && sortedPrefixes[k] == sortedPrefixes[k + 1] && compare(order[k], order[k + 1]) == 0;
    }

    /** A key's first characters, in a long whose unsigned order is theirs (0 past the key's end: ties go to the keys). */
    private long prefix(int i, boolean narrow) {
        int s = start(i), len = PackedKeys.length(s, ends[i]);
        boolean wide = ends[i] < 0;
        long p = 0;
        int chars = narrow ? 8 : 4, bits = narrow ? 8 : 16;
        for (int j = 0; j < chars; j++) p = p << bits | (j < len ? PackedKeys.charAt(keys, s, wide, j) : 0);
        return p;
    }

    private int compare(long pa, int a, long pb, int b) {
        int c = Long.compareUnsigned(pa, pb);
        return c != 0 ? c : compare(a, b);
    }

}
