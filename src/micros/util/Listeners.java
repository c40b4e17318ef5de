package micros.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Who listens on a loopback port, from the kernel's socket tables (/proc/net/tcp, tcp6): the
 * readiness probe of a new instance connects to its PORT, and what answers must be the micro's.
 * Another local process (another micro) that takes the port before the instance binds it would
 * otherwise be handed the instance's requests.
 */
public final class Listeners {
    private static final String LISTEN = "0A";
    // addresses a connection to 127.0.0.1 may reach: 127.0.0.1 and 0.0.0.0; ::ffff:127.0.0.1 and ::
    private static final List<String> REACH = List.of("0100007F", "00000000", "0000000000000000FFFF00000100007F", "00000000000000000000000000000000");

    private Listeners() {}

    /**
     * A listener on {@code port} that 127.0.0.1 reaches and that is not {@code uid}'s ("uid 0"),
     * or null when there is none, or the tables cannot be read here.
     */
    public static String foreign(int port, int uid) {
        String hexPort = hex4(port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of(table));
            } catch (IOException | RuntimeException e) {
                continue;
            }
            for (int k = 1; k < lines.size(); k++) {
                String[] f = lines.get(k).trim().split("\\s+");
                if (f.length < 8 || !f[3].equals(LISTEN)) continue;
                int colon = f[1].indexOf(':');
                if (colon < 0 || !f[1].substring(colon + 1).equals(hexPort) || !REACH.contains(f[1].substring(0, colon))) continue;
                // the one 127.0.0.1 reaches: an IPv4 listener comes first, and no second one of another uid
                // can hold the port beside it; so the first found decides, and tcp6 (5 ms of the kernel's
                // time here, as tcp) is read only when tcp has none
                return f[7].equals(Integer.toString(uid)) ? null : "uid " + f[7];
            }
        }
        return null;
    }

    /** The port as the tables write it ("1F90"): not String.format, whose first use loads the locale data at a cold start. */
    static String hex4(int port) {
        String h = Integer.toHexString(port).toUpperCase(java.util.Locale.ROOT);
        return "0".repeat(Math.max(0, 4 - h.length())) + h;
    }
}
