package micros.gateway;

import java.util.ArrayList;
import java.util.List;

import micros.spacefile.App.Micro;

/**
 * A micro's public routes, matched against the normalised path inside the micro (the query
 * never counts). An exact route matches itself, with or without a trailing slash; a {@code *}
 * that ends the route matches anything after it, across '/' ({@code /public/*} matches
 * {@code /public/a/b}, {@code /public*} matches {@code /publicity}); a {@code *} anywhere else
 * matches within one segment ({@code /api/*}{@code /docs}, {@code /*.png}).
 * {@code public: true} is {@code /*}.
 */
final class PublicRoutes {
    private final List<String> routes;
    private final boolean everything;

    PublicRoutes(Micro m) {
        List<String> r = new ArrayList<>();
        boolean all = m.isPublic();
        for (String route : m.publicRoutes()) {
            String p = route.startsWith("/") ? route : "/" + route;
            if (p.equals("/*")) all = true;
            r.add(p);
        }
        this.routes = List.copyOf(r);
        this.everything = all;
    }

    boolean matches(String path) {
        if (everything) return true;
        for (String route : routes) if (matches(route, path)) return true;
        return false;
    }

    static boolean matches(String route, String path) {
        if (route.indexOf('*') < 0) return stripSlash(route).equals(stripSlash(path));
        return glob(route, 0, path, 0);
    }

    private static String stripSlash(String s) {
        return s.length() > 1 && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    /** Matches route[ri..] against path[pi..]; a final '*' takes the rest, any other '*' stays inside one segment. */
    private static boolean glob(String route, int ri, String path, int pi) {
        while (ri < route.length()) {
            char c = route.charAt(ri);
            if (c == '*') {
                if (ri == route.length() - 1) return true;
                for (int k = pi; ; k++) { // try each length of the segment-local run
                    if (glob(route, ri + 1, path, k)) return true;
                    if (k >= path.length() || path.charAt(k) == '/') return false;
                }
            }
            if (pi >= path.length() || path.charAt(pi) != c) return false;
            ri++;
            pi++;
        }
        return pi == path.length();
    }
}
