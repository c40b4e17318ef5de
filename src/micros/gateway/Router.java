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
    private final Micro[] byPrefixLength;
    private final String[] prefixes;  // made once: Micro.prefix() builds a new String each call
    private final Micro primary;

    public record Route(Micro micro, String path) {}

    public Router(App app) {
        List<Micro> others = new ArrayList<>();
        for (Micro m : app.micros()) if (!m.primary()) others.add(m);
        others.sort(Comparator.comparingInt((Micro m) -> m.prefix().length()).reversed());
        this.byPrefixLength = others.toArray(new Micro[0]);
        this.prefixes = new String[others.size()];
        for (int i = 0; i < prefixes.length; i++) prefixes[i] = byPrefixLength[i].prefix();
        this.primary = app.primary();
    }

    public Route route(String path) {
        for (int i = 0; i < prefixes.length; i++) {
            Micro m = byPrefixLength[i];
            String prefix = prefixes[i];
            if (path.startsWith(prefix)) {
                int n = prefix.length();
                if (path.length() == n) return new Route(m, "/");
                if (path.charAt(n) == '/') return new Route(m, path.substring(n));
            }
        }
        return new Route(primary, path);
    }
}
