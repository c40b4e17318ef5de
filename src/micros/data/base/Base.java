package micros.data.base;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One Base: its log on disk and, in memory, its index (each key, sorted, with where its item lies
 * in the log and when it expires: {@link KeyIndex}). Items are read from the log when asked for,
 * with positional reads; the OS's page cache keeps the busy ones. Every change is one log record
 * (a JSON object: optional "clear", then "del" keys, then "put" items), so a multi-item put is
 * all-or-nothing across a crash. A change is visible once written and acknowledged once forced
 * (see {@link LogFile#sync}).
 *
 * <p>Writers take turns on one lock; readers take none: they walk the index's concurrent sorted
 * map and read the file of the index they started with, so a query however long never keeps a
 * write waiting. A reader sees each item as it is when it passes it (a page may show part of a
 * multi-item put that runs meanwhile, never a torn item).
 */
final class Base implements AutoCloseable {
    /** Upto 1 MB of items is looked at per query page, as on Deta. */
    static final int PAGE_SCAN_BYTES = 1 << 20;
    private static final long COMPACT_MIN = 4 << 20;

    final String name;
    private final Path file;
    private final LogFile log;
    private final ReentrantLock writer = new ReentrantLock();
    /** Held by a compaction or an import for all of its run: one at a time, and close waits for it. */
    private final ReentrantLock maintenance = new ReentrantLock();
    /** The index, and the generation of the log's file its places are in; replaced whole when the file is. */
    private volatile View view;
    private volatile boolean closing;

    private record View(KeyIndex index, long generation) {}

    record Page(List<Map<String, Object>> items, String last) {}

    /** Where compactions run: a thread of their own (BaseService), or the writing thread. */
    private final Executor compactions;
    private final AtomicBoolean compactionQueued = new AtomicBoolean();

    /** A base whose compactions run in the thread of the write that finds the log wasteful, after that write. */
    Base(String name, Path file, List<String> warnings, OpenLogs files) throws IOException {
        this(name, file, warnings, files, Runnable::run);
    }

    Base(String name, Path file, List<String> warnings, OpenLogs files, Executor compactions) throws IOException {
        this.name = name;
        this.file = file;
        this.compactions = compactions;
        IndexLoader loader = new IndexLoader();
        this.log = LogFile.open(file, "base '" + name + "'", loader.records(), warnings, files);
        view = new View(loader.build(), log.generation());
    }

    // ---- reading ----

    /** A lease on the file of the current index; the index and file always match. */
    private LogFile.Reader reader(View v) throws IOException {
        return log.reader(v.generation);
    }

    /** The item of a key, or null (expired counts as absent). */
    Map<String, Object> get(String key) throws IOException {
        while (true) {
            View v = view;
            KeyIndex.Entry e = v.index.get(key);
            if (e == null || e.expired(Items.now())) return null;
            LogFile.Reader r = reader(v);
            if (r == null) { // the file was swapped meanwhile: the index too
                Thread.onSpinWait();
                continue;
            }
            try (r) {
                int at = r.read(e.offset(), e.length(), false);
                return new StoredItem(r.buffer(), at, e.length());
            }
        }
    }

    /**
     * One page of a query: items after {@code last} in key order, at most {@code limit} matches,
     * looking at no more than {@code scanBytes} of items (their sizes as the index has them, expired
     * ones included, as before); {@code last} set when more may follow.
     */
    Page query(Query q, int limit, String last, boolean desc, long scanBytes) throws IOException {
        Query.KeyRange range = q.keyRange();
        if (last != null) range = desc ? range.before(last) : range.after(last);
        if (range.empty()) return new Page(List.of(), null);
        Set<String> names = attributesRead(q);
        while (true) {
            View v = view;
            LogFile.Reader r = reader(v);
            if (r == null) {
                Thread.onSpinWait();
                continue;
            }
            try (r) {
                KeyIndex.Cursor c = v.index.cursor(range.lo(), range.loIn(), range.hi(), range.hiIn(), desc);
                double now = Items.now();
                List<Map<String, Object>> out = new ArrayList<>();
                long scanned = 0;
                String lastSeen = null;
                while (c.next()) {
                    if (out.size() >= limit || scanned >= scanBytes) return new Page(out, lastSeen);
                    int length = c.length();
                    scanned += length;
                    lastSeen = c.key();
                    if (c.expires() <= now) continue;
                    int at = r.read(c.offset(), length, true);
                    byte[] b = r.buffer();
                    if (names == null || q.matches(JsonBytes.attributes(b, at, length, names))) out.add(new StoredItem(b, at, length));
                }
                return new Page(out, null);
            }
        }
    }

    /**
     * The top-level attributes a query reads (a condition on "a.b" reads "a", or an attribute named
     * "a.b"), so items are tested after parsing only those; null: it reads none, every item matches.
     */
    private static Set<String> attributesRead(Query q) {
        if (q.any().isEmpty()) return null;
        Set<String> names = new HashSet<>();
        for (List<Query.Cond> all : q.any()) {
            for (Query.Cond c : all) {
                names.add(c.path());
                int dot = c.path().indexOf('.');
                if (dot >= 0) names.add(c.path().substring(0, dot));
            }
        }
        return names;
    }

    /** Every live item's JSON text in key order, without parsing it (an export). */
    void eachItem(BaseService.ItemSink sink) throws IOException {
        while (true) {
            View v = view;
            LogFile.Reader r = reader(v);
            if (r == null) {
                Thread.onSpinWait();
                continue;
            }
            try (r) {
                KeyIndex.Cursor c = v.index.cursor(null, false, null, false, false);
                double now = Items.now();
                while (c.next()) {
                    if (c.expires() <= now) continue;
                    int at = r.read(c.offset(), c.length(), true);
                    sink.accept(r.buffer(), at, c.length());
                }
                return;
            }
        }
    }

    int count() {
        return (int) view.index.countLive(Items.now());
    }

    // ---- writing ----

    /** What a write does to this base, decided under the writer lock from the current items. */
    interface Change {
        /** Fills the record (clear, del, put) or throws a BaseError; may read the base. */
        void plan(Base base, Record r) throws IOException;
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
        boolean wasteful;
        writer.lock();
        try {
            change.plan(this, r);
            if (!r.clear && r.del.isEmpty() && r.put.isEmpty()) return r;
            List<byte[]> texts = new ArrayList<>(r.put.size());
            for (Map<String, Object> item : r.put) texts.add(JsonText.bytes(item));
            LogRecords.Encoded rec = LogRecords.encode(r.clear, r.del, texts);
            long at = log.size() + 8; // where the payload lands: appends take turns under this lock
            seq = log.append(rec.bytes());
            KeyIndex index = view.index;
            if (r.clear) index.clear();
            for (String k : r.del) index.remove(k);
            for (int k = 0; k < texts.size(); k++) {
                Map<String, Object> item = r.put.get(k);
                index.put((String) item.get("key"), KeyIndex.place(at + rec.at()[k], texts.get(k).length), expiry(item));
            }
            wasteful = wasteful();
        } finally {
            writer.unlock();
        }
        log.sync(seq);
        if (wasteful && compactionQueued.compareAndSet(false, true)) {
            try {
                compactions.execute(() -> {
                    compactionQueued.set(false);
                    try {
                        compact();
                    } catch (IOException | RuntimeException e) {
                        // the log as it is stays valid (the rename never happened); a later write tries again
                    }
                });
            } catch (RejectedExecutionException e) {
                compactionQueued.set(false); // shutting down
            }
        }
        return r;
    }

    static double expiry(Map<String, Object> item) {
        return item.get(Items.TTL) instanceof Number n ? n.doubleValue() : KeyIndex.NEVER;
    }

    /** The stored item for a key, under the writer lock (expired counts as absent). */
    Map<String, Object> current(String key) throws IOException {
        return get(key);
    }

    /** Whether the key is stored at all, expired or not (under the writer lock). */
    boolean holds(String key) {
        return view.index.get(key) != null;
    }

    /** Keys of expired items (for the purge), from the index alone. */
    List<String> expiredKeys() {
        return view.index.expired(Items.now());
    }

    // ---- compaction and imports ----

    /** Whether the log holds much more than the live items (under the writer lock). */
    private boolean wasteful() {
        long size = log.size();
        return size > COMPACT_MIN && size > 2 * view.index.bytes() + COMPACT_MIN / 2;
    }

    private Path compactFile() {
        return file.resolveSibling(file.getFileName() + ".compact");
    }

    /** Compacts now if the log holds much more than the live items (at open), after any compaction running. */
    void compactIfWasteful() throws IOException {
        maintenance.lock();
        try {
            compact();
        } finally {
            maintenance.unlock();
        }
    }

    /**
     * Rewrites the log with only the live items (expired ones dropped) and swaps it in by an atomic
     * rename, when it is wasteful and no compaction runs. The items are copied in key order from the
     * index as it is, without the writer lock (writes and reads go on); then, under it, the records
     * written meanwhile are copied after them as they are and applied to the new index, the new
     * file forced, and renamed over the log. A crash before the rename leaves the log as it was
     * (the ".compact" file is deleted at the next open).
     */
    private void compact() throws IOException {
        if (!maintenance.tryLock()) return; // one is running: it will do (held already: reentrant)
        Path tmp = compactFile();
        boolean done = false;
        try {
            View v;
            long from;
            writer.lock();
            try {
                if (closing || !wasteful()) return;
                v = view;
                from = log.size();
            } finally {
                writer.unlock();
            }
            LogFile.Reader in = reader(v); // the view cannot change: only this (and imports) swap files, under the maintenance lock
            if (in == null) throw new IOException("the log of base '" + name + "' changed under its compaction");
            try (in; LogWriter out = new LogWriter(tmp)) {
                KeyIndex.Builder b = new KeyIndex.Builder();
                double now = Items.now();
                KeyIndex.Cursor c = v.index.cursor(null, false, null, false, false);
                while (c.next()) {
                    if (closing) return;
                    if (c.expires() <= now) continue;
                    int length = c.length();
                    int text = in.read(c.offset(), length, true);
                    long at = out.add(in.buffer(), text, length);
                    b.add(c.key(), KeyIndex.place(at, length), c.expires());
                }
                KeyIndex next = b.build();
                writer.lock();
                try {
                    long to = log.size();
                    if (to > from) {
                        long start = out.copy(in, from, to);
                        in.replay(from, to, (bytes, length, at) -> LogRecords.scan(bytes, length, next.applying(start - from + at)));
                    }
                    out.finish();
                    log.replaceWith(tmp, gen -> view = new View(next, gen));
                    done = true;
                } finally {
                    writer.unlock();
                }
            }
        } finally {
            try {
                if (!done) Files.deleteIfExists(tmp);
            } finally {
                maintenance.unlock();
            }
        }
    }

    /**
     * Takes an import's log ({@code staged}: complete, forced, every item checked): with
     * {@code replace} its items become the base's, otherwise they are added to the base's live
     * items, overwriting those with their keys. Either way a new log is written in key order (so
     * it loads without a sort and reads ahead well) and swapped in by one rename: a crash leaves
     * the old base or the whole import. Imports run while the app is stopped: this holds the
     * writer lock throughout.
     */
    void adopt(Path staged, boolean replace, long items) throws IOException {
        maintenance.lock();
        Path tmp = compactFile();
        boolean done = false;
        try (FileChannel ch = FileChannel.open(staged, StandardOpenOption.READ)) {
            KeyIndex imported = load(ch, name, items);
            writer.lock();
            try {
                View v = view;
                LogFile.Reader mine = replace ? null : reader(v);
                if (!replace && mine == null) throw new IOException("the log of base '" + name + "' changed under an import");
                KeyIndex next;
                try (mine; LogFile.Reader theirs = new LogFile.Reader(ch, staged.getFileName().toString(), () -> { }); LogWriter out = new LogWriter(tmp)) {
                    next = merged(imported, theirs, replace ? null : v.index, mine, out);
                    out.finish();
                }
                log.replaceWith(tmp, gen -> view = new View(next, gen));
                done = true;
            } finally {
                writer.unlock();
            }
        } finally {
            try {
                if (!done) Files.deleteIfExists(tmp);
            } finally {
                maintenance.unlock();
            }
        }
    }

    /** The index of a log this process wrote whole (an import's), of about {@code items} changes. */
    private static KeyIndex load(FileChannel ch, String name, long items) throws IOException {
        IndexLoader loader = new IndexLoader((int) Math.min(items, Integer.MAX_VALUE - 16));
        long end = LogFile.replay(ch, LogFile.MAGIC.length, ch.size(), loader.records());
        if (end != ch.size()) throw new IOException("the import's log of base '" + name + "' is damaged at byte " + end);
        return loader.build();
    }

    /** Writes the import's items and the old live items it does not hold (none without {@code old}) in key order; returns their index. */
    private static KeyIndex merged(KeyIndex imported, LogFile.Reader theirIn, KeyIndex old, LogFile.Reader myIn, LogWriter out) throws IOException {
        KeyIndex.Builder b = new KeyIndex.Builder();
        KeyIndex.Cursor theirs = imported.drain(); // its chunks freed as they are written anew
        KeyIndex.Cursor mine = old == null ? null : old.cursor(null, false, null, false, false);
        boolean moreTheirs = theirs.next(), more = mine != null && mine.next();
        double now = Items.now();
        while (more || moreTheirs) {
            int cmp = !more ? 1 : !moreTheirs ? -1 : mine.key().compareTo(theirs.key());
            KeyIndex.Cursor c = cmp < 0 ? mine : theirs;
            LogFile.Reader in = cmp < 0 ? myIn : theirIn;
            if (cmp >= 0 || mine.expires() > now) {
                int length = c.length();
                int text = in.read(c.offset(), length, true);
                long at = out.add(in.buffer(), text, length);
                b.add(c.key(), KeyIndex.place(at, length), c.expires());
            }
            if (cmp <= 0) more = mine.next();
            if (cmp >= 0) moreTheirs = theirs.next();
        }
        return b.build();
    }

    @Override
    public void close() throws IOException {
        closing = true;
        maintenance.lock(); // a compaction running stops at its next item
        try {
            writer.lock();
            try {
                log.close();
            } finally {
                writer.unlock();
            }
        } finally {
            maintenance.unlock();
        }
        Files.deleteIfExists(compactFile());
    }
}
