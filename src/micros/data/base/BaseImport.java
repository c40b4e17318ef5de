package micros.data.base;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One Base of an import, staged: its items checked one at a time as they stream in (by Base's
 * rules, as a put checks them) and written to a new log beside the base's, which {@link #commit}
 * swaps in whole. Until then the base is untouched, and {@link #close} without a commit deletes
 * the staged log: memory holds one item at a time, the disk the staged log.
 */
public final class BaseImport implements AutoCloseable {
    private final BaseService service;
    private final String base;
    private final Path file;
    private final LogWriter out;
    private long items;
    private boolean closed;

    BaseImport(BaseService service, String base, Path file) throws IOException {
        this.service = service;
        this.base = base;
        this.file = file;
        this.out = new LogWriter(file);
    }

    /**
     * Parses one item's JSON text, nested {@code depth} levels deep in its document (so the whole
     * document nests at most as deep as micros.util.Json reads, Json.MAX_DEPTH); IllegalArgumentException (one short
     * sentence) when it is not JSON.
     */
    public static Object parse(byte[] b, int from, int length, int depth) {
        return JsonBytes.parse(b, from, length, depth);
    }

    /** Stages an item (one without a key gets one); IllegalArgumentException (Base's sentence) when Base would refuse it. */
    public void add(Object raw) throws IOException {
        byte[] text;
        try {
            text = JsonText.bytes(Items.prepareImported(raw));
        } catch (BaseError e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        out.add(text, 0, text.length);
        items++;
    }

    public long items() {
        return items;
    }

    /** Bytes of disk the staged log takes so far. */
    public long bytes() {
        return out.size();
    }

    /** Makes the staged items the base's ({@code replace}) or adds them to it, overwriting items with their keys, in one rename. */
    public void commit(boolean replace) throws IOException {
        out.finish();
        out.close();
        closed = true;
        try {
            service.create(base).adopt(file, replace, items);
        } finally {
            Files.deleteIfExists(file); // renamed into place when adopted
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        try {
            out.close();
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
