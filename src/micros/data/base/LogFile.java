package micros.data.base;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;
import micros.util.PrivateFiles;

/**
 * An append-only file of records: {@code [length:4][crc32c:4][payload]} after an 8-byte magic.
 * Appends are ordered by the caller (one writer lock per base); {@link #sync} is a group commit:
 * the first waiter forces the file, and every write that reached the file before that force is
 * acknowledged by it, so many concurrent writers share one fsync. The file is opened through
 * {@link OpenLogs} when needed, not held for the log's life; from an append until the fsync that
 * covers it the log holds its file, so an unforced file is never closed (nor reopened to be forced).
 * Each file the log has had is a generation (a compaction or an import swaps in a new one): a
 * reader reads places the index of that generation gave, from that generation's file.
 */
final class LogFile implements AutoCloseable {
    static final byte[] MAGIC = "MBASE01\n".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_RECORD = 64 << 20;

    private final Path path;
    private final OpenLogs files;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition done = lock.newCondition();
    private long size;           // bytes in the file
    private long written, synced; // sequence numbers of appended / durable records
    private boolean syncing, closed;
    private OpenLogs.Handle unsynced; // the file, held while written > synced
    private long generation;          // changed under the lock, with the rename that makes a new file current

    private LogFile(Path path, OpenLogs files) {
        this.path = path;
        this.files = files;
    }

    Path path() {
        return path;
    }

    /** A file of this log, opened, and which generation it is. */
    record Opened(FileChannel channel, long generation) {}

