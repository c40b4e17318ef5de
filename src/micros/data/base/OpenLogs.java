package micros.data.base;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The open files of an app's base logs, shared by all its bases: a micro may make any number of
 * bases, and each must not cost a descriptor for as long as it exists. Every use of a log's file
 * is a lease ({@link #lease}, {@link #release}); past {@link #MAX_OPEN} open files the least
 * recently used one that nobody holds is closed, and opened again at its next lease. A leased
 * file stays open, so more than MAX_OPEN are open only while more are in use at once.
 * A compaction that swaps a log's file ({@link #retire}) leaves leases on the old file valid: it
 * closes when the last ends, and the next lease opens the new one.
 */
final class OpenLogs {
    /** Open files kept for the bases in use: a micro's busy bases fit; reopening another costs one open(2). */
    static final int MAX_OPEN = 128;

    /** One open file of one log, and which of the log's files it is (a compaction makes a new one). */
    static final class Handle {
        final FileChannel channel;
        final long generation;
        private int leases;
        private boolean retired;

        private Handle(FileChannel channel, long generation) {
            this.channel = channel;
            this.generation = generation;
        }
    }

    private final int max;
    /** Open files by log, least recently leased first. */
    private final LinkedHashMap<LogFile, Handle> open = new LinkedHashMap<>(16, 0.75f, true);
    /** Counts retirements, so a file opened while its log was swapped is not kept. */
    private long retirements;

    OpenLogs(int max) {
        this.max = max;
    }

    /** The log's current file, open and held until {@link #release}. */
    Handle lease(LogFile log) throws IOException {
        while (true) {
            long seen;
            synchronized (this) {
                Handle h = open.get(log);
                if (h != null) {
                    h.leases++;
                    return h;
                }
                seen = retirements;
            }
            // opened outside the lock: one slow open holds up no other base
            LogFile.Opened o = log.openFile();
            FileChannel ch = o.channel();
            Handle h = null;
            List<FileChannel> unused = null;
            synchronized (this) {
                // kept unless another lease opened it meanwhile, or a retirement may have swapped the file under it
                if (retirements == seen && !open.containsKey(log)) {
                    h = new Handle(ch, o.generation());
                    h.leases = 1;
                    open.put(log, h);
                    unused = evictIdle();
                }
            }
            if (h == null) close(List.of(ch));
            else {
                close(unused);
                return h;
            }
        }
    }

    void release(Handle h) {
        FileChannel retired = null;
        List<FileChannel> unused = null;
        synchronized (this) {
            if (--h.leases == 0 && h.retired) retired = h.channel;
            else if (open.size() > max) unused = evictIdle();
        }
        if (retired != null) close(List.of(retired));
        close(unused);
    }

    /** The log's file was replaced (compaction) or the log closed: the next lease opens the file anew. */
    void retire(LogFile log) {
        FileChannel unused = null;
        synchronized (this) {
            retirements++;
            Handle h = open.remove(log);
            if (h != null) {
                h.retired = true;
                if (h.leases == 0) unused = h.channel;
            }
        }
        if (unused != null) close(List.of(unused));
    }

    /** Removes the least recently used files nobody holds until at most {@code max} are open; returns them (null: none). */
    private List<FileChannel> evictIdle() {
        List<FileChannel> out = null;
        Iterator<Handle> it = open.values().iterator();
        while (open.size() > max && it.hasNext()) {
            Handle h = it.next();
            if (h.leases == 0) {
                it.remove();
                if (out == null) out = new ArrayList<>();
                out.add(h.channel);
            }
        }
        return out;
    }

    private static void close(List<FileChannel> channels) {
        if (channels == null) return;
        for (FileChannel c : channels) {
            try {
                c.close();
            } catch (IOException e) {
                // a file is closed only when no write holds it, and a write holds it until forced: nothing is lost
            }
        }
    }
}
