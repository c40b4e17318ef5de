package micros.util;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The little JSON micros needs: quoting strings it writes, and reading small documents (objects, arrays, strings, numbers, booleans, null). */
public final class Json {

    public static String quote(String s) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029)
                        sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    /**
     * How deep objects and lists may nest in a document {@link #parse} reads. The parser recurses
     * once per level and so does everything that walks a parsed value, on threads with small
     * stacks: past this a document is refused, never a StackOverflowError. Deta Base items nest at
     * most 100 levels (the data server's Items.MAX_DEPTH), which leaves room for the request around them.
     */
    public static final int MAX_DEPTH = 128;

    private final String s;
    private final int maxDepth;
    private int i;

    private Json(String s, int maxDepth) {
        this.s = s;
        this.maxDepth = maxDepth;
    }

    /** Parses a document; IllegalArgumentException (one short sentence, never the text) when it is not JSON or nests deeper than {@link #MAX_DEPTH}. */
    public static Object parse(String text) {
        Json p = new Json(text, MAX_DEPTH);
        try {
            Object v = p.value(0);
            p.ws();
            if (p.i != text.length()) throw p.bad();
            return v;
        } catch (IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("not JSON: it ends too soon");
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not JSON: a bad number or escape before character " + p.i);
        }
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(String text) {
        return (Map<String, Object>) parse(text);
    }

    private IllegalArgumentException bad() {
        return new IllegalArgumentException("not JSON at character " + i);
    }

    private void ws() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    private void expect(char c) {
        ws();
        if (s.charAt(i) != c) throw bad();
        i++;
    }

    /** A value inside {@code depth} objects and lists. */
    private Object value(int depth) {
        ws();
        char c = s.charAt(i);
        if ((c == '{' || c == '[') && depth == maxDepth) throw new IllegalArgumentException("JSON nested deeper than " + maxDepth + " levels");
        switch (c) {
            case '{': {
                i++;
                Map<String, Object> m = new LinkedHashMap<>();
                ws();
                if (s.charAt(i) == '}') { i++; return m; }
                while (true) {
                    ws();
                    if (s.charAt(i) != '"') throw bad();
                    String k = string();
                    expect(':');
                    m.put(k, value(depth + 1));
                    ws();
                    char next = s.charAt(i++);
                    if (next == '}') return m;
                    if (next != ',') { i--; throw bad(); }
                }
            }
            case '[': {
                i++;
                List<Object> l = new ArrayList<>();
                ws();
                if (s.charAt(i) == ']') { i++; return l; }
                while (true) {
                    l.add(value(depth + 1));
                    ws();
                    char next = s.charAt(i++);
                    if (next == ']') return l;
                    if (next != ',') { i--; throw bad(); }
                }
            }
            case '"':
                return string();
            default: {
                int start = i;
                while (i < s.length() && "{}[],:\" \n\r\t".indexOf(s.charAt(i)) < 0) i++;
                String w = s.substring(start, i);
                return switch (w) {
                    case "true" -> Boolean.TRUE;
                    case "false" -> Boolean.FALSE;
                    case "null" -> null;
                    default -> number(w);
                };
            }
        }
    }

    /** Integers stay Long (Deta keeps 1 and 1.0 apart); an integer too long for a Long becomes a Double. */
    private static Object number(String w) {
        if (w.indexOf('.') >= 0 || w.indexOf('e') >= 0 || w.indexOf('E') >= 0) return Double.parseDouble(w);
        try {
            return Long.parseLong(w);
        } catch (NumberFormatException e) {
            if (!w.matches("-?[0-9]+")) throw e;
            return Double.parseDouble(w);
        }
    }

    private String string() {
        StringBuilder sb = new StringBuilder();
        i++; // opening quote
        while (true) {
            char c = s.charAt(i++);
            if (c == '"') return sb.toString();
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = s.charAt(i++);
            switch (e) {
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'u' -> {
                    sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                    i += 4;
                }
                default -> sb.append(e);
            }
        }
    }
}
