package micros.data.drive;

/**
 * The one byte range a download request asks for (RFC 9110 {@code Range: bytes=...}): from
 * {@code first} to {@code last}, both included. {@link #of} gives null for the whole file (no
 * Range, one it cannot read, another unit, or several ranges: a server may always send all,
 * and one answer of 200 is simpler for every client than a multipart/byteranges body).
 */
record ByteRange(long first, long last) {
    /** A range that starts past the end of the file (or a suffix of 0 bytes): 416. */
    static final ByteRange UNSATISFIABLE = new ByteRange(-1, -1);

    long length() {
        return last - first + 1;
    }

    static ByteRange of(String header, long size) {
        if (header == null) return null;
        String h = header.strip();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) return null;
        String spec = h.substring(6).strip();
        if (spec.indexOf(',') >= 0) return null;
        int dash = spec.indexOf('-');
        if (dash < 0) return null;
        long a = number(spec.substring(0, dash).strip()), b = number(spec.substring(dash + 1).strip());
        if (dash == 0) { // "-N": the last N bytes
            if (b < 0) return null;
            if (b == 0 || size == 0) return UNSATISFIABLE;
            return new ByteRange(Math.max(0, size - b), size - 1);
        }
        if (a < 0 || dash < spec.length() - 1 && (b < 0 || b < a)) return null; // not a valid range: ignored
        if (a >= size) return UNSATISFIABLE;
        long end = dash == spec.length() - 1 ? size - 1 : Math.min(b, size - 1);
        return new ByteRange(a, end);
    }

    /** A decimal (one past a long: Long.MAX_VALUE, beyond any file), or -1. */
    private static long number(String s) {
        if (s.isEmpty()) return -1;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return -1;
        return s.length() > 18 ? Long.MAX_VALUE : Long.parseLong(s);
    }
}
