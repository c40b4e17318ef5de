package micros.data.base;

import java.nio.charset.StandardCharsets;

/**
 * Keys packed as bytes, as the index keeps them: one byte per character when all are below
 * U+0100, else two (big-endian), the end offset flagged {@link #WIDE}; compared as
 * String.compareTo compares the strings.
 */
final class PackedKeys {
    private PackedKeys() {}

    /** In a key's end offset: its characters take two bytes each. */
    static final int WIDE = 1 << 31;

    static int encodedLength(String key) {
        return narrow(key) ? key.length() : 2 * key.length();
    }

    private static boolean narrow(String key) {
        for (int j = 0; j < key.length(); j++) if (key.charAt(j) > 0xFF) return false;
        return true;
    }

    /** Writes the key at {@code at}; returns its end offset, flagged WIDE when it takes two bytes a character. */
    static int encode(String key, byte[] to, int at) {
        int n = key.length();
        if (narrow(key)) {
            for (int j = 0; j < n; j++) to[at + j] = (byte) key.charAt(j);
            return at + n;
        }
        for (int j = 0; j < n; j++) {
            char ch = key.charAt(j);
            to[at + 2 * j] = (byte) (ch >> 8);
            to[at + 2 * j + 1] = (byte) ch;
        }
        return (at + 2 * n) | WIDE;
    }

    static String decode(byte[] b, int start, int end) {
        if (end >= 0) return new String(b, start, end - start, StandardCharsets.ISO_8859_1);
        int e = end & ~WIDE;
        char[] cs = new char[(e - start) / 2];
        for (int j = 0; j < cs.length; j++) cs[j] = charAt(b, start, true, j);
        return new String(cs);
    }

    static char charAt(byte[] b, int start, boolean wide, int j) {
        return wide ? (char) ((b[start + 2 * j] & 0xFF) << 8 | b[start + 2 * j + 1] & 0xFF) : (char) (b[start + j] & 0xFF);
    }

    static int length(int start, int end) {
        return end >= 0 ? end - start : ((end & ~WIDE) - start) / 2;
    }

    /** Compares a packed key with a string as String.compareTo does. */
    static int compare(byte[] b, int start, int end, String k) {
        boolean wide = end < 0;
        int n = length(start, end), m = Math.min(n, k.length());
        for (int j = 0; j < m; j++) {
            char x = charAt(b, start, wide, j), y = k.charAt(j);
            if (x != y) return x - y;
        }
        return n - k.length();
    }

    /** Compares two packed keys as String.compareTo compares the strings. */
    static int compare(byte[] a, int as, int ae, byte[] b, int bs, int be) {
        if ((ae | be) >= 0) { // both one byte a character: the bytes compare as the characters do
            int at = java.util.Arrays.mismatch(a, as, ae, b, bs, be);
            if (at < 0) return 0;
            if (at == ae - as || at == be - bs) return (ae - as) - (be - bs);
            return (a[as + at] & 0xFF) - (b[bs + at] & 0xFF);
        }
        boolean aw = ae < 0, bw = be < 0;
        int n = length(as, ae), m = length(bs, be), k = Math.min(n, m);
        for (int j = 0; j < k; j++) {
            char x = charAt(a, as, aw, j), y = charAt(b, bs, bw, j);
            if (x != y) return x - y;
        }
        return n - m;
    }
}
