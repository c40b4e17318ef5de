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
        boolean freeze,
        boolean install,
        int instances) {

    /**
     * Instances a micro may have at once (--instances), each serving one request at a time: 8 on a
     * 2-core machine keeps a burst's cold starts to about a second of both cores, and 8 instances
     * at the 512 MB limit each (4 GB) fit the 4-8 GB such machines have (see the README).
     */
    public static final int INSTANCES = 8;

    /** Without --no-install: dependencies are installed as Space's builder did. */
    public RunConfig(Path spacefile, String host, int port, boolean dev, boolean build, Duration idle, Map<String, String> env, boolean isPublic,
                     Log.Format logFormat, String appVersion, Limits limits, String ownerToken, List<String> apiKeys, Sandboxing sandbox, boolean freeze) {
        this(spacefile, host, port, dev, build, idle, env, isPublic, logFormat, appVersion, limits, ownerToken, apiKeys, sandbox, freeze, true, INSTANCES);
    }

    /** With the default cap on instances. */
    public RunConfig(Path spacefile, String host, int port, boolean dev, boolean build, Duration idle, Map<String, String> env, boolean isPublic,
                     Log.Format logFormat, String appVersion, Limits limits, String ownerToken, List<String> apiKeys, Sandboxing sandbox, boolean freeze,
                     boolean install) {
        this(spacefile, host, port, dev, build, idle, env, isPublic, logFormat, appVersion, limits, ownerToken, apiKeys, sandbox, freeze, install, INSTANCES);
    }

    /** --no-sandbox, --tmp and --user (null: free uids from 900000). */
    public record Sandboxing(boolean enabled, long tmpSize, String user) {
        public static final Sandboxing SPACE = new Sandboxing(true, 512L << 20, null);
    }

    /**
     * Space's limits as micros enforces them; zero memory or pids means "not limited". {@code read}:
     * how long a client may take to send a request's head, and then its body (not a Space limit:
     * the gateway's own, so a slow client never eats into a micro's execution time).
     */
    public record Limits(Duration timeout, long memory, int pids, long payload, boolean cgroups, Duration read) {
        public static final Duration READ = Duration.ofSeconds(30);
        public static final Limits SPACE = new Limits(Duration.ofSeconds(20), 512L << 20, 1024, (long) (5.5 * (1 << 20)), true);

        public Limits(Duration timeout, long memory, int pids, long payload, boolean cgroups) {
            this(timeout, memory, pids, payload, cgroups, READ);
        }

        public Limits withRead(Duration d) {
            return new Limits(timeout, memory, pids, payload, cgroups, d);
        }
    }
}
