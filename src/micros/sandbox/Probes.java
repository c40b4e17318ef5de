package micros.sandbox;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import micros.runtime.RunConfig;

/**
 * What the machine allows a run (its cgroups, its sandbox), found on a thread of its own while
 * the command reads the Spacefile: both mostly wait on the kernel and on short processes
 * (unshare's probes), the reading is CPU, so the start-up overlaps them (about 30 ms of it).
 */
public final class Probes {
    private final CompletableFuture<Limiter> limiter = new CompletableFuture<>();
    private final CompletableFuture<Sandbox> sandbox = new CompletableFuture<>();

    private Probes() {}

    /** Starts both probes for {@code cfg} (its limits, --no-sandbox, --dev, --tmp, --user). */
    public static Probes start(RunConfig cfg) {
        Probes p = new Probes();
        Thread t = new Thread(() -> {
            try {
                p.limiter.complete(Limiter.detect(cfg.limits(), System.getenv(), w -> { }));
            } catch (RuntimeException | Error e) {
                p.limiter.completeExceptionally(e);
            }
            try {
                p.sandbox.complete(cfg.dev() && !cfg.sandbox().enabled() ? Sandbox.off("--dev: micros run as space dev ran them")
                        : Sandbox.detect(cfg.sandbox().enabled(), cfg.sandbox().tmpSize(), cfg.sandbox().user()));
            } catch (RuntimeException | Error e) {
                p.sandbox.completeExceptionally(e);
            }
        }, "micros-probes");
        t.setDaemon(true);
        t.start();
        return p;
    }

    public Limiter limiter() {
        return joined(limiter);
    }

    public Sandbox sandbox() {
        return joined(sandbox);
    }

    /** For a command that stops before its app starts (an invalid Spacefile): the run's cgroups go, and its uids. */
    public void discard() {
        try {
            limiter().close();
        } catch (RuntimeException ignored) {
            // it found nothing to remove
        }
        try {
            sandbox().close();
        } catch (RuntimeException ignored) {
            // it claimed nothing
        }
    }

    private static <T> T joined(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }
}
