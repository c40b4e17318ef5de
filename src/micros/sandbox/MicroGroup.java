package micros.sandbox;

import java.time.Duration;
import java.util.List;

/**
 * Everything one micro runs as: its process tree, and where there are cgroups, its group with
 * Space's limits. The supervisor starts the micro through {@link #wrap}, and ends it, and asks
 * why it died, through here.
 */
public interface MicroGroup {

    /** The command that joins the group (before the app's first instruction) and then runs {@code argv}. */
    List<String> wrap(List<String> argv);

    /** Before a start: ends anything a previous process left in the group and notes the counters. */
    void prepare();

    /** SIGTERM to everything in the group; SIGKILL to what is left after the grace. True if it had to SIGKILL. */
    boolean terminate(ProcessHandle main, Duration grace);

    /** SIGKILL to everything in the group, at once. */
    void kill(ProcessHandle main);

    /** Why the micro's processes died when it was the limits ("killed: out of memory (512 MiB limit)"), else null. */
    String limitDeath();

    /** Fork or thread refusals by the pids limit since {@link #prepare}. */
    long pidsRefused();

    /** Memory in use, bytes; -1 when unknown. */
    long memoryCurrent();

    /** Highest memory use since the group was made, bytes; -1 when unknown. */
    long memoryPeak();

    /** Processes and threads in the group; -1 when unknown. */
    long pidsCurrent();

    /** Ends what runs in it and removes the group. */
    void remove();

    /** Whether the group can be frozen (cgroup v2 cgroup.freeze, or the v1 freezer). */
    default boolean canFreeze() {
        return false;
    }

    /** Stops every task of the group where it stands, until {@link #thaw}. */
    default void freeze() {
    }

    default void thaw() {
    }
}
