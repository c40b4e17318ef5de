package micros.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

import micros.spacefile.App;
import micros.spacefile.App.Micro;

/**
 * What the dashboard shows about each micro's traffic: requests, answers by class and by the
 * limit they hit, and ten minutes of requests per second and memory, sampled every 5 s.
 */
public final class Metrics {
    public static final int SAMPLES = 120;          // 10 minutes
    public static final long SAMPLE_MILLIS = 5_000;

    /** One micro's counters; LongAdders, so the request path never contends on them. */
    public static final class Counters {
        public final LongAdder requests = new LongAdder(), c2xx = new LongAdder(), c3xx = new LongAdder(),
                c4xx = new LongAdder(), c5xx = new LongAdder(), timeouts = new LongAdder(), oom = new LongAdder(), payload = new LongAdder();
        private final double[] rate = new double[SAMPLES];     // requests per second
        private final double[] memory = new double[SAMPLES];   // MiB; -1 unknown
        private int next, filled;
        private long lastRequests, lastSample = System.nanoTime();

        public void status(int code) {
            requests.increment();
            switch (code / 100) {
                case 2 -> c2xx.increment();
                case 3 -> c3xx.increment();
                case 4 -> c4xx.increment();
                case 5 -> c5xx.increment();
                default -> { }
            }
        }

        synchronized void sample(long memoryBytes) {
            long now = System.nanoTime(), total = requests.sum();
            double seconds = Math.max(0.001, (now - lastSample) / 1e9);
            rate[next] = (total - lastRequests) / seconds;
            memory[next] = memoryBytes < 0 ? -1 : memoryBytes / 1048576.0;
            next = (next + 1) % SAMPLES;
            filled = Math.min(SAMPLES, filled + 1);
            lastRequests = total;
            lastSample = now;
        }

        /** Oldest first. */
        public synchronized double[] rate() {
            return series(rate);
        }

        public synchronized double[] memory() {
            return series(memory);
        }

        private double[] series(double[] ring) {
            double[] out = new double[filled];
            for (int i = 0; i < filled; i++) out[i] = ring[(next - filled + i + SAMPLES) % SAMPLES];
            return out;
        }
    }

    private final Map<String, Counters> byMicro = new LinkedHashMap<>();
    private long lastSample = System.nanoTime();

    public Metrics(App app) {
        for (Micro m : app.micros()) byMicro.put(m.name(), new Counters());
    }

    public Counters of(String micro) {
        return byMicro.get(micro);
    }

    /** Called by the runtime's sweeper; samples every 5 s. */
    void sampleIfDue(Map<String, Supervisor> supervisors) {
        long now = System.nanoTime();
        if (now - lastSample < SAMPLE_MILLIS * 1_000_000) return;
        lastSample = now;
        byMicro.forEach((name, c) -> {
            Supervisor s = supervisors.get(name);
            c.sample(s == null ? -1 : s.memoryCurrent());
        });
    }
}
