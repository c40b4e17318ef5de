package micros.gateway;

/**
 * Puts a request path in the one form routing, public-route matching and the micro all see:
 * percent-encoded unreserved characters decoded (RFC 3986 §2.3), "." and ".." segments
 * resolved (§5.2.4), repeated slashes collapsed. Other escapes stay encoded (so %2F is never
 * a separator). A segment that is only path parameters on an empty, "." or ".." name
 * ({@code ;x}, {@code .;x}, {@code ..;x}, or with {@code %3B}) is that name: servlet containers
 * and Spring drop the parameters and resolve it, so {@code /public/..;/private} is
 * {@code /private} for auth and routing too. Returns null when the path is malformed or climbs
 * above the root.
 */
public final class PathNormalizer {
    private PathNormalizer() {}

    public static String normalize(String raw) {
        if (raw == null || raw.isEmpty() || raw.charAt(0) != '/') return null;
        if (isPlain(raw)) return raw; // the common case: nothing to decode, resolve or collapse
        String decoded = decodeUnreserved(raw);
        if (decoded == null) return null;
        String[] parts = decoded.split("/", -1);
        String[] stack = new String[parts.length];
        int depth = 0;
        String last = "";
        for (String p : parts) {
            last = p = dotOrEmpty(p);
            if (p.isEmpty() || p.equals(".")) continue;
            if (p.equals("..")) {
                if (depth == 0) return null;
                depth--;
                continue;
            }
            stack[depth++] = p;
        }
        StringBuilder sb = new StringBuilder(decoded.length());
        for (int i = 0; i < depth; i++) sb.append('/').append(stack[i]);
        boolean trailing = last.isEmpty() || last.equals(".") || last.equals("..");
        if (sb.length() == 0 || trailing) sb.append('/');
        return sb.toString();
    }

    /** The segment's name without its parameters when that name is "", "." or ".."; else the segment as it is. */
    private static String dotOrEmpty(String segment) {
        int semi = segment.indexOf(';'), escaped = segment.indexOf("%3B");
        int at = semi < 0 ? escaped : escaped < 0 ? semi : Math.min(semi, escaped);
        if (at < 0 || at > 2) return segment;
        String name = segment.substring(0, at);
        return name.isEmpty() || name.equals(".") || name.equals("..") ? name : segment;
    }

    /** No '%', no ';', no "//", no "." or ".." segment: already normal. */
    private static boolean isPlain(String p) {
        int n = p.length();
        for (int i = 0; i < n; i++) {
            char c = p.charAt(i);
            if (c == '%' || c == ';' || c == '\\' || c < 0x21 || c > 0x7e) return false;
            if (c == '/' && i + 1 < n) {
                char d = p.charAt(i + 1);
                if (d == '/') return false;
                if (d == '.' && (i + 2 == n || p.charAt(i + 2) == '/' || (p.charAt(i + 2) == '.' && (i + 3 == n || p.charAt(i + 3) == '/'))))
                    return false;
            }
        }
        return true;
    }

    private static String decodeUnreserved(String raw) {
        StringBuilder sb = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '\\' || c < 0x21 || c > 0x7e) return null; // not allowed unencoded in a request target
            if (c != '%') {
                sb.append(c);
                continue;
            }
            if (i + 2 >= raw.length()) return null;
            int hi = Character.digit(raw.charAt(i + 1), 16), lo = Character.digit(raw.charAt(i + 2), 16);
            if (hi < 0 || lo < 0) return null;
            int b = hi * 16 + lo;
            if (b == 0) return null; // a NUL byte is never a valid path
            if (isUnreserved(b)) sb.append((char) b);
            else sb.append('%').append(Character.toUpperCase(raw.charAt(i + 1))).append(Character.toUpperCase(raw.charAt(i + 2)));
            i += 2;
        }
        return sb.toString();
    }

    private static boolean isUnreserved(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    }
}
