package micros.data;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

import micros.util.Json;
import micros.util.UserError;

/**
 * Reads a Data Export's {@code bases/<name>.json} as a stream: a JSON array of items, or an object
 * holding {@code items} (its other members passed over), handing over each item's text in turn,
 * so an export of any size takes the memory of one item. Nesting is bounded as micros.util.Json
 * bounds it ({@link Json#MAX_DEPTH} levels in the whole document), and so is an item's text.
 */
final class ExportItems {
    /**
     * The most text one item may take: four times Base's largest item (400 KB), room for an
     * export that escapes every character beyond ASCII; past it no item of Base's size can be.
     */
    static final int MAX_ITEM_TEXT = 4 * 400 * 1024;

    interface Sink {
        /** Item {@code number} (from 1): its text is b[0, length), {@code depth} levels deep in the document. */
        void item(byte[] b, int length, int depth, long number) throws IOException;
    }

    private final InputStream in;
    private final String entry;
    private final byte[] buf = new byte[1 << 16];
    private int pos, lim;
    private long read; // bytes before buf[0], for messages
    private byte[] item = new byte[1 << 12];
    private int used;

    private ExportItems(InputStream in, String entry) {
        this.in = in;
        this.entry = entry;
    }

    /** Hands each item of the entry to the sink; a UserError (one sentence naming the entry) when the document is not one micros reads. */
    static void read(InputStream in, String entry, Sink sink) throws IOException {
        new ExportItems(in, entry).document(sink);
    }

    private void document(Sink sink) throws IOException {
        int c = next();
        boolean found = false;
        if (c == '[') {
            pos++;
            array(1, sink);
            found = true;
        } else if (c == '{') {
            pos++;
            if (next() == '}') pos++;
            else {
                do {
                    String name = name();
                    expect(':');
                    if (name.equals("items") && !found && next() == '[') {
                        pos++;
                        array(2, sink);
                        found = true;
                    } else {
                        if (name.equals("items")) throw neither();
                        skip(1);
                    }
                } while (comma('}'));
            }
        } else {
            skip(0);
        }
        if (next() != -1) throw notJson("something follows the document at byte " + at());
        if (!found) throw neither();
    }

    private void array(int depth, Sink sink) throws IOException {
        if (next() == ']') {
            pos++;
            return;
        }
        long n = 0;
        do {
            used = 0;
            capture(depth, ++n);
            sink.item(item, used, depth, n);
        } while (comma(']'));
    }

    /** Copies one value (an item) into {@code item}, at most MAX_ITEM_TEXT bytes. */
    private void capture(int depth, long number) throws IOException {
        value(depth, true, number);
    }

    /** Passes over one value (a member other than "items") without keeping it. */
    private void skip(int depth) throws IOException {
        value(depth, false, 0);
    }

    /** Reads one value to its end, string- and nesting-aware; with {@code keep}, into {@code item}. */
    private void value(int depth, boolean keep, long number) throws IOException {
        int open = 0;
        boolean string = false, escaped = false, any = false;
        next();
        while (true) {
            int c = peek();
            if (c == -1) {
                if (!keep && any && open == 0 && !string) return;
                throw notJson("it ends too soon");
            }
            if (!string && open == 0 && any && (c == ',' || c == ']' || c == '}' || c <= ' ')) return; // the end of a scalar
            pos++;
            any = true;
            if (keep) {
                if (used == item.length) {
                    if (used >= MAX_ITEM_TEXT)
                        throw UserError.config(entry + ": item " + number + " takes more than " + MAX_ITEM_TEXT / 1024 + " KB of JSON text, past what an item of Base's largest size (400 KB) can take; nothing was imported");
                    item = Arrays.copyOf(item, Math.min(MAX_ITEM_TEXT, used * 2));
                }
                item[used++] = (byte) c;
            }
            if (string) {
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') {
                    string = false;
                    if (open == 0) return;
                }
            } else if (c == '"') string = true;
            else if (c == '{' || c == '[') {
                if (depth + open == Json.MAX_DEPTH) throw notJson("JSON nested deeper than " + Json.MAX_DEPTH + " levels");
                open++;
            } else if (c == '}' || c == ']') {
                if (--open < 0) throw notJson("not JSON at byte " + (at() - 1));
                if (open == 0) return;
            }
        }
    }

    /** A member name (a string without escapes is enough to tell "items"; others are passed over). */
    private String name() throws IOException {
        if (next() != '"') throw notJson("not JSON at byte " + at());
        used = 0;
        capture(1, 0);
        return used >= 2 ? new String(item, 1, used - 2, java.nio.charset.StandardCharsets.UTF_8) : "";
    }

    private void expect(char c) throws IOException {
        if (next() != c) throw notJson("not JSON at byte " + at());
        pos++;
    }

    private boolean comma(char close) throws IOException {
        int c = next();
        if (c == -1) throw notJson("it ends too soon");
        pos++;
        if (c == ',') return true;
        if (c == close) return false;
        throw notJson("not JSON at byte " + (at() - 1));
    }

    /** The next byte after white space, not consumed; -1 at the end. */
    private int next() throws IOException {
        while (true) {
            int c = peek();
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return c;
            pos++;
        }
    }

    private int peek() throws IOException {
        if (pos == lim) {
            read += lim;
            pos = 0;
            lim = Math.max(0, in.read(buf));
            if (lim == 0) return -1;
        }
        return buf[pos] & 0xFF;
    }

    private long at() {
        return read + pos;
    }

    private UserError notJson(String why) {
        return UserError.config(entry + " is not JSON micros can read (" + why + "); nothing was imported");
    }

    private UserError neither() {
        return UserError.config(entry + " is neither a JSON array of items nor an object holding \"items\"; nothing was imported");
    }
}
