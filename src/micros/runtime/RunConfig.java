package micros.runtime;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Everything `run` and `check` were told on the command line, after parsing and checking. */
public record RunConfig(
        Path spacefile,
        String host,
        int port,
        boolean dev,
        boolean build,
        Duration idle,
        Map<String, String> env,
        boolean isPublic,
        Log.Format logFormat,
        String appVersion,
        Limits limits,
        String ownerToken,
        List<String> apiKeys,
        Sandboxing sandbox,
        boolean freeze) {

    /** --no-sandbox, --tmp and --user (null: free uids from 900000). */
    public record Sandboxing(boolean enabled, long tmpSize, String user) {
        public static final Sandboxing SPACE = new Sandboxing(true, 512L << 20, null);
    }

    /** Space's limits as micros enforces them; zero memory or pids means "not limited". */
    public record Limits(Duration timeout, long memory, int pids, long payload, boolean cgroups) {
        public static final Limits SPACE = new Limits(Duration.ofSeconds(20), 512L << 20, 1024, (long) (5.5 * (1 << 20)), true);
    }
}
