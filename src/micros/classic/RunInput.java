package micros.classic;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import micros.util.Json;

/**
 * `deta run`'s input, built as the deta CLI built it: {@code --name value} is a string, a
 * repeated name a list of strings, {@code --flag} with no value "", {@code -flag} true; the
 * body is that object as JSON (keys sorted, as Go's encoder wrote a map).
 */
public final class RunInput {
    private RunInput() {}

    /** The input object (String, List of String, or Boolean values) from the words after "--". */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parse(List<String> args) {
        Map<String, Object> input = new TreeMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.startsWith("--")) {
                String key = a.replaceFirst("^-+", "");
                if (key.isEmpty()) continue;
                String value = "";
                if (i + 1 < args.size() && !args.get(i + 1).startsWith("-")) value = args.get(++i);
                Object had = input.get(key);
                if (had instanceof String s) input.put(key, new ArrayList<>(List.of(s, value)));
                else if (had instanceof List<?> l) ((List<Object>) l).add(value);
                else input.put(key, value);
            } else if (a.startsWith("-")) {
                input.put(a.substring(1), Boolean.TRUE);
            }
        }
        return input;
    }

    /** Compact JSON, keys sorted: the event's body. */
    public static String json(Object v) {
        return write(v, null, 0);
    }

    /** As the deta CLI printed a response: tab-indented, keys sorted. */
    public static String pretty(Object v) {
        return write(v, "\t", 0);
    }

    @SuppressWarnings("unchecked")
    private static String write(Object v, String indent, int depth) {
        if (v == null) return "null";
        if (v instanceof String s) return Json.quote(s);
        if (v instanceof Boolean || v instanceof Long || v instanceof Integer) return v.toString();
        if (v instanceof Double d) return d == Math.rint(d) && Math.abs(d) < 1e21 ? Long.toString(d.longValue()) : d.toString();
        String nl = indent == null ? "" : "\n" + indent.repeat(depth + 1), end = indent == null ? "" : "\n" + indent.repeat(depth);
        StringBuilder sb = new StringBuilder();
        if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) return "{}";
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : new TreeMap<>((Map<String, Object>) m).entrySet()) {
                sb.append(first ? "" : ",").append(nl).append(Json.quote(e.getKey())).append(indent == null ? ":" : ": ").append(write(e.getValue(), indent, depth + 1));
                first = false;
            }
            return sb.append(end).append('}').toString();
        }
        if (v instanceof List<?> l) {
            if (l.isEmpty()) return "[]";
            sb.append('[');
            for (int i = 0; i < l.size(); i++) sb.append(i == 0 ? "" : ",").append(nl).append(write(l.get(i), indent, depth + 1));
            return sb.append(end).append(']').toString();
        }
        return Json.quote(String.valueOf(v));
    }
}
