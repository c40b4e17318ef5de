package micros.export;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes Kubernetes manifests from maps (in insertion order), lists, strings, integers and
 * booleans. Every string is double-quoted, so no value can turn into another type or break the
 * document ("on", "0755", a colon); the output is the same bytes for the same input.
 */
final class Yaml {
    private Yaml() {}

    /** An ordered map from key/value pairs: {@code map("kind", "Service", "metadata", ...)}. */
    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) if (kv[i + 1] != null) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    /** Documents separated by "---". */
    static String documents(List<Map<String, Object>> docs) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < docs.size(); i++) {
            if (i > 0) sb.append("---\n");
            mapping(sb, docs.get(i), 0);
        }
        return sb.toString();
    }

    private static void mapping(StringBuilder sb, Map<?, ?> m, int indent) {
        for (Map.Entry<?, ?> e : m.entrySet()) {
            sb.append(" ".repeat(indent)).append(e.getKey()).append(':');
            value(sb, e.getValue(), indent);
        }
    }

    /** After "key:" or "-": a scalar on the same line, a collection on the next ones. */
    private static void value(StringBuilder sb, Object v, int indent) {
        if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append(" {}\n");
                return;
            }
            sb.append('\n');
            mapping(sb, m, indent + 2);
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                sb.append(" []\n");
                return;
            }
            sb.append('\n');
            for (Object item : l) {
                sb.append(" ".repeat(indent + 2)).append('-');
                if (item instanceof Map<?, ?> m && !m.isEmpty()) { // "- key: value" then the rest of the map under it
                    boolean first = true;
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        sb.append(first ? " " : " ".repeat(indent + 4)).append(e.getKey()).append(':');
                        value(sb, e.getValue(), indent + 4);
                        first = false;
                    }
                } else {
                    value(sb, item, indent + 2);
                }
            }
        } else {
            sb.append(' ').append(scalar(v)).append('\n');
        }
    }

    static String scalar(Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Boolean) return v.toString();
        return quote(String.valueOf(v));
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\x%02x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
