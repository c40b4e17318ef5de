package micros.runtime;

import java.net.URI;

import micros.util.UserError;

/**
 * A micro that runs elsewhere (`micros gateway --micro NAME=URL`): the gateway forwards to
 * {@code host:port}, puts {@code base} in front of every path and sends {@code authority} as
 * Host (a Knative service is routed by its Host). Nothing is started or limited by micros.
 * With a {@code gatewayKey} (MICROS_GATEWAY_KEY), every request carries it in {@link #KEY_HEADER}:
 * the exported micros' guard passes on nothing else, so the gateway stays the only door.
 */
public record Remote(String url, String host, int port, String base, String authority, String gatewayKey) {
    /** The header that proves a request came through the gateway; a client's own is never passed on. */
    public static final String KEY_HEADER = "X-Micros-Gateway-Key";

    /** Parses {@code http://host[:port][/base]}; anything else is one sentence. */
    public static Remote parse(String name, String url) {
        URI u;
        try {
            u = new URI(url);
        } catch (java.net.URISyntaxException e) {
            throw UserError.config("--micro " + name + "=" + url + ": not a URL (write http://host:port or http://host:port/base)");
        }
        if (!"http".equalsIgnoreCase(u.getScheme()) || u.getHost() == null || u.getRawQuery() != null || u.getRawFragment() != null
                || u.getRawUserInfo() != null)
            throw UserError.config("--micro " + name + "=" + url + ": write http://host[:port][/base] (plain HTTP; no query, user or fragment)");
        int port = u.getPort() < 0 ? 80 : u.getPort();
        String base = u.getRawPath() == null ? "" : u.getRawPath();
        while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
        String host = u.getHost();
        String authority = (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + (u.getPort() < 0 ? "" : ":" + port);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        return new Remote(url, host, port, base, authority, null);
    }

    /**
     * The app as the gateway builds it: without the micros that run elsewhere (their platform
     * builds, starts and limits them); says for each where it runs instead.
     */
    public static micros.spacefile.App without(micros.spacefile.App app, java.util.Map<String, Remote> remotes, Log log) {
        if (remotes.isEmpty()) return app;
        java.util.List<micros.spacefile.App.Micro> local = new java.util.ArrayList<>();
        for (micros.spacefile.App.Micro m : app.micros()) {
            Remote r = remotes.get(m.name());
            if (r == null) local.add(m);
            else log.micro(m.name(), "build", "runs at " + r.url() + ": built, started and limited where it runs, not here");
        }
        return new micros.spacefile.App(app.spacefile(), app.root(), app.appName(), app.icon(), app.autoPwa(), java.util.List.copyOf(local), app.classic());
    }

    /** The same micro, reached with the gateway's key. */
    public Remote withKey(String key) {
        return new Remote(url, host, port, base, authority, key);
    }

    /** Whether a key can go in a header as it is (and is long enough not to be guessed): 16 to 256 printable ASCII characters, no space. */
    public static boolean validKey(String key) {
        return key != null && key.length() >= 16 && key.length() <= 256 && key.chars().allMatch(c -> c > 0x20 && c < 0x7f);
    }
}
