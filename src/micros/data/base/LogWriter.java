package micros.data.base;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import micros.util.PrivateFiles;

/**
 * Writes a new base log from its start (a compaction, an import) through one buffer: items in put
 * records of up to 1,000 items or 1 MB, and where each item lands, known as it is added.
 */
final class LogWriter implements AutoCloseable {
    static final int RECORD_ITEMS = 1000, RECORD_BYTES = 1 << 20;
    private final FileChannel out;
    private byte[] buf = new byte[RECORD_BYTES + 64];
    private int used, items;
    private long size; // bytes written to the file

    /** Creates (or empties) the file, 0600, and writes the log's magic. */
    LogWriter(Path path) throws IOException {
        out = PrivateFiles.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        write(ByteBuffer.wrap(LogFile.MAGIC));
        size = LogFile.MAGIC.length;
    }

    /** Adds an item's JSON text; returns the offset its bytes will have in the file. */
    long add(byte[] b, int off, int len) throws IOException {
        if (items == RECORD_ITEMS || items > 0 && used + len + 3 > RECORD_BYTES) flush();
        int need = used + len + 8 + LogRecords.PUT_OPEN.length + 3;
        if (need > buf.length) buf = java.util.Arrays.copyOf(buf, need);
        if (items == 0) {
            used = 8;
            System.arraycopy(LogRecords.PUT_OPEN, 0, buf, used, LogRecords.PUT_OPEN.length);
            used += LogRecords.PUT_OPEN.length;
        } else buf[used++] = ',';
        long at = size + used;
        System.arraycopy(b, off, buf, used, len);
        used += len;
        items++;
        return at;
    }

    /** Bytes in the file so far, the record being filled included. */
    long size() {
        return size + (items > 0 ? used + 2 : 0);
    }

    /** Ends the record being filled (if any) and writes it. */
    void flush() throws IOException {
        if (items == 0) return;
        System.arraycopy(LogRecords.PUT_CLOSE, 0, buf, used, 2);
        used += 2;
        CRC32C crc = new CRC32C();
        crc.update(buf, 8, used - 8);
        ByteBuffer.wrap(buf, 0, 8).putInt(used - 8).putInt((int) crc.getValue());
        write(ByteBuffer.wrap(buf, 0, used));
        size += used;
        used = 0;
        items = 0;
    }

    /** Appends another log's records [from, to) as they are (the writes a compaction caught up with); returns where they start here. */
    long copy(LogFile.Reader from, long start, long end) throws IOException {
        flush();
        long at = size;
        from.copy(start, end, out);
        size += end - start;
        return at;
    }

    /** Writes what is buffered and forces the file to disk. */
    void finish() throws IOException {
        flush();
        out.force(true);
    }

    private void write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) out.write(b);
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
