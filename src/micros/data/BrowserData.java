package micros.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import micros.http.Exchange;

/**
 * Space's browser path: {@code Deta()} without a key, in a page of the app, called
 * {@code /__space/v0/base/...} and {@code /__space/v0/drive/...} on the app's own host as the
 * logged-in owner. The Node SDK (deta 2.x) builds {@code /__space/v0/base/v1/<id>/<name>/items};
 * the shorter {@code /__space/v0/base/<name>/items} is taken too. The gateway checks the owner
 * first; the project id in the path is not checked (the SDK sends "dummy").
 */
public final class BrowserData {
    public static final String BASE = "/__space/v0/base/", DRIVE = "/__space/v0/drive/";

    private BrowserData() {}

    public static boolean claims(String path) {
        return path.startsWith(BASE) || path.startsWith(DRIVE) || path.equals(BASE.substring(0, BASE.length() - 1))
                || path.equals(DRIVE.substring(0, DRIVE.length() - 1));
    }

    public static void serve(DataServer data, Exchange ex) throws IOException {
        String raw = ex.rawPath();
        boolean base = raw.startsWith(BASE);
        String tail = raw.startsWith(BASE) ? raw.substring(BASE.length()) : raw.startsWith(DRIVE) ? raw.substring(DRIVE.length()) : "";
        String[] s = tail.split("/", -1);
        int at = s.length >= 4 && s[0].equals("v1") ? 2 : 0; // v1/<project id>/<name>/... or <name>/...
        if (s.length < at + 2 || s[at].isEmpty()) {
            ex.send(404, "application/json", "{\"errors\":[\"not found\"]}".getBytes(StandardCharsets.UTF_8));
            return;
        }
        String name = micros.data.drive.DriveService.pathName(s[at]);
        StringBuilder rest = new StringBuilder();
        for (int i = at + 1; i < s.length; i++) rest.append('/').append(s[i]);
        if (base) data.base().serve(ex, name, rest.toString());
        else data.drive().serve(ex, name, rest.toString());
    }
}
