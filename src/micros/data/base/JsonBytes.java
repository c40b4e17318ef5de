package micros.data.base;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import micros.util.Json;

/**
 * Reads JSON straight from UTF-8 bytes (an item in a base log, an item of an import) into the
 * values micros.util.Json makes: LinkedHashMap, ArrayList, String, Long (integers), Double (numbers
 * with a fraction or exponent, or past a long), Boolean and null. Without first making a String of
 * the whole text, and ASCII strings without escapes are one copy: a query page reads up to 1 MB.
 */
final class JsonBytes {
    private final byte[] b;
    private final int end, maxDepth = Json.MAX_DEPTH;
    private int i;

    private JsonBytes(byte[] b, int from, int end) {
        this.b = b;
        this.i = from;
        this.end = end;
    }

    /**
     * The value in b[from, from + length), found {@code depth} objects and lists deep in its document;
     * IllegalArgumentException (one short sentence) when it is not JSON or the document would nest
     * deeper than Json.MAX_DEPTH.
     */
    static Object parse(byte[] b, int from, int length, int depth) {
        JsonBytes p = new JsonBytes(b, from, from + length);
        Object v = p.value(depth);
        p.ws();
        if (p.i != p.end) throw p.bad();
        return v;
    }

    static Object parse(byte[] b, int from, int length) {
        return parse(b, from, length, 0);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> item(byte[] b, int from, int length) {
        return (Map<String, Object>) parse(b, from, length);
    }

    /**
     * The item in b[from, from + length) with only the top-level attributes named in {@code names}
     * (the others passed over without making values): enough to test a query that reads no others.
     */
    static Map<String, Object> attributes(byte[] b, int from, int length, java.util.Set<String> names) {
        JsonBytes p = new JsonBytes(b, from, from + length);
        Map<String, Object> m = new LinkedHashMap<>();
        p.ws();
        if (p.peek() != '{') throw p.bad();
        p.i++;
        p.ws();
        if (p.peek() == '}') return m;
        while (true) {
            p.ws();
            if (p.peek() != '"') throw p.bad();
            String k = p.string();
            p.ws();
            if (p.peek() != ':') throw p.bad();
            p.i++;
            if (names.contains(k)) m.put(k, p.value(1));
            else p.skip();
            p.ws();
            int next = p.peek();
            p.i++;
            if (next == '}') return m;
            if (next != ',') throw p.bad();
        }
    }

    /** Passes over one value (stored items only: well-formed, so brackets are only counted). */
    private void skip() {
        ws();
        int depth = 0;
        while (true) {
            int c = peek();
            if (c == '"') {
                i++;
                while (true) {
                    int d = peek();
                    i++;
                    if (d == '"') break;
                    if (d == '\\') i++;
                }
                if (depth == 0) return;
                continue;
            }
            if (depth == 0 && (c == ',' || c == '}' || c == ']')) return;
            i++;
            if (c == '{' || c == '[') depth++;
            else if ((c == '}' || c == ']') && --depth == 0) return;
        }
    }

    private IllegalArgumentException bad() {
        return new IllegalArgumentException(i >= end ? "not JSON: it ends too soon" : "not JSON at byte " + i);
    }

    private int peek() {
        if (i >= end) throw bad();
        return b[i];
    }

    private void ws() {
        while (i < end && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) i++;
    }

    private Object value(int depth) {
        ws();
        int c = peek();
        if ((c == '{' || c == '[') && depth == maxDepth) throw new IllegalArgumentException("JSON nested deeper than " + maxDepth + " levels");
        switch (c) {
            case '{': {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                ws();
                if (peek() == '}') {
                    i++;
                    return m;
                }
                while (true) {
                    ws();
                    if (peek() != '"') throw bad();
                    String k = string();
                    ws();
                    if (peek() != ':') throw bad();
                    i++;
                    m.put(k, value(depth + 1));
                    ws();
                    int next = peek();
                    i++;
                    if (next == '}') return m;
                    if (next != ',') {
                        i--;
                        throw bad();
                    }
                }
            }
            case '[': {
                i++;
                List<Object> l = new ArrayList<>();
                ws();
                if (peek() == ']') {
                    i++;
                    return l;
                }
                while (true) {
                    l.add(value(depth + 1));
                    ws();
                    int next = peek();
                    i++;
                    if (next == ']') return l;
                    if (next != ',') {
                        i--;
                        throw bad();
                    }
                }
            }
            case '"':
                return string();
            case 't':
                return word("true", Boolean.TRUE);
            case 'f':
                return word("false", Boolean.FALSE);
            case 'n':
                return word("null", null);
            default:
                return number();
        }
    }

    private Object word(String w, Object v) {
        for (int k = 0; k < w.length(); k++) {
            if (i + k >= end || b[i + k] != w.charAt(k)) throw bad();
        }
        i += w.length();
        return v;
    }

    /** As Json: integers stay Long; a fraction, an exponent or an integer past a long make a Double. */
    private Object number() {
        int start = i;
        boolean integral = true;
        while (i < end) {
            int c = b[i];
            if (c >= '0' && c <= '9' || c == '-' || c == '+') i++;
            else if (c == '.' || c == 'e' || c == 'E') {
                integral = false;
                i++;
            } else break;
        }
        if (i == start) throw bad();
        String w = new String(b, start, i - start, StandardCharsets.ISO_8859_1);
        try {
            if (!integral) return Double.parseDouble(w);
            if (i - start <= 18 && w.indexOf('+') < 0) return Long.parseLong(w);
            try {
                return Long.parseLong(w);
            } catch (NumberFormatException e) {
                if (!w.matches("-?[0-9]+")) throw e;
                return Double.parseDouble(w);
            }
        } catch (NumberFormatException e) {
            i = start;
            throw new IllegalArgumentException("not JSON: a bad number at byte " + start);
        }
    }

    /** A string at b[i] (its opening quote); escapes as Json reads them (a lone surrogate stays one char). */
    private String string() {
        int start = ++i;
        boolean ascii = true;
        while (true) {
            if (i >= end) throw bad();
            int c = b[i];
            if (c == '"') {
                String s = new String(b, start, i - start, ascii ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
                i++;
                return s;
            }
            if (c == '\\') break;
            if (c < 0) ascii = false;
            i++;
        }
        StringBuilder sb = new StringBuilder(new String(b, start, i - start, StandardCharsets.UTF_8));
        while (true) {
            if (i >= end) throw bad();
            int c = b[i];
            if (c == '"') {
                i++;
                return sb.toString();
            }
            if (c == '\\') {
                if (i + 1 >= end) throw bad();
                int e = b[i + 1];
                i += 2;
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        if (i + 4 > end) throw bad();
                        try {
                            sb.append((char) Integer.parseInt(new String(b, i, 4, StandardCharsets.ISO_8859_1), 16));
                        } catch (NumberFormatException x) {
                            throw new IllegalArgumentException("not JSON: a bad escape at byte " + i);
                        }
                        i += 4;
                    }
                    default -> sb.append((char) (e & 0xFF));
                }
                continue;
            }
            int from = i; // a run without escapes, decoded as UTF-8 at once
            while (i < end && b[i] != '"' && b[i] != '\\') i++;
            sb.append(new String(b, from, i - from, StandardCharsets.UTF_8));
        }
    }
}
