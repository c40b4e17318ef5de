package micros.data.base;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantLock;
import micros.util.Json;
import micros.util.PrivateFiles;

/**
 * One Base: its items in memory, sorted by key, and its log on disk. Every change is one log
 * record (a JSON object: optional "clear", then "del" keys, then "put" items), so a multi-item
 * put is all-or-nothing across a crash. A change is visible once written and acknowledged once
 * forced (see {@link LogFile#sync}).
 *
 * <p>Writers take turns on one lock; readers take none: they walk a concurrent sorted map, so a
 * query however long never keeps a write waiting. A reader sees each item as it is when it
 * passes it (a page may show part of a multi-item put that runs meanwhile, never a torn item).
 */
final class Base implements AutoCloseable {
    /** Upto 1 MB of items is looked at per query page, as on Deta. */
    static final int PAGE_SCAN_BYTES = 1 << 20;
    private static final long COMPACT_MIN = 4 << 20;

    final String name;
    private final Path file;
    /** Replaced whole by an import (readers keep the map they started with). */
    private volatile ConcurrentSkipListMap<String, Stored> items = new ConcurrentSkipListMap<>();
    private final ReentrantLock writer = new ReentrantLock();
    private final LogFile log;
    private long liveBytes;

    record Stored(Map<String, Object> item, int size) {}

    record Page(List<Map<String, Object>> items, String last) {}

    Base(String name, Path file, List<String> warnings, OpenLogs files) throws IOException {
        this.name = name;
        this.file = file;
        this.log = LogFile.open(file, "base '" + name + "'", this::replay, warnings, files);
    }

    // ---- reading ----

    Map<String, Object> get(String key) {
        Stored s = items.get(key);
        return s == null || Items.expired(s.item, Items.now()) ? null : s.item;
    }

    /**
     * One page of a query: items after {@code last} in key order, at most {@code limit} matches,
     * looking at no more than {@code scanBytes} of items; {@code last} set when more may follow.
     */
    Page query(Query q, int limit, String last, boolean desc, long scanBytes) {
        Query.KeyRange range = q.keyRange();
        if (last != null) range = desc ? range.before(last) : range.after(last);
        if (range.empty()) return new Page(List.of(), null);
        NavigableMap<String, Stored> view = range.of(items);
        if (desc) view = view.descendingMap();
        double now = Items.now();
        List<Map<String, Object>> out = new ArrayList<>();
        long scanned = 0;
        String lastSeen = null;
        Iterator<Map.Entry<String, Stored>> it = view.entrySet().iterator();
        while (it.hasNext()) {
            if (out.size() >= limit || scanned >= scanBytes) return new Page(out, lastSeen);
            Map.Entry<String, Stored> e = it.next();
            Stored s = e.getValue();
            scanned += s.size;
            lastSeen = e.getKey();
            if (!Items.expired(s.item, now) && q.matches(s.item)) out.add(s.item);
        }
        return new Page(out, null);
    }


    int count() {
        double now = Items.now();
        int n = 0;
        for (Stored s : items.values()) if (!Items.expired(s.item, now)) n++;
        return n;
    }

    // ---- writing ----

    /** What a write does to this base, decided under the writer lock from the current items. */
    interface Change {
        /** Fills the record (clear, del, put) or throws a BaseError; may read the base. */
        void plan(Base base, Record r);
    }

    static final class Record {
        boolean clear;
        final List<String> del = new ArrayList<>();
        final List<Map<String, Object>> put = new ArrayList<>();
    }

    /** Plans, logs, applies and syncs one change; returns after it is on disk. */
    Record write(Change change) throws IOException {
        Record r = new Record();
        long seq;
        writer.lock();
        try {
            change.plan(this, r);
            if (!r.clear && r.del.isEmpty() && r.put.isEmpty()) return r;
            seq = log.append(JsonText.bytes(encode(r)));
            apply(r);
            if (log.size() > COMPACT_MIN && log.size() > 2 * liveBytes + COMPACT_MIN / 2) {
                try {
                    compact();
                } catch (IOException e) {
                    // the log as it is stays valid (the rename never happened); a later write tries again
                }
            }
        } finally {
            writer.unlock();
        }
        log.sync(seq);
        return r;
    }

