package micros.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

import micros.Emulator;

/**
 * A command's app, stopped by SIGTERM or Ctrl-C from the moment its start begins. The hook is in
 * place before the start, so a signal between the gateway's first answer and the banner's last
 * line (a test or a CI job sends one as soon as the app answers) still stops every micro and
 * removes the run's cgroups; a signal mid-start waits for the start to end (its build step ends
 * at once on the same signal), then stops what it started.
 */
final class StopOnSignal {
    private StopOnSignal() {}

    /**
     * Starts the app with {@code start} and returns it; on a signal, {@code stopping} runs first
     * (the command's "stopping" line), then {@link Emulator#close}, then {@code stopped}.
     */
    static Emulator start(Supplier<Emulator> start, Runnable stopping, Consumer<Emulator> stopped) {
        AtomicReference<Emulator> started = new AtomicReference<>();
        CountDownLatch startEnded = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                startEnded.await();
            } catch (InterruptedException e) {
                return;
            }
            Emulator e = started.get();
            if (e == null) return; // the start failed, and cleaned up after itself
            stopping.run();
            e.close();
            stopped.accept(e);
        }, "micros-shutdown"));
        try {
            Emulator e = start.get();
            started.set(e);
            return e;
        } finally {
            startEnded.countDown();
        }
    }
}
