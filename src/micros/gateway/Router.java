package micros.gateway;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import micros.spacefile.App;
import micros.spacefile.App.Micro;

/**
 * Picks the micro for a normalised path: the longest whole-segment prefix ("/api" claims
 * "/api" and "/api/...", never "/apix"), else the primary. The prefix is stripped.
 */
public final class Router {
    private final List<Micro> byPrefixLength;
    private final Micro primary;

    public record Route(Micro micro, String path) {}

    public Router(App app) {
        List<Micro> others = new ArrayList<>();
        for (Micro m : app.micros()) if (!m.primary()) others.add(m);
        others.sort(Comparator.comparingInt((Micro m) -> m.prefix().length()).reversed());
        this.byPrefixLength = List.copyOf(others);
        this.primary = app.primary();
    }

    public Route route(String path) {
        for (Micro m : byPrefixLength) {
            String prefix = m.prefix();
            if (path.startsWith(prefix)) {
                int n = prefix.length();
                if (path.length() == n) return new Route(m, "/");
                if (path.charAt(n) == '/') return new Route(m, path.substring(n));
            }
        }
        return new Route(primary, path);
    }
}
