package micros.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;

import micros.runtime.ProcessTree;

/** A micro's group, made when the micro first starts: micros that are never requested cost nothing at start-up. */
final class LazyGroup implements MicroGroup {
    private final Limiter limiter;
    private final String micro;
    private volatile MicroGroup group;

    LazyGroup(Limiter limiter, String micro) {
        this.limiter = limiter;
        this.micro = micro;
    }

    private MicroGroup made() {
        MicroGroup g = group;
        if (g == null) {
            synchronized (this) {
                if (group == null) {
                    try {
                        group = limiter.create(micro);
                    } catch (IOException e) {
                        throw new UncheckedIOException("could not create its cgroup: " + e.getMessage(), e);
                    }
                }
                g = group;
            }
        }
        return g;
    }

    @Override
    public List<String> wrap(List<String> argv) {
        return made().wrap(argv);
    }

    @Override
    public void prepare() {
        made().prepare();
    }

    @Override
    public boolean terminate(ProcessHandle main, Duration grace) {
        MicroGroup g = group;
        return g != null ? g.terminate(main, grace) : ProcessTree.terminate(main, grace);
    }

    @Override
    public void kill(ProcessHandle main) {
        MicroGroup g = group;
        if (g != null) g.kill(main);
        else ProcessTree.kill(main);
    }

    @Override
    public String limitDeath() {
        MicroGroup g = group;
        return g == null ? null : g.limitDeath();
    }

    @Override
    public long pidsRefused() {
        MicroGroup g = group;
        return g == null ? 0 : g.pidsRefused();
    }

    @Override
    public long memoryCurrent() {
        MicroGroup g = group;
        return g == null ? -1 : g.memoryCurrent();
    }

    @Override
    public long memoryPeak() {
        MicroGroup g = group;
        return g == null ? -1 : g.memoryPeak();
    }

    @Override
    public long pidsCurrent() {
        MicroGroup g = group;
        return g == null ? -1 : g.pidsCurrent();
    }

    @Override
    public void remove() {
        MicroGroup g = group;
        if (g != null) g.remove();
    }

    @Override
    public boolean canFreeze() {
        MicroGroup g = group;
        return g != null && g.canFreeze();
    }

    @Override
    public void freeze() {
        MicroGroup g = group;
        if (g != null) g.freeze();
    }

    @Override
    public void thaw() {
        MicroGroup g = group;
        if (g != null) g.thaw();
    }
}
