import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * make bench-data, the scale part: for a Base of 200,000 items (~450 bytes each, as a year of an
 * app's data) and one of ~1 GB, a Data Export is generated, then measured as a user meets it:
 * `data import` and `data export` (peak RSS, time), `micros run` with it (time to the ready line,
 * RSS at rest, while the python SDK queries it, and at rest again), and the SDK's query and get
 * latencies (data_scale.py). Usage: java test/bench/DataScale.java JAR SDK_DIR BENCH_DIR;
 * SCALE_ITEMS (default "200000,2400000") chooses the sizes, SCALE_JAVA_OPTIONS gives micros' JVMs
 * options (e.g. -XX:MaxRAM=1g: the heap java picks on a 1 GB machine).
 */
public class DataScale {
    static Path jar, sdk, here;
    static final List<String> OPTIONS = List.of(System.getenv().getOrDefault("SCALE_JAVA_OPTIONS", "").split(" ")).stream().filter(o -> !o.isBlank()).toList();

    public static void main(String[] args) throws Exception {
        jar = Path.of(args[0]).toAbsolutePath();
        sdk = Path.of(args[1]).toAbsolutePath();
        here = Path.of(args[2]).toAbsolutePath();
        String sizes = System.getenv().getOrDefault("SCALE_ITEMS", "200000,2400000");
        for (String s : sizes.split(",")) if (!s.isBlank()) scale(Integer.parseInt(s.strip()));
    }

    static void scale(int n) throws Exception {
        Path dir = Files.createTempDirectory("micros-scale");
        try {
            Path app = Files.createDirectories(dir.resolve("app/site")).getParent();
            Files.writeString(app.resolve("site/index.html"), "hi\n");
            Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n  - name: site\n    src: site\n    engine: static\n    serve: .\n");
            long t = System.nanoTime();
            Path zip = dir.resolve("export.zip");
            long json = export(zip, n);
            System.out.printf(Locale.ROOT, "== a Base of %,d items: its export is %s of JSON (%s zipped, made in %.1f s)%n", n, mb(json), mb(Files.size(zip)), secs(t));

            if (!OPTIONS.isEmpty()) System.out.println("micros' JVMs run with " + String.join(" ", OPTIONS));
            Measured imp = measure(micros("data", "import", zip.toString(), app.toString()));
            System.out.printf(Locale.ROOT, "data import: %s, peak RSS %s, %.1f s%n", imp.ok() ? "done" : "refused (" + imp.said() + ")", mb(imp.peak), imp.secs);
            if (!imp.ok()) return;
            Path bases = app.resolve(".micros/data/bases");
            System.out.printf(Locale.ROOT, "the Base on disk: %s%n", mb(du(bases)));
            Path back = dir.resolve("back.zip");
            Measured exp = measure(micros("data", "export", app.toString(), back.toString()));
            System.out.printf(Locale.ROOT, "data export: %s, peak RSS %s, %.1f s%n", exp.ok() ? "done" : "failed (" + exp.said() + ")", mb(exp.peak), exp.secs);
            Files.deleteIfExists(back);
            Files.deleteIfExists(zip);

            Path log = dir.resolve("run.log");
            long t0 = System.nanoTime();
            Process run = new ProcessBuilder(micros("run", app.toString(), "--port", "0"))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                while (!Files.readString(log).contains("Press Ctrl-C")) {
                    if (!run.isAlive()) throw new IllegalStateException("micros ended: " + Files.readString(log));
                    if (secs(t0) > 120) throw new IllegalStateException("no ready line in 120 s: " + Files.readString(log));
                    Thread.sleep(10);
                }
                double ready = secs(t0), cpu = cpu(run.pid());
                Thread.sleep(5000); // micros trims its heap once, 2 s after the start
                long rest = rss(run.pid(), "VmRSS");
                System.out.printf(Locale.ROOT, "micros run: ready line after %.2f s (%.2f s of CPU), RSS at rest %s%n", ready, cpu, mb(rest));
                AtomicLong during = new AtomicLong();
                Thread sampler = new Thread(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        try {
                            during.accumulateAndGet(rss(run.pid(), "VmRSS"), Math::max);
                            Thread.sleep(100);
                        } catch (Exception e) {
                            return;
                        }
                    }
                });
                sampler.start();
                ProcessBuilder py = new ProcessBuilder("python3", here.resolve("data_scale.py").toString(), Integer.toString(n)).inheritIO();
                py.environment().putAll(env(app));
                py.environment().put("PYTHONPATH", sdk.toString());
                int st = py.start().waitFor();
                sampler.interrupt();
                sampler.join();
                long after = rss(run.pid(), "VmRSS");
                Thread.sleep(12_000); // micros trims its heap every 10 s when it has grown
                long rested = rss(run.pid(), "VmRSS");
                System.out.printf(Locale.ROOT, "RSS while the SDK queried: up to %s (sampled every 0.1 s); right after: %s; at rest 12 s later: %s%s%n",
                        mb(during.get()), mb(after), mb(rested), st == 0 ? "" : " (the SDK script failed)");
            } finally {
                run.destroy();
                run.waitFor();
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** java [SCALE_JAVA_OPTIONS] -jar micros.jar ARGS */
    static List<String> micros(String... args) {
        List<String> cmd = new ArrayList<>(List.of("java"));
        cmd.addAll(OPTIONS);
        cmd.addAll(List.of("-jar", jar.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Writes a Data Export with one Base, "big", of n items in random key order; returns the JSON's size. */
    static long export(Path zip, int n) throws IOException {
        Random r = new Random(26);
        String[] cities = {"Berlin", "Paris", "Lisbon", "Oslo", "Rome", "Vienna", "Madrid", "Dublin"};
        String words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur";
        long bytes = 0;
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(zip), 1 << 16); ZipOutputStream z = new ZipOutputStream(os)) {
            z.setLevel(Deflater.BEST_SPEED);
            z.putNextEntry(new ZipEntry("bases/big.json"));
            StringBuilder sb = new StringBuilder(1 << 17);
            sb.append('[');
            char[] key = new char[12];
            for (int i = 0; i < n; i++) {
                for (int k = 0; k < key.length; k++) key[k] = "abcdefghijklmnopqrstuvwxyz0123456789".charAt(r.nextInt(36));
                int from = r.nextInt(words.length() - 300);
                sb.append(i == 0 ? "\n" : ",\n").append("{\"key\":\"").append(key).append("\",\"name\":\"User ").append(i).append("\",\"email\":\"user").append(i)
                        .append("@example.com\",\"age\":").append(i % 90).append(",\"city\":\"").append(cities[i % cities.length]).append("\",\"tags\":[\"t")
                        .append(i % 13).append("\",\"t").append(i % 7).append("\"],\"active\":").append(i % 3 == 0).append(",\"score\":").append(r.nextInt(100000) / 100.0)
                        .append(",\"n\":").append(i).append(",\"bio\":\"").append(words, from, from + 300).append("\"}");
                if (sb.length() > 1 << 16) {
                    byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
                    z.write(b);
                    bytes += b.length;
                    sb.setLength(0);
                }
            }
            sb.append("\n]\n");
            byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
            z.write(b);
            bytes += b.length;
            z.closeEntry();
        }
        return bytes;
    }

    record Measured(int exit, long peak, double secs, String out) {
        boolean ok() {
            return exit == 0;
        }

        String said() {
            String s = out.strip();
            return s.length() > 300 ? s.substring(0, 300) + "..." : s;
        }
    }

    /** Runs a command under /usr/bin/time: its exit, peak RSS, wall time and output. */
    static Measured measure(List<String> cmd) throws Exception {
        Path peak = Files.createTempFile("micros-scale", ".rss");
        List<String> timed = new ArrayList<>(List.of("/usr/bin/time", "-o", peak.toString(), "-f", "%M"));
        timed.addAll(cmd);
        long t = System.nanoTime();
        Process p = new ProcessBuilder(timed).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        double s = secs(t);
        String kb = Files.readString(peak).strip();
        Files.delete(peak);
        kb = kb.substring(kb.lastIndexOf('\n') + 1);
        return new Measured(exit, Long.parseLong(kb) * 1024, s, out);
    }

    static Map<String, String> env(Path app) throws Exception {
        Process p = new ProcessBuilder("java", "-jar", jar.toString(), "data", "env", app.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException("data env: " + out);
        Map<String, String> env = new java.util.LinkedHashMap<>();
        for (String line : out.split("\n")) {
            if (!line.startsWith("export ")) continue;
            int eq = line.indexOf('=');
            env.put(line.substring(7, eq), line.substring(eq + 2, line.length() - 1));
        }
        return env;
    }

    static long rss(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
        throw new IOException("no " + field + " for " + pid);
    }

    /** CPU seconds a process has used (user and system). */
    static double cpu(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in clock ticks (100 a second)
    }

    static long du(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    static String mb(long bytes) {
        return String.format(Locale.ROOT, "%,d MB", Math.round(bytes / 1048576.0));
    }

    static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
