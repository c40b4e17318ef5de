package micros.support;

import micros.runtime.ProcessTree;

/** Whether a process still runs: a zombie waiting for its parent to collect it has ended. */
public final class Procs {
    private Procs() {}

    public static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessTree::running).orElse(false);
    }

    /** Waits up to {@code millis} for the process to end; true when it did. */
    public static boolean ends(long pid, long millis) throws InterruptedException {
        long until = System.nanoTime() + millis * 1_000_000;
        while (alive(pid) && System.nanoTime() < until) Thread.sleep(10);
        return !alive(pid);
    }
}
