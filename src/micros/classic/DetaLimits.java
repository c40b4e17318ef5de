package micros.classic;

import java.time.Duration;

import micros.runtime.RunConfig;
import micros.util.UserError;
import micros.util.Units;

/**
 * Deta Cloud's limits for a micro (the seed's "Introduction to Deta Micros"): 10 s and 128 MB by
 * default, which Deta raised on request up to 20 s and 1 GB, and never further. Processes,
 * payload and /tmp as on Space.
 */
public final class DetaLimits {
    private DetaLimits() {}

    public static final Duration MAX_TIMEOUT = Duration.ofSeconds(20);
    public static final long MAX_MEMORY = 1L << 30;
    public static final RunConfig.Limits DEFAULTS = new RunConfig.Limits(Duration.ofSeconds(10), 128L << 20,
            RunConfig.Limits.SPACE.pids(), RunConfig.Limits.SPACE.payload(), true);

    /** Refuses --timeout and --memory past what Deta ever granted. */
    public static void check(RunConfig.Limits l) {
        if (l.timeout().compareTo(MAX_TIMEOUT) > 0)
            throw UserError.config("--timeout " + Units.format(l.timeout()) + ": Deta never allowed a micro more than 20s (10s by default, raised on request up to 20s)");
        if (l.memory() > MAX_MEMORY)
            throw UserError.config("--memory " + Units.formatSize(l.memory()) + ": Deta never allowed a micro more than 1 GiB (128 MiB by default, raised on request up to 1 GiB)");
    }
}
