package micros.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * A whole request body, read before the handler runs (as Space's front end did). The first
 * {@link #MEMORY} bytes stay on the heap in a pooled buffer; a larger body goes to a temporary
 * file that is unlinked as soon as it is open, so nothing is left behind even after a crash and
 * 200 concurrent 5 MB uploads cost 200 small buffers, not 1 GB of heap. Re-readable from the
 * start (a forward may be retried on a fresh connection).
 */
public final class RequestBody {
    static final int MEMORY = 64 * 1024;
    private static final ArrayBlockingQueue<byte[]> BUFFERS = new ArrayBlockingQueue<>(64);

    private final Path spool;
    private byte[] mem;
    private long length;
    private FileChannel file;

    RequestBody(Path spool) {
        this.spool = spool;
    }

    public long length() {
        return length;
    }

    /** The body when it is small enough to be held in memory; null when it went to disk. */
    public byte[] memory() {
        return file == null ? mem : null;
    }

    void append(byte[] b, int off, int len) throws IOException {
        if (len == 0) return;
        if (file == null && length + len <= MEMORY) {
            if (mem == null) mem = borrow();
            System.arraycopy(b, off, mem, (int) length, len);
            length += len;
            return;
        }
        if (file == null) spill();
        ByteBuffer bb = ByteBuffer.wrap(b, off, len);
        while (bb.hasRemaining()) file.write(bb, length + (len - bb.remaining()));
        length += len;
    }

    private void spill() throws IOException {
        Path tmp = Files.createTempFile(spool, "micros-body-", ".tmp");
        try {
            file = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } finally {
            Files.deleteIfExists(tmp); // the open channel keeps the data; the name is gone at once
        }
        if (length > 0) file.write(ByteBuffer.wrap(mem, 0, (int) length), 0);
    }

    /**
     * Writes the whole body to a blocking channel (a socket): from disk with the kernel's sendfile,
     * so the bytes are not copied through the heap; from memory as they are.
     */
    public void transferTo(java.nio.channels.WritableByteChannel out) throws IOException {
        if (file == null) {
            ByteBuffer b = ByteBuffer.wrap(mem, 0, (int) length);
            while (b.hasRemaining()) out.write(b);
            return;
        }
        for (long pos = 0; pos < length; ) {
            long n = file.transferTo(pos, length - pos, out);
            if (n <= 0 && !out.isOpen()) throw new java.nio.channels.ClosedChannelException();
            pos += n;
        }
    }

    /** Reads the body from its start. */
    public InputStream open() {
        return new InputStream() {
            private long pos;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                if (pos >= length) return -1;
                int k = (int) Math.min(len, length - pos);
                if (file == null) System.arraycopy(mem, (int) pos, b, off, k);
                else k = file.read(ByteBuffer.wrap(b, off, k), pos);
                if (k < 0) return -1;
                pos += k;
                return k;
            }

            @Override
            public long skip(long n) {
                long k = Math.max(0, Math.min(n, length - pos));
                pos += k;
                return k;
            }

            @Override
            public int available() {
                return (int) Math.min(Integer.MAX_VALUE, length - pos);
            }
        };
    }

    /** Gives the buffer back and closes the file. */
    void release() {
        if (mem != null) {
            BUFFERS.offer(mem);
            mem = null;
        }
        if (file != null) {
            try {
                file.close();
            } catch (IOException ignored) {
                // unlinked already: the space is freed with the last descriptor
            }
            file = null;
        }
        length = 0;
    }

    private static byte[] borrow() {
        byte[] b = BUFFERS.poll();
        return b != null ? b : new byte[MEMORY];
    }
}
