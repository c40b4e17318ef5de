package micros.sandbox;

import java.time.Duration;
import java.util.List;

import micros.runtime.ProcessTree;

/** Without cgroups: the micro's process tree and process group, no memory or process limits. */
final class TreeGroup implements MicroGroup {
    @Override
    public List<String> wrap(List<String> argv) {
        return argv;
    }

    @Override
    public void prepare() {
    }

    @Override
    public boolean terminate(ProcessHandle main, Duration grace) {
        return ProcessTree.terminate(main, grace);
    }

    @Override
    public void kill(ProcessHandle main) {
        ProcessTree.kill(main);
    }

    @Override
    public String limitDeath() {
        return null;
    }

    @Override
    public long pidsRefused() {
        return 0;
    }

    @Override
    public long memoryCurrent() {
        return -1;
    }

    @Override
    public long memoryPeak() {
        return -1;
    }

    @Override
    public long pidsCurrent() {
        return -1;
    }

    @Override
    public void remove() {
    }
}
