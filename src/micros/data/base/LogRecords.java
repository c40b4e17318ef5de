package micros.data.base;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The payload of a base log record, a JSON object: {@code {"clear":true,"del":[keys],"put":[items]}}
 * (each part optional, in that order). Written with where each item's bytes lie in it, and read
 * back without parsing the items: the index needs only each item's key, place and
 * {@code __expires}, and the item's bytes are what a read later parses.
 */
final class LogRecords {
    private LogRecords() {}

    /** What a record does, told in its order. */
    interface Visitor {
        void clear();

        void del(String key);

        /** An item whose text is payload bytes [at, at + length). */
        void put(String key, int at, int length, double expires);
    }

    /** An encoded payload and the offset of each put item in it. */
    record Encoded(byte[] bytes, int[] at) {}

    static final byte[] PUT_OPEN = "{\"put\":[".getBytes(StandardCharsets.US_ASCII);
    static final byte[] PUT_CLOSE = "]}".getBytes(StandardCharsets.US_ASCII);

    static Encoded encode(boolean clear, List<String> del, List<byte[]> items) {
        StringBuilder head = new StringBuilder("{");
        if (clear) head.append("\"clear\":true");
        if (!del.isEmpty()) {
            head.append(head.length() > 1 ? "," : "").append("\"del\":[");
            for (int k = 0; k < del.size(); k++) {
                if (k > 0) head.append(',');
                JsonText.quote(head, del.get(k));
            }
            head.append(']');
        }
        if (!items.isEmpty()) head.append(head.length() > 1 ? "," : "").append("\"put\":[");
        byte[] h = head.toString().getBytes(StandardCharsets.UTF_8);
        int size = h.length + (items.isEmpty() ? 1 : 2);
        for (byte[] item : items) size += item.length + 1;
        byte[] out = new byte[size - (items.isEmpty() ? 0 : 1)];
        System.arraycopy(h, 0, out, 0, h.length);
        int p = h.length;
        int[] at = new int[items.size()];
        for (int k = 0; k < items.size(); k++) {
            if (k > 0) out[p++] = ',';
            at[k] = p;
            System.arraycopy(items.get(k), 0, out, p, items.get(k).length);
            p += items.get(k).length;
        }
        if (!items.isEmpty()) out[p++] = ']';
        out[p++] = '}';
        return new Encoded(out, at);
    }

    /** Tells the visitor what the payload b[0, length) does; IllegalArgumentException when it is not a record micros writes. */
    static void scan(byte[] b, int length, Visitor v) {
        new Scan(b, length).record(v);
    }

    private static final class Scan {
        final byte[] b;
        final int end;
        int i;

        Scan(byte[] b, int end) {
            this.b = b;
            this.end = end;
        }

        IllegalArgumentException bad() {
            return new IllegalArgumentException("not a base log record (at byte " + i + ")");
        }

        int next() {
            ws();
            if (i >= end) throw bad();
            return b[i];
        }

        void expect(char c) {
            if (next() != c) throw bad();
            i++;
        }

        void ws() {
            while (i < end && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) i++;
        }

        void record(Visitor v) {
            expect('{');
            if (next() == '}') i++;
            else {
                do {
                    String name = string();
                    expect(':');
                    switch (name) {
                        case "clear" -> {
                            int at = i;
                            skip();
                            if (b[at] == 't') v.clear();
                        }
                        case "del" -> {
                            expect('[');
                            if (next() == ']') i++;
                            else {
                                do v.del(string());
                                while (comma(']'));
                            }
                        }
                        case "put" -> {
                            expect('[');
                            if (next() == ']') i++;
                            else {
                                do item(v);
                                while (comma(']'));
                            }
                        }
                        default -> skip();
                    }
                } while (comma('}'));
            }
            ws();
            if (i != end) throw bad();
        }

        /** After a member or element: true at a comma, false at the closing bracket (both consumed). */
        boolean comma(char close) {
            int c = next();
            i++;
            if (c == ',') return true;
            if (c == close) return false;
            throw bad();
        }

        /** One put item: its extent, its key and its __expires, the rest skipped (no string made of the other names). */
        void item(Visitor v) {
            if (next() != '{') throw bad();
            int start = i++;
            String key = null;
            double expires = KeyIndex.NEVER;
            if (next() == '}') i++;
            else {
                do {
                    int name = names();
                    expect(':');
                    if (name == KEY && next() == '"') key = string();
                    else if (name == TTL && (next() == '-' || next() >= '0' && next() <= '9')) {
                        int at = i;
                        skip();
                        expires = Double.parseDouble(new String(b, at, i - at, StandardCharsets.ISO_8859_1));
                    } else skip();
                } while (comma('}'));
            }
            if (key == null) throw new IllegalArgumentException("an item without a string key");
            v.put(key, start, i - start, expires);
        }

        static final int OTHER = 0, KEY = 1, TTL = 2;
        static final byte[] KEY_NAME = "key".getBytes(StandardCharsets.US_ASCII), TTL_NAME = Items.TTL.getBytes(StandardCharsets.US_ASCII);

        /** A member name: KEY, TTL or OTHER, told from its bytes (decoded only when it has escapes). */
        int names() {
            if (next() != '"') throw bad();
            int start = i + 1, j = start;
            while (j < end && b[j] != '"' && b[j] != '\\') j++;
            if (j >= end || b[j] != '"') {
                String name = string();
                return name.equals("key") ? KEY : name.equals(Items.TTL) ? TTL : OTHER;
            }
            i = j + 1;
            int n = j - start;
            if (n == 3 && java.util.Arrays.equals(b, start, j, KEY_NAME, 0, 3)) return KEY;
            if (n == TTL_NAME.length && java.util.Arrays.equals(b, start, j, TTL_NAME, 0, n)) return TTL;
            return OTHER;
        }

        /** A string, decoded (a key, a member name). */
        String string() {
            if (next() != '"') throw bad();
            int start = i + 1;
            int j = start;
            while (j < end && b[j] != '"' && b[j] != '\\') j++;
            if (j < end && b[j] == '"') {
                i = j + 1;
                return new String(b, start, j - start, StandardCharsets.UTF_8);
            }
            int from = i;
            skipString();
            return (String) JsonBytes.parse(b, from, i - from);
        }

        void skipString() {
            i++;
            while (true) {
                if (i >= end) throw bad();
                byte c = b[i++];
                if (c == '"') return;
                if (c == '\\') i++;
            }
        }

        /** Passes over one value of any depth (no recursion: brackets counted). */
        void skip() {
            int c = next();
            if (c == '"') {
                skipString();
                return;
            }
            if (c != '{' && c != '[') {
                int start = i;
                while (i < end && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t') i++;
                if (i == start) throw bad();
                return;
            }
            int depth = 0;
            while (true) {
                if (i >= end) throw bad();
                byte d = b[i];
                if (d == '"') {
                    skipString();
                    continue;
                }
                i++;
                if (d == '{' || d == '[') depth++;
                else if ((d == '}' || d == ']') && --depth == 0) return;
            }
        }
    }
}