    /** The stored item for a key under the writer lock (expired counts as absent). */
    Map<String, Object> current(String key) {
        Stored s = items.get(key);
        return s == null || Items.expired(s.item, Items.now()) ? null : s.item;
    }

    /** Whether the key is stored at all, expired or not (under the writer lock). */
    boolean holds(String key) {
        return items.containsKey(key);
    }

    /** Keys of expired items (for the purge). */
    List<String> expiredKeys() {
        double now = Items.now();
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Stored> e : items.entrySet()) if (Items.expired(e.getValue().item, now)) out.add(e.getKey());
        return out;
    }

    private static Map<String, Object> encode(Record r) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (r.clear) m.put("clear", true);
        if (!r.del.isEmpty()) m.put("del", r.del);
        if (!r.put.isEmpty()) m.put("put", r.put);
        return m;
    }

    @SuppressWarnings("unchecked")
    private void replay(byte[] payload) {
        Map<String, Object> m = Json.object(new String(payload, StandardCharsets.UTF_8));
        Record r = new Record();
        r.clear = Boolean.TRUE.equals(m.get("clear"));
        for (Object k : (List<Object>) m.getOrDefault("del", List.of())) r.del.add((String) k);
        for (Object i : (List<Object>) m.getOrDefault("put", List.of())) {
            Map<String, Object> item = (Map<String, Object>) i;
            if (!(item.get("key") instanceof String)) throw new IllegalArgumentException("item without key");
            r.put.add(item);
        }
        apply(r);
    }

    private void apply(Record r) {
        if (r.clear) {
            items.clear();
            liveBytes = 0;
        }
        for (String k : r.del) {
            Stored old = items.remove(k);
            if (old != null) liveBytes -= old.size;
        }
        for (Map<String, Object> item : r.put) {
            int size = JsonText.write(item).getBytes(StandardCharsets.UTF_8).length;
            Stored old = items.put((String) item.get("key"), new Stored(item, size));
            if (old != null) liveBytes -= old.size;
            liveBytes += size;
        }
    }

    /** Rewrites the log with only the live items (expired ones dropped), then swaps it in. */
    private void compact() throws IOException {
        double now = Items.now();
        items.values().removeIf(st -> Items.expired(st.item, now));
        snapshot(items.values());
    }

    /** Writes these items as a complete new log (records of up to 1,000 items), forced, and swaps it in atomically. */
    private void snapshot(Iterable<Stored> all) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".compact");
        long live = 0;
        try (FileChannel out = PrivateFiles.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)) {
            write(out, ByteBuffer.wrap(LogFile.MAGIC));
            Record chunk = new Record();
            for (Stored st : all) {
                live += st.size;
                chunk.put.add(st.item);
                if (chunk.put.size() == 1000) {
                    write(out, LogFile.frame(JsonText.bytes(encode(chunk))));
                    chunk.put.clear();
                }
            }
            if (!chunk.put.isEmpty()) write(out, LogFile.frame(JsonText.bytes(encode(chunk))));
            out.force(true);
        }
        log.replaceWith(tmp);
        liveBytes = live;
    }

    /**
     * Stores many items at once (an import): the new content is written as a fresh log and
     * swapped in by one rename, so a crash leaves either the old base or the whole import.
     */
    void load(List<Map<String, Object>> incoming, boolean replace) throws IOException {
        writer.lock();
        try {
            ConcurrentSkipListMap<String, Stored> next = replace ? new ConcurrentSkipListMap<>() : new ConcurrentSkipListMap<>(items);
            for (Map<String, Object> item : incoming) {
                next.put((String) item.get("key"), new Stored(item, JsonText.write(item).getBytes(StandardCharsets.UTF_8).length));
            }
            snapshot(next.values());
            items = next; // readers see the old content or the whole import
        } finally {
            writer.unlock();
        }
    }

    private static void write(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) out.write(b);
    }

    /** Compacts now if the log holds much more than the live items (called at open). */
    void compactIfWasteful() throws IOException {
        writer.lock();
        try {
            if (log.size() > COMPACT_MIN && log.size() > 2 * liveBytes + COMPACT_MIN / 2) compact();
        } finally {
            writer.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        writer.lock();
        try {
            log.close();
        } finally {
            writer.unlock();
        }
        Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".compact"));
    }
}
