package micros.data.base;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import micros.util.Json;

/** Writes micros.util.Json values back as JSON text, and reads request bodies with Deta's errors. */
final class JsonText {
    private JsonText() {}

    static String write(Object v) {
        StringBuilder sb = new StringBuilder(64);
        write(sb, v);
        return sb.toString();
    }

    static byte[] bytes(Object v) {
        return write(v).getBytes(StandardCharsets.UTF_8);
    }

    static void write(StringBuilder sb, Object v) {
        if (v == null) sb.append("null");
        else if (v instanceof String s) quote(sb, s);
        else if (v instanceof Boolean || v instanceof Long || v instanceof Integer) sb.append(v);
        else if (v instanceof Double d) {
            // JSON has no NaN/Infinity; the parser never makes them
            if (d.isNaN() || d.isInfinite()) sb.append("null");
            else number(sb, d);
        } else if (v instanceof StoredItem item) {
            item.appendTo(sb); // the text the log holds: what this method wrote when it was stored
        } else if (v instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) sb.append(',');
                first = false;
                quote(sb, (String) e.getKey());
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) sb.append(',');
                write(sb, l.get(i));
            }
            sb.append(']');
        } else throw new IllegalArgumentException("not a JSON value: " + v.getClass());
    }

    /**
     * Doubles as JavaScript and Python write them for the range Base allows: 1.0 (still a float),
     * 12345678.5 rather than 1.23456785E7; exponents only for very small values.
     */
    private static void number(StringBuilder sb, double d) {
        double a = Math.abs(d);
        if (d == Math.rint(d) && a < 1e16) sb.append((long) d).append(".0");
        else if (a >= 1e-4 && a < 1e16) sb.append(new java.math.BigDecimal(Double.toString(d)).toPlainString());
        else sb.append(d);
    }

    /** Escapes control characters and lone surrogates (a client may send "\ud800"; UTF-8 cannot carry it raw). */
    static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) hex(sb, c);
                    else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if (Character.isSurrogate(c)) hex(sb, c);
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }

    private static void hex(StringBuilder sb, char c) {
        sb.append("\\u");
        String h = Integer.toHexString(c);
        for (int k = h.length(); k < 4; k++) sb.append('0');
        sb.append(h);
    }

    /** Parses a request body; a BaseError (400) when it is not JSON or nests deeper than Json.MAX_DEPTH. */
    static Object parse(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8);
        if (text.isBlank()) throw BaseError.bad("Request body is empty");
        try {
            return Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw BaseError.bad("Request body is not valid JSON (" + e.getMessage() + ")");
        }
    }
}