    /** Opens the log's current file (for {@link OpenLogs}): under the lock, so no rename runs between the open and the reading of its generation. */
    Opened openFile() throws IOException {
        lock.lock();
        try {
            if (closed) throw new ClosedChannelException();
            return new Opened(FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE), generation);
        } finally {
            lock.unlock();
        }
    }

    long generation() {
        lock.lock();
        try {
            return generation;
        } finally {
            lock.unlock();
        }
    }

    /** What a replay tells of each intact record: its payload (b[0, length)) and where that payload lies in the file. */
    interface Records {
        void accept(byte[] b, int length, long at);
    }

    /**
     * Opens (or creates) the log and feeds every intact record to {@code apply}. A torn or corrupt
     * tail is cut off the log, kept next to it in a {@code .damaged-*} file, and described in
     * {@code warnings}: never dropped silently.
     */
    static LogFile open(Path path, String what, Records apply, List<String> warnings, OpenLogs files) throws IOException {
        LogFile log = new LogFile(path, files);
        if (!Files.exists(path) || Files.size(path) == 0) {
            try (FileChannel ch = PrivateFiles.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(MAGIC), 0);
                ch.force(true);
            }
            fsyncDir(path.getParent());
            log.size = MAGIC.length;
            return log;
        }
        OpenLogs.Handle h = files.lease(log);
        try {
            FileChannel ch = h.channel;
            long good = replay(ch, apply);
            long end = ch.size();
            if (good < end) {
                Path kept = keepTail(path, ch, good, end);
                String why = good == 0 ? "does not start like a micros Base log" : tornOrCorrupt(ch, good, end);
                warnings.add(what + ": " + why + " at byte " + good + " of " + path.getFileName() + "; the " + (end - good)
                        + " bytes from there were moved to " + kept.getFileName() + " and are not loaded");
                if (good == 0) {
                    ch.truncate(0);
                    ch.write(ByteBuffer.wrap(MAGIC), 0);
                    good = MAGIC.length;
                } else ch.truncate(good);
                ch.force(true);
            }
            log.size = good;
            return log;
        } catch (IOException | RuntimeException e) {
            files.retire(log);
            throw e;
        } finally {
            files.release(h);
        }
    }

    /** Reads records from the start; returns the offset after the last intact one (0: bad magic). */
    private static long replay(FileChannel ch, Records apply) throws IOException {
        ByteBuffer magic = ByteBuffer.allocate(MAGIC.length);
        readFully(ch, magic, 0);
        if (magic.position() < MAGIC.length || !magic.flip().equals(ByteBuffer.wrap(MAGIC))) return 0;
        return replay(ch, MAGIC.length, ch.size(), apply);
    }

    /** Reads the records in [from, end) (one buffer, grown to the largest); returns the offset after the last intact one. */
    static long replay(FileChannel ch, long from, long end, Records apply) throws IOException {
        long pos = from;
        ByteBuffer head = ByteBuffer.allocate(8);
        byte[] body = new byte[1 << 16];
        CRC32C crc = new CRC32C();
        while (pos < end) {
            if (end - pos < 8) return pos;
            head.clear();
            readFully(ch, head, pos);
            int len = head.getInt(0), sum = head.getInt(4);
            if (len < 0 || len > MAX_RECORD || pos + 8 + len > end) return pos;
            if (len > body.length) body = new byte[Math.max(len, body.length * 2)];
            ByteBuffer in = ByteBuffer.wrap(body, 0, len);
            readFully(ch, in, pos + 8);
            if (in.hasRemaining()) return pos;
            crc.reset();
            crc.update(body, 0, len);
            if ((int) crc.getValue() != sum) return pos;
            try {
                apply.accept(body, len, pos + 8);
            } catch (RuntimeException e) {
                return pos; // a checksummed record that is not ours: treat as corrupt
            }
            pos += 8 + len;
        }
        return pos;
    }

    private static String tornOrCorrupt(FileChannel ch, long good, long end) throws IOException {
        if (end - good < 8) return "a truncated record (a write cut off before it was acknowledged)";
        ByteBuffer head = ByteBuffer.allocate(8);
        readFully(ch, head, good);
        int len = head.getInt(0);
        if (len >= 0 && len <= MAX_RECORD && good + 8 + len > end) return "a truncated record (a write cut off before it was acknowledged)";
        return "a corrupt record (checksum or content does not match)";
    }

    private static Path keepTail(Path path, FileChannel ch, long from, long end) throws IOException {
        Path kept = path.resolveSibling(path.getFileName() + ".damaged-" + System.currentTimeMillis());
        try (FileChannel out = PrivateFiles.open(kept, StandardOpenOption.CREATE_NEW)) {
            long at = from;
            while (at < end) at += ch.transferTo(at, end - at, out);
            out.force(true);
        }
        fsyncDir(path.getParent());
        return kept;
    }

    /** Reads b's remaining bytes from {@code at} on (fewer only at the end of the file). */
    static void readFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        long base = at - b.position();
        while (b.hasRemaining()) {
            int n = ch.read(b, base + b.position());
            if (n < 0) return;
        }
    }

    static ByteBuffer frame(byte[] payload) {
        CRC32C crc = new CRC32C();
        crc.update(payload, 0, payload.length);
        ByteBuffer b = ByteBuffer.allocate(8 + payload.length);
        b.putInt(payload.length).putInt((int) crc.getValue()).put(payload).flip();
        return b;
    }

    /** Writes one record (not yet durable); returns its sequence number for {@link #sync}. */
    long append(byte[] payload) throws IOException {
        ByteBuffer b = frame(payload);
        lock.lock();
        try {
            if (closed) throw new ClosedChannelException();
            if (unsynced == null) unsynced = files.lease(this);
            FileChannel ch = unsynced.channel;
            long at = size;
            try {
                while (b.hasRemaining()) ch.write(b, at + b.position());
            } catch (IOException e) {
                try {
                    ch.truncate(at); // leave no half record behind a failed write
                } finally {
                    releaseIfSynced();
                }
                throw e;
            }
            size = at + b.limit();
            return ++written;
        } finally {
            lock.unlock();
        }
    }

    /** Returns once record {@code seq} is on disk. */
    void sync(long seq) throws IOException {
        lock.lock();
        try {
            while (synced < seq) {
                if (syncing) {
                    done.awaitUninterruptibly();
                    continue;
                }
                if (unsynced == null) throw new ClosedChannelException(); // closed with the record unforced
                syncing = true;
                long target = written;
                FileChannel c = unsynced.channel;
                lock.unlock();
                boolean ok = false;
                try {
                    c.force(false);
                    ok = true;
                } finally {
                    lock.lock();
                    syncing = false;
                    if (ok && target > synced) synced = target;
                    releaseIfSynced();
                    done.signalAll();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Lets the pool close the file once every appended record is forced (under the lock). */
    private void releaseIfSynced() {
        if (unsynced != null && synced == written) {
            files.release(unsynced);
            unsynced = null;
        }
    }

    long size() {
        lock.lock();
        try {
            return size;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Compaction, import: {@code replacement} (already complete and forced) takes this log's place
     * atomically, as a new generation; {@code swap} gets that generation once the file is in place
     * (the base shows the index of the new file), before leases open it. The caller holds the base's writer lock, so
     * no append runs meanwhile; a lease on the old file stays valid, and the next one opens the
     * replacement.
     */
    void replaceWith(Path replacement, java.util.function.LongConsumer swap) throws IOException {
        lock.lock();
        try {
            while (syncing) done.awaitUninterruptibly();
            Files.move(replacement, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            generation++;
            try {
                fsyncDir(path.getParent());
            } finally {
                swap.accept(generation);
                files.retire(this);
                size = Files.size(path);
                synced = written; // every acknowledged record lives in the replacement
                releaseIfSynced();
                done.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** A lease on generation {@code gen} of the log's file, for reading; null when the log has another file now (look again). */
    Reader reader(long gen) throws IOException {
        OpenLogs.Handle h = files.lease(this);
        if (h.generation != gen) {
            files.release(h);
            return null;
        }
        return new Reader(h.channel, path.getFileName().toString(), () -> files.release(h));
    }

    /**
     * Reads items at their places with positional reads (no lock: reads never wait for writes).
     * Reads ahead a window while that pays (items stored in key order, as compaction and imports
     * write them, take one read for many), else each item alone.
     */
    static final class Reader implements AutoCloseable {
        private static final int WINDOW = 16 << 10;
        private final FileChannel channel;
        private final String name;
        private final Runnable release;
        private byte[] buf = new byte[0];
        private long at = -1;
        private int len;
        private int hits;          // items the last read served after the one it was for
        private boolean windowed;  // whether the last read was a window
        private int alone;         // reads of one item each before a window is tried again

        Reader(FileChannel channel, String name, Runnable release) {
            this.channel = channel;
            this.name = name;
            this.release = release;
        }

        /** The buffer {@link #read} returns offsets into (valid until the next read: ask for it after the read). */
        byte[] buffer() {
            return buf;
        }

        /** Reads [offset, offset + length) of the file; returns where those bytes start in {@link #buffer}. */
        int read(long offset, int length, boolean ahead) throws IOException {
            if (offset >= at && offset + length <= at + len) {
                hits++;
                return (int) (offset - at);
            }
            if (windowed && hits == 0) alone = 16; // items out of key order: a window only costs
            boolean window = ahead && alone == 0;
            if (!window && alone > 0) alone--;
            hits = 0;
            windowed = window;
            int want = window ? Math.max(length, WINDOW) : length;
            if (buf.length < want) buf = new byte[Math.max(want, ahead ? WINDOW : 0)];
            ByteBuffer b = ByteBuffer.wrap(buf, 0, want);
            readFully(channel, b, offset);
            at = offset;
            len = b.position();
            if (len < length) throw new IOException("the log " + name + " ends before an item its index places at byte " + offset);
            return 0;
        }

        /** Copies the file's bytes [from, to) to {@code out} at its position. */
        void copy(long from, long to, FileChannel out) throws IOException {
            while (from < to) {
                long n = channel.transferTo(from, to - from, out);
                if (n <= 0) throw new IOException("the log " + name + " ends before byte " + to);
                from += n;
            }
        }

        /** The records in [from, to) (written by this process: intact), as {@link LogFile#replay} tells them. */
        void replay(long from, long to, Records apply) throws IOException {
            if (LogFile.replay(channel, from, to, apply) != to) throw new IOException("the log " + name + " changed under a compaction");
        }

        @Override
        public void close() {
            release.run();
        }
    }

    static void fsyncDir(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            while (syncing) done.awaitUninterruptibly();
            closed = true;
            if (unsynced != null) files.release(unsynced);
            unsynced = null;
            files.retire(this);
        } finally {
            lock.unlock();
        }
    }
}
