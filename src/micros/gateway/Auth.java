package micros.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import micros.spacefile.App;
import micros.http.Exchange;
import micros.spacefile.App.Micro;

/**
 * Space's authentication: private by default; public micros and routes; the owner's login
 * token (as a query parameter once, then a cookie); API keys for micros with the api_keys
 * preset ({@code X-Space-App-Key}; a Deta Cloud micro's as {@code X-API-Key}); the app's own DETA_API_KEY ({@code X-API-Key}).
 * Paths under /__space/ are the owner's only. Tokens are compared in constant time.
 */
final class Auth {
    static final String COOKIE = "space_token";

    private final boolean open;
    private final byte[] owner;
    private final List<byte[]> apiKeys;
    private final byte[] appKey;
    private final boolean detaCloud; // a Deta Cloud micro: its API keys come as X-API-Key (`deta auth create-api-key`)
    private final Map<String, PublicRoutes> routes = new HashMap<>();

    Auth(App app, boolean open, String ownerToken, List<String> apiKeys, String appKey) {
        this.open = open;
        this.detaCloud = app.classic() != null;
        this.owner = bytes(ownerToken);
        this.apiKeys = apiKeys.stream().map(Auth::bytes).toList();
        this.appKey = bytes(appKey);
        for (Micro m : app.micros()) routes.put(m.name(), new PublicRoutes(m));
    }

    boolean open() {
        return open;
    }

    boolean isOwnerToken(String token) {
        return token != null && owner.length > 0 && MessageDigest.isEqual(owner, bytes(token));
    }

    /**
     * The owner: a valid space_token cookie. Any of them counts: a browser sends every cookie of
     * that name (another path, another site on the same host), and one that is not ours must not hide ours.
     */
    boolean isOwner(Exchange ex) {
        List<String> headers = ex.headers("Cookie");
        if (headers == null || owner.length == 0) return false;
        for (String h : headers) {
            if (!h.contains(COOKIE)) continue;
            for (String part : h.split(";")) {
                String p = part.strip();
                if (p.startsWith(COOKIE + "=") && isOwnerToken(p.substring(COOKIE.length() + 1))) return true;
            }
        }
        return false;
    }

    /**
     * Whether this request may reach the micro at {@code path} (normalised, inside the micro).
     * Reserved /__space/ paths need the owner even on public micros.
     */
    boolean allows(Exchange ex, Micro m, String path) {
        if (isReserved(path)) return isOwner(ex);
        if (open || routes.get(m.name()).matches(path)) return true;
        if (isOwner(ex)) return true;
        String appKeyHeader = ex.header("X-API-Key");
        if (appKeyHeader != null && MessageDigest.isEqual(appKey, bytes(appKeyHeader))) return true;
        String key = detaCloud ? appKeyHeader : ex.header("X-Space-App-Key");
        if (key != null && m.apiKeys()) {
            byte[] given = bytes(key);
            boolean ok = false;
            for (byte[] k : apiKeys) ok |= MessageDigest.isEqual(k, given); // look at every key: no early exit
            return ok;
        }
        return false;
    }

    /**
     * Whether a normalised path is Space's reserved /__space/...: a first segment that is __space
     * in any letter case (Express matches routes case-insensitively), __space followed by an
     * encoded slash or backslash (frameworks that decode the path see /__space/...), or __space
     * with path parameters, ';' or its escape %3B (servlet containers and Spring drop them).
     */
    static boolean isReserved(String path) {
        int n = RESERVED.length();
        if (path.length() < n || !path.regionMatches(true, 0, RESERVED, 0, n)) return false;
        if (path.length() == n || path.charAt(n) == '/' || path.charAt(n) == ';') return true;
        if (path.length() < n + 3 || path.charAt(n) != '%') return false;
        char hi = path.charAt(n + 1), lo = (char) (path.charAt(n + 2) | 0x20);
        return hi == '2' && lo == 'f' || hi == '5' && lo == 'c' || hi == '3' && lo == 'b';
    }

    private static final String RESERVED = "/__space";

    /** The value of one cookie among the Cookie headers, or null. */
    static String cookie(List<String> headers, String name) {
        if (headers == null) return null;
        for (String h : headers)
            for (String part : h.split(";")) {
                String p = part.strip();
                if (p.startsWith(name + "=")) return p.substring(name.length() + 1);
            }
        return null;
    }

    /** The Cookie header without the space_token cookie: null when there was none to remove, "" when nothing is left. */
    static String withoutLoginCookie(List<String> headers) {
        if (headers == null || cookie(headers, COOKIE) == null) return null;
        StringBuilder sb = new StringBuilder();
        for (String h : headers)
            for (String part : h.split(";")) {
                String p = part.strip();
                if (p.isEmpty() || p.startsWith(COOKIE + "=")) continue;
                if (sb.length() > 0) sb.append("; ");
                sb.append(p);
            }
        return sb.toString();
    }

    /** A query parameter's raw value, or null. */
    static String param(String rawQuery, String name) {
        if (rawQuery == null) return null;
        for (String pair : rawQuery.split("&")) {
            if (pair.equals(name)) return "";
            if (pair.startsWith(name + "=")) return java.net.URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8);
        }
        return null;
    }

    /** The query without one parameter; null when nothing is left. */
    static String withoutParam(String rawQuery, String name) {
        if (rawQuery == null) return null;
        StringBuilder sb = new StringBuilder();
        for (String pair : rawQuery.split("&")) {
            if (pair.equals(name) || pair.startsWith(name + "=") || pair.isEmpty()) continue;
            if (sb.length() > 0) sb.append('&');
            sb.append(pair);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    private static byte[] bytes(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }
}
