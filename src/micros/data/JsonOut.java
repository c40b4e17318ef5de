package micros.data;

import java.util.List;
import java.util.Map;

import micros.util.Json;

/** Writes the values {@link Json#parse} reads (maps, lists, strings, numbers, booleans, null) back as JSON text. */
public final class JsonOut {
    private JsonOut() {}

    public static String write(Object v) {
        StringBuilder b = new StringBuilder();
        write(b, v);
        return b.toString();
    }

    public static void write(StringBuilder b, Object v) {
        if (v == null) b.append("null");
        else if (v instanceof String s) b.append(Json.quote(s));
        else if (v instanceof Double d) b.append(d.isNaN() || d.isInfinite() ? "null" : d.toString());
        else if (v instanceof Number || v instanceof Boolean) b.append(v);
        else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) b.append(',');
                first = false;
                b.append(Json.quote(String.valueOf(e.getKey()))).append(':');
                write(b, e.getValue());
            }
            b.append('}');
        } else if (v instanceof List<?> l) {
            b.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) b.append(',');
                write(b, l.get(i));
            }
            b.append(']');
        } else b.append(Json.quote(v.toString()));
    }
}
