import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * make bench: micros against the same Node server reached directly and through nginx, in
 * interleaved rounds (GET at 1, 16 and 64 connections, POSTs of 1 KiB at 16 and 64, POSTs of 256 KiB
 * at 16), plus CPU per request (micros' and nginx's worker's), memory, 50 MB downloads and 5 MB
 * uploads, start-up and cold start.
 * Run from the repository root with `java test/bench/Bench.java` (make bench does).
 * Environment: BENCH_ROUNDS (default 3), BENCH_SECONDS per wrk run (default 5); BENCH_ONLY=startup
 * measures only the starts (warm start-up, samples/deps' first and second start, cold start), BENCH_ONLY=instances
 * only the rows of instances (the default cap); the proxy comparison runs micros with --instances 1 (one upstream, as nginx);
 * BENCH_JAR another jar to measure (an earlier build, to compare).
 */
public class Bench {
    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path JAR = ROOT.resolve(System.getenv().getOrDefault("BENCH_JAR", "build/micros.jar")); // another jar to compare with
    static final Path APP = ROOT.resolve("test/bench/app");
    static final Path DEPS = ROOT.resolve("samples/deps");
    static final Path HELLO_JS = APP.resolve("hello/hello.js");
    static final Path WORK = ROOT.resolve("build/bench");
    static final Path RESULTS = ROOT.resolve("test/bench/results");
    static final int[] POST_CONNS = {16, 64};
    static final int UPLOAD_CONNS = 16, UPLOAD_BYTES = 256 * 1024; // past micros' 64 KiB in memory: through a temporary file
    static final int ROUNDS = Integer.getInteger("rounds", env("BENCH_ROUNDS", 3));
    static final int SECONDS = env("BENCH_SECONDS", 5);
    static final List<Process> started = new ArrayList<>();
    static final Map<String, Object> json = new LinkedHashMap<>();

    public static void main(String[] args) throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(Bench::stopAll));
        Files.createDirectories(WORK);
        boolean wrk = onPath("wrk"), nginx = onPath("nginx"), node = onPath("node");
        if (!node) die("node is not on PATH: the benchmark's micro is a Node server (install Node.js)");
        if (!wrk || !nginx)
            System.out.println("missing " + (wrk ? "" : "wrk ") + (nginx ? "" : "nginx ") + "- install with: apt-get install wrk nginx; running what can run without them\n");
        System.out.println("machine: " + machine());
        json.put("machine", machine());

        startup();
        Map<String, Object> deps = depsStart();
        if ("instances".equals(System.getenv("BENCH_ONLY"))) { // the rows of instances alone
            Map<String, Object> inst = instances(wrk);
            json.put("instances", inst);
            System.out.print(instanceLines(inst));
            Files.createDirectories(RESULTS);
            Files.writeString(RESULTS.resolve("instances.json"), toJson(json) + "\n");
            return;
        }
        if ("startup".equals(System.getenv("BENCH_ONLY"))) {
            Map<String, Object> cold = coldStart();
            StringBuilder t = new StringBuilder();
            startLines(t, deps, cold);
            System.out.print(t);
            json.put("deps_start", deps);
            json.put("cold_start", cold);
            Files.createDirectories(RESULTS);
            Files.writeString(RESULTS.resolve("startup.json"), toJson(json) + "\n");
            return;
        }

        int directPort = freePort(), nginxPort = freePort(), microsPort = freePort();
        Process direct = start(List.of("node", HELLO_JS.toString()), Map.of("PORT", Integer.toString(directPort)), null);
        awaitHttp(directPort, "/", 10_000);
        Process nginxProcess = nginx ? startNginx(nginxPort, directPort) : null;
        Process micros = startMicros(microsPort, "0");
        long microsPid = micros.pid();
        http(microsPort, "/"); // wakes the micro
        Thread.sleep(500);
        long idleRss = rss(microsPid);
        json.put("micros_idle_rss_mb", idleRss / 1024.0);

        Map<String, Integer> targets = new LinkedHashMap<>();
        targets.put("direct", directPort);
        if (nginx) targets.put("nginx", nginxPort);
        targets.put("micros", microsPort);
        int[] conns = {1, 16, 64};
        Map<String, List<double[]>> results = new LinkedHashMap<>(); // key target/load -> [req/s, p50 ms, p99 ms]
        Map<String, List<Double>> cpu = new LinkedHashMap<>(); // key process/kind[/kernel] -> microseconds of CPU per request; target/kind/segments -> TCP segments per request
        AtomicLong maxRssUnderLoad = new AtomicLong();
        long nginxWorker = nginx ? nginxProcess.children().findFirst().map(ProcessHandle::pid).orElse(-1L) : -1;
        if (wrk) {
            Path postScript = WORK.resolve("post.lua"), uploadScript = WORK.resolve("upload.lua");
            Files.writeString(postScript, "wrk.method = \"POST\"\nwrk.body = string.rep(\"x\", 1024)\nwrk.headers[\"Content-Type\"] = \"text/plain\"\n");
            Files.writeString(uploadScript, "wrk.method = \"POST\"\nwrk.body = string.rep(\"x\", " + UPLOAD_BYTES + ")\nwrk.headers[\"Content-Type\"] = \"application/octet-stream\"\n");
            for (Map.Entry<String, Integer> t : targets.entrySet()) wrk(t.getValue(), 16, 3, "/", null); // warm-up (JIT, pools)
            wrk(microsPort, 64, 3, "/", null);
            wrk(microsPort, 16, 2, "/upload", postScript);
            wrk(microsPort, UPLOAD_CONNS, 2, "/upload", uploadScript);
            for (int round = 1; round <= ROUNDS; round++) {
                System.out.println("round " + round + " of " + ROUNDS + " ...");
                for (int c : conns)
                    for (Map.Entry<String, Integer> t : targets.entrySet())
                        measure(results, cpu, t.getKey(), t.getValue(), c, Integer.toString(c), "/", null, "get", microsPid, nginxWorker, maxRssUnderLoad);
                // requests with bodies: each must arrive whole before the micro sees it (nginx buffers it too, and
                // spills it to a file past 16 KiB; micros past 64 KiB)
                for (int c : POST_CONNS)
                    for (Map.Entry<String, Integer> t : targets.entrySet())
                        measure(results, cpu, t.getKey(), t.getValue(), c, "post" + c, "/upload", postScript, "post", microsPid, nginxWorker, maxRssUnderLoad);
                for (Map.Entry<String, Integer> t : targets.entrySet())
                    measure(results, cpu, t.getKey(), t.getValue(), UPLOAD_CONNS, "upload", "/upload", uploadScript, "upload", microsPid, nginxWorker, maxRssUnderLoad);
            }
        }
        Map<String, Object> bodies = largeBodies(directPort, nginx ? nginxPort : -1, microsPort, microsPid);
        stop(micros);
        Map<String, Object> cold = coldStart();
        cold.putAll(thawCost());
        Map<String, Object> inst = instances(wrk);
        json.put("instances", inst);
        report(results, targets.keySet(), conns, cpu, idleRss, maxRssUnderLoad.get(), bodies, cold, deps);
    }

    /**
     * One wrk run against a target, under a load named {@code load} in the table; for micros and
     * nginx's worker also the CPU it spent per request (at 16 connections and more), and micros' peak RSS.
     */
    static void measure(Map<String, List<double[]>> results, Map<String, List<Double>> cpu, String target, int port, int c, String load,
                        String path, Path script, String kind, long microsPid, long nginxWorker, AtomicLong maxRss) throws Exception {
        long pid = target.equals("micros") ? microsPid : target.equals("nginx") ? nginxWorker : -1;
        AtomicLong peak = new AtomicLong();
        Thread sampler = target.equals("micros") ? sampleRss(microsPid, peak) : null;
        long cpu0 = pid > 0 ? cpuTicks(pid) : 0, sys0 = pid > 0 ? sysTicks(pid) : 0, segments0 = tcpOutSegments();
        double[] r = wrk(port, c, SECONDS, path, script);
        if (c >= 16) cpu.computeIfAbsent(target + "/" + kind + "/segments", k -> new ArrayList<>()).add((tcpOutSegments() - segments0) / r[3]);
        if (pid > 0 && c >= 16) {
            cpu.computeIfAbsent(target + "/" + kind, k -> new ArrayList<>()).add((cpuTicks(pid) - cpu0) * 10_000.0 / r[3]); // 10 ms ticks: us per request
            cpu.computeIfAbsent(target + "/" + kind + "/kernel", k -> new ArrayList<>()).add((sysTicks(pid) - sys0) * 10_000.0 / r[3]);
        }
        if (sampler != null) {
            sampler.interrupt();
            if (c >= 16) maxRss.accumulateAndGet(peak.get(), Math::max);
        }
        results.computeIfAbsent(target + "/" + load, k -> new ArrayList<>()).add(r);
    }

    // ---- start-up ----

    static void startup() throws Exception {
        Path hello = WORK.resolve("hello.jar");
        if (!Files.exists(hello)) die("build/bench/hello.jar is missing: run 'make bench'");
        List<Double> base = new ArrayList<>(), ours = new ArrayList<>(), archived = new ArrayList<>();
        // where the start's time goes: the same start with micros' classes in a CDS archive (made here, by a first
        // run); plain `java -jar` cannot name one, so this row only shows how much of a start is loading classes
        Path archive = WORK.resolve("micros.jsa");
        Files.deleteIfExists(archive);
        stop(start(List.of(java(), "-XX:ArchiveClassesAtExit=" + archive, "-jar", JAR.toString(), "run", APP.toString(), "--port", Integer.toString(freePort()), "--public"),
                Map.of(), "is listening on"));
        boolean cds = Files.isRegularFile(archive);
        for (int i = 0; i < 5; i++) {
            int port = freePort();
            long t0 = System.nanoTime();
            Process p = start(List.of(java(), "-jar", hello.toString(), Integer.toString(port)), Map.of(), null);
            awaitHttp(port, "/", 10_000);
            base.add((System.nanoTime() - t0) / 1e6);
            stop(p);
            port = freePort();
            t0 = System.nanoTime();
            Process m = start(List.of(java(), "-jar", JAR.toString(), "run", APP.toString(), "--port", Integer.toString(port), "--public"), Map.of(), "is listening on");
            ours.add((System.nanoTime() - t0) / 1e6);
            stop(m);
            if (!cds) continue;
            t0 = System.nanoTime();
            m = start(List.of(java(), "-XX:SharedArchiveFile=" + archive, "-jar", JAR.toString(), "run", APP.toString(), "--port", Integer.toString(freePort()), "--public"), Map.of(), "is listening on");
            archived.add((System.nanoTime() - t0) / 1e6);
            stop(m);
        }
        if (cds) json.put("startup_micros_cds_ms", median(archived));
        json.put("startup_hello_ms", median(base));
        json.put("startup_micros_ms", median(ours));
    }

    /**
     * samples/deps copied afresh (no state, no virtualenv, no node_modules): its first start (a
     * virtualenv, pip and npm installs) and its second (everything up to date), to the ready line.
     */
    static Map<String, Object> depsStart() throws Exception {
        List<Double> first = new ArrayList<>(), second = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path copy = WORK.resolve("deps-" + i);
            deleteTree(copy);
            copyTree(DEPS, copy);
            for (List<Double> into : List.of(first, second)) {
                int port = freePort();
                long t0 = System.nanoTime();
                Process m = start(List.of(java(), "-jar", JAR.toString(), "run", copy.toString(), "--port", Integer.toString(port), "--public"), Map.of(), "is listening on");
                into.add((System.nanoTime() - t0) / 1e6);
                stop(m);
            }
            deleteTree(copy);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("deps_first_start_ms", median(first));
        out.put("deps_second_start_ms", median(second));
        return out;
    }

    /** The sample's own files: what a fresh checkout has (no installs, no state). */
    static void copyTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                String rel = from.relativize(p).toString();
                if (rel.contains("node_modules") || rel.contains(".micros")) continue;
                Path target = to.resolve(rel);
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** The start-up, samples/deps, cold start and sandbox lines of the report. */
    static void startLines(StringBuilder t, Map<String, Object> deps, Map<String, Object> cold) {
        t.append(String.format(Locale.ROOT, "start-up: micros ready line after %.0f ms; hello-world HttpServer jar answers after %.0f ms (%.2fx, target at most 1.2x)%n",
                json.get("startup_micros_ms"), json.get("startup_hello_ms"), (double) json.get("startup_micros_ms") / (double) json.get("startup_hello_ms")));
        if (json.containsKey("startup_micros_cds_ms"))
            t.append(String.format(Locale.ROOT, "start-up with micros' classes in a CDS archive (-XX:SharedArchiveFile, which plain java -jar cannot name): %.0f ms (%.2fx):"
                    + " loading and linking classes is %.0f ms of a plain start%n", json.get("startup_micros_cds_ms"), (double) json.get("startup_micros_cds_ms") / (double) json.get("startup_hello_ms"),
                    (double) json.get("startup_micros_ms") - (double) json.get("startup_micros_cds_ms")));
        t.append(String.format(Locale.ROOT, "samples/deps: first start (virtualenv, pip and npm installs) ready after %.0f ms, second start (up to date) after %.0f ms%n",
                deps.get("deps_first_start_ms"), deps.get("deps_second_start_ms")));
        t.append(String.format(Locale.ROOT, "cold start: %.0f ms through micros without the sandbox; the micro alone spawns and answers in %.0f ms; overhead %.1f ms (target at most 25)%n",
                cold.get("cold_request_no_sandbox_ms"), cold.get("spawn_to_first_response_ms"), cold.get("cold_start_overhead_ms")));
        t.append(String.format(Locale.ROOT, "sandbox: a cold start takes %.0f ms with it; it adds %.1f ms (mount, pid and IPC namespaces, own /proc, disk-backed /tmp, read-only mounts, a uid per micro; target at most 100)%n",
                cold.get("cold_request_ms"), cold.get("sandbox_overhead_ms")));
    }

    // ---- large bodies ----

    static Map<String, Object> largeBodies(int directPort, int nginxPort, int microsPort, long pid) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        long before = rss(pid);
        Map<String, Integer> ports = new LinkedHashMap<>();
        ports.put("direct", directPort);
        if (nginxPort > 0) ports.put("nginx", nginxPort);
        ports.put("micros", microsPort);
        Map<String, List<Double>> down = new LinkedHashMap<>(), up = new LinkedHashMap<>();
        for (int i = 0; i < 7; i++) { // a 50 MB transfer takes ~30 ms here: one sample is mostly noise
            for (Map.Entry<String, Integer> t : ports.entrySet()) {
                String prefix = t.getKey().equals("micros") ? "/big" : ""; // micros routes /big/ to the second micro
                down.computeIfAbsent(t.getKey(), k -> new ArrayList<>()).add(download(t.getValue(), prefix + "/big?mb=50"));
                up.computeIfAbsent(t.getKey(), k -> new ArrayList<>()).add(upload(t.getValue(), prefix + "/upload", 5 << 20));
            }
        }
        long after = rss(pid);
        for (String t : ports.keySet()) {
            out.put("download_50mb_" + t + "_mbps", median(down.get(t)));
            out.put("upload_5mb_" + t + "_mbps", median(up.get(t)));
        }
        out.put("rss_growth_mb", (after - before) / 1024.0);
        return out;
    }

    /** MB/s for a GET whose body is read and dropped. */
    static double download(int port, String path) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            long t0 = System.nanoTime();
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes());
            InputStream in = s.getInputStream();
            byte[] b = new byte[64 * 1024];
            long total = 0;
            int n;
            while ((n = in.read(b)) > 0) total += n;
            return total / 1048576.0 / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /** MB/s for a POST of n bytes. */
    static double upload(int port, String path, int n) throws IOException {
        byte[] body = new byte[n];
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            long t0 = System.nanoTime();
            OutputStream out = s.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + n + "\r\nConnection: close\r\n\r\n").getBytes());
            out.write(body);
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            double mbps = n / 1048576.0 / ((System.nanoTime() - t0) / 1e9);
            if (!answer.startsWith("HTTP/1.1 200") || !answer.endsWith("\r\n\r\n" + n)) // a quick refusal is not an upload
                throw new IllegalStateException("upload to port " + port + " was not taken whole: " + answer.lines().findFirst().orElse(""));
            return mbps;
        }
    }

    // ---- cold start ----

    /** A request to a sleeping micro, minus the same Node server's own spawn-to-first-response. */
    static Map<String, Object> coldStart() throws Exception {
        List<Double> own = new ArrayList<>(), through = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int port = freePort();
            long t0 = System.nanoTime();
            Process p = start(List.of("node", HELLO_JS.toString()), Map.of("PORT", Integer.toString(port)), null);
            awaitHttp(port, "/", 10_000);
            own.add((System.nanoTime() - t0) / 1e6);
            stop(p);
        }
        List<Double> bare = coldRequests("--no-sandbox");
        through.addAll(coldRequests(null));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("spawn_to_first_response_ms", median(own));
        out.put("cold_request_no_sandbox_ms", median(bare));
        out.put("cold_start_overhead_ms", median(bare) - median(own));
        out.put("cold_request_ms", median(through));
        out.put("sandbox_overhead_ms", median(through) - median(bare));
        return out;
    }

    /** What thawing adds: requests 300 ms apart (the micro is frozen in between) with freezing on and off. */
    static Map<String, Object> thawCost() throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String mode : List.of("--freeze", "--no-freeze")) {
            int port = freePort();
            Process m = start(List.of(java(), "-jar", JAR.toString(), "run", APP.toString(), "--port", Integer.toString(port), "--public", "--idle", "0", mode), Map.of(), "is listening on");
            http(port, "/");
            List<Double> ms = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                Thread.sleep(300);
                long t0 = System.nanoTime();
                http(port, "/");
                ms.add((System.nanoTime() - t0) / 1e6);
            }
            stop(m);
            out.put(mode.equals("--freeze") ? "frozen_request_ms" : "unfrozen_request_ms", median(ms));
        }
        out.put("thaw_adds_ms", (double) out.get("frozen_request_ms") - (double) out.get("unfrozen_request_ms"));
        return out;
    }

    static final int BURST = 8; // the default --instances: a burst that fills the cap

    /**
     * What instances cost with the default cap: bursts of {@value #BURST} concurrent requests to a
     * micro with no instance (each request a cold start of its own; p50 and p99 of them all, five
     * bursts), throughput at 16 connections (instances up to the cap, the rest waiting in line),
     * and the RSS of micros plus every instance's processes after that load.
     */
    static Map<String, Object> instances(boolean wrk) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        int burstPort = freePort();
        Process m = start(List.of(java(), "-jar", JAR.toString(), "run", APP.toString(), "--port", Integer.toString(burstPort), "--public", "--idle", "700ms"),
                Map.of(), "is listening on");
        List<Double> cold = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int round = 0; round < 5; round++) {
            Thread.sleep(2000); // long past --idle: every instance has stopped
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<Thread> burst = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                Thread t = new Thread(() -> {
                    try {
                        go.await();
                        long t0 = System.nanoTime();
                        if (http(burstPort, "/") == 200) cold.add((System.nanoTime() - t0) / 1e6);
                    } catch (Exception e) {
                        System.out.println("  a burst request failed: " + e);
                    }
                });
                t.start();
                burst.add(t);
            }
            go.countDown();
            for (Thread t : burst) t.join();
        }
        stop(m);
        List<Double> sorted = new ArrayList<>(cold);
        sorted.sort(null);
        out.put("burst", BURST);
        out.put("burst_cold_p50_ms", median(sorted));
        out.put("burst_cold_p99_ms", sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1)));
        if (wrk) {
            int port = freePort();
            m = start(List.of(java(), "-jar", JAR.toString(), "run", APP.toString(), "--port", Integer.toString(port), "--public", "--idle", "0"),
                    Map.of(), "is listening on");
            http(port, "/");
            List<Double> rps = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) rps.add(wrk(port, 16, SECONDS, "/", null)[0]);
            out.put("rps_c16", median(rps));
            long kib = rss(m.pid());
            List<ProcessHandle> all = m.descendants().toList();
            for (ProcessHandle h : all) kib += rss(h.pid());
            out.put("rss_micros_mib", rss(m.pid()) / 1024.0);
            out.put("rss_micros_and_instances_mib", kib / 1024.0);
            out.put("processes", all.size());
            stop(m);
        }
        return out;
    }

    static String instanceLines(Map<String, Object> r) {
        StringBuilder t = new StringBuilder(String.format(Locale.ROOT, "instances (default cap): a burst of %d concurrent requests to a micro with none: cold starts p50 %.0f ms, p99 %.0f ms%n",
                (int) r.get("burst"), (double) r.get("burst_cold_p50_ms"), (double) r.get("burst_cold_p99_ms")));
        if (r.containsKey("rps_c16"))
            t.append(String.format(Locale.ROOT, "instances (default cap): %.0f req/s at 16 connections; RSS after it: micros %.0f MiB, micros and its instances %.0f MiB (%d processes)%n",
                    (double) r.get("rps_c16"), (double) r.get("rss_micros_mib"), (double) r.get("rss_micros_and_instances_mib"), (int) r.get("processes")));
        return t.toString();
    }

    /** Five requests to a sleeping micro (each after --idle put it to sleep), in ms. */
    static List<Double> coldRequests(String extra) throws Exception {
        List<Double> ms = new ArrayList<>();
        int port = freePort();
        List<String> cmd = new ArrayList<>(List.of(java(), "-jar", JAR.toString(), "run", APP.toString(), "--port", Integer.toString(port), "--public", "--idle", "700ms"));
        if (extra != null) cmd.add(extra);
        Process m = start(cmd, Map.of(), "is listening on");
        for (int i = 0; i < 5; i++) {
            Thread.sleep(2000); // long past --idle: the micro sleeps
            long t0 = System.nanoTime();
            http(port, "/big/");
            ms.add((System.nanoTime() - t0) / 1e6);
        }
        stop(m);
        return ms;
    }

    // ---- the report ----

    static void report(Map<String, List<double[]>> results, Iterable<String> targets, int[] conns, Map<String, List<Double>> cpu,
                       long idleRss, long loadRss, Map<String, Object> bodies, Map<String, Object> cold, Map<String, Object> deps) throws IOException {
        StringBuilder t = new StringBuilder();
        t.append(String.format("%n%-8s %5s %10s %9s %9s %9s %9s%n", "target", "conns", "req/s", "p50 ms", "p99 ms", "/direct", "/nginx"));
        Map<String, Object> wrkJson = new LinkedHashMap<>();
        for (int c : conns)
            for (String target : targets) row(t, wrkJson, results, target, Integer.toString(c), c, target + "_c" + c);
        for (int c : POST_CONNS) {
            if (!results.containsKey("micros/post" + c)) continue;
            t.append(String.format("%nPOST of 1 KiB, %d connections:%n", c));
            for (String target : targets) row(t, wrkJson, results, target, "post" + c, c, target + "_post_c" + c);
        }
        if (results.containsKey("micros/upload")) {
            t.append(String.format("%nPOST of %d KiB (past micros' 64 KiB in memory), %d connections:%n", UPLOAD_BYTES / 1024, UPLOAD_CONNS));
            for (String target : targets) row(t, wrkJson, results, target, "upload", UPLOAD_CONNS, target + "_upload_c" + UPLOAD_CONNS);
        }
        if (results.containsKey("micros/1")) {
            double added = median(results.get("micros/1").stream().map(r -> r[1]).toList()) - median(results.get("direct/1").stream().map(r -> r[1]).toList());
            t.append(String.format(Locale.ROOT, "added p50 latency at 1 connection: %.3f ms (target: at most 0.3 ms)%n", added));
            json.put("added_p50_ms_c1", added);
        }
        for (String kind : List.of("get", "post", "upload")) {
            List<Double> ours = cpu.get("micros/" + kind), theirs = cpu.get("nginx/" + kind);
            if (ours == null) continue;
            String what = kind.equals("get") ? "GET" : kind.equals("post") ? "1 KiB POST" : (UPLOAD_BYTES / 1024) + " KiB POST";
            List<Double> ourKernel = cpu.get("micros/" + kind + "/kernel"), theirKernel = cpu.get("nginx/" + kind + "/kernel");
            t.append(String.format(Locale.ROOT, "CPU per proxied %s: micros %.1f us (%.1f in the kernel), nginx's worker %s (medians of the runs at 16 and more connections)%n",
                    what, median(ours), median(ourKernel), theirs == null ? "-" : String.format(Locale.ROOT, "%.1f us (%.1f in the kernel)", median(theirs), median(theirKernel))));
            t.append(String.format(Locale.ROOT, "TCP segments per %s, the machine's (client, proxy and server): direct %.2f, nginx %s, micros %.2f%n", what,
                    median(cpu.get("direct/" + kind + "/segments")), theirs == null ? "-" : String.format(Locale.ROOT, "%.2f", median(cpu.get("nginx/" + kind + "/segments"))),
                    median(cpu.get("micros/" + kind + "/segments"))));
            json.put("micros_kernel_us_per_" + kind, median(ourKernel));
            if (theirs != null) json.put("nginx_kernel_us_per_" + kind, median(theirKernel));
            json.put("micros_cpu_us_per_" + kind, median(ours));
            if (theirs != null) json.put("nginx_cpu_us_per_" + kind, median(theirs));
        }
        t.append(String.format(Locale.ROOT, "micros RSS: %.0f MB idle after start (target 80), %.0f MB peak under 16/64-connection load (target 150)%n", idleRss / 1024.0, loadRss / 1024.0));
        json.put("micros_load_rss_mb", loadRss / 1024.0);
        for (String[] what : new String[][] {{"download_50mb", "50 MB download"}, {"upload_5mb", "5 MB upload"}}) {
            double d = (double) bodies.get(what[0] + "_direct_mbps"), m = (double) bodies.get(what[0] + "_micros_mbps");
            Object n = bodies.get(what[0] + "_nginx_mbps");
            t.append(String.format(Locale.ROOT, "%s (median of 7): direct %.0f MB/s, %smicros %.0f MB/s (%.2f of direct%s)%n", what[1], d,
                    n == null ? "" : String.format(Locale.ROOT, "nginx %.0f MB/s, ", (double) n), m, m / d,
                    n == null ? "" : String.format(Locale.ROOT, ", %.2fx nginx", m / (double) n)));
        }
        t.append(String.format(Locale.ROOT, "RSS growth over the large bodies: %.1f MB%n", bodies.get("rss_growth_mb")));
        startLines(t, deps, cold);
        t.append(String.format(Locale.ROOT, "freezing: a request to a frozen micro takes %.2f ms, to a running one %.2f ms: thawing adds %.2f ms%n",
                cold.get("frozen_request_ms"), cold.get("unfrozen_request_ms"), cold.get("thaw_adds_ms")));
        @SuppressWarnings("unchecked")
        Map<String, Object> inst = (Map<String, Object>) json.get("instances");
        t.append(instanceLines(inst));
        System.out.print(t);
        json.put("wrk", wrkJson);
        json.put("large_bodies", bodies);
        json.put("cold_start", cold);
        json.put("deps_start", deps);
        json.put("rounds", ROUNDS);
        json.put("seconds_per_run", SECONDS);
        Files.createDirectories(RESULTS);
        Files.writeString(RESULTS.resolve("latest.json"), toJson(json) + "\n");
        Files.writeString(RESULTS.resolve("latest.txt"), "machine: " + machine() + "\n" + t);
        System.out.println("\nwritten: test/bench/results/latest.json and latest.txt");
    }

    /** One line of the table: the medians of a target's runs under one load, with ratios to direct and nginx under the same load. */
    static void row(StringBuilder t, Map<String, Object> json, Map<String, List<double[]>> results, String target, String load, int conns, String key) {
        List<double[]> runs = results.get(target + "/" + load);
        if (runs == null) return;
        double rps = median(runs.stream().map(r -> r[0]).toList());
        double p50 = median(runs.stream().map(r -> r[1]).toList());
        double p99 = median(runs.stream().map(r -> r[2]).toList());
        double direct = median(results.get("direct/" + load).stream().map(r -> r[0]).toList());
        List<double[]> ng = results.get("nginx/" + load);
        double nginx = ng == null ? Double.NaN : median(ng.stream().map(r -> r[0]).toList());
        t.append(String.format(Locale.ROOT, "%-8s %5d %10.0f %9.3f %9.3f %9.2f %9.2f%n", target, conns, rps, p50, p99, rps / direct, rps / nginx));
        json.put(key, Map.of("rps", rps, "p50_ms", p50, "p99_ms", p99));
    }

    // ---- helpers ----

    static double[] wrk(int port, int c, int seconds, String path, Path script) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("wrk", "-t1", "-c" + c, "-d" + seconds + "s", "--latency"));
        if (script != null) cmd.addAll(List.of("-s", script.toString()));
        cmd.add("http://127.0.0.1:" + port + path);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        Matcher rps = Pattern.compile("Requests/sec:\\s+([0-9.]+)").matcher(out);
        if (!rps.find()) throw new IllegalStateException("wrk said:\n" + out);
        if (out.contains("Non-2xx") || out.contains("Socket errors")) System.out.println("  wrk saw errors on port " + port + " c=" + c + ":\n" + out);
        Matcher count = Pattern.compile("([0-9]+) requests in").matcher(out);
        double requests = count.find() ? Double.parseDouble(count.group(1)) : Double.parseDouble(rps.group(1)) * seconds;
        return new double[] {Double.parseDouble(rps.group(1)), percentile(out, "50%"), percentile(out, "99%"), requests};
    }

    static double percentile(String out, String which) {
        Matcher m = Pattern.compile("\\s" + Pattern.quote(which) + "\\s+([0-9.]+)(us|ms|s)").matcher(out);
        if (!m.find()) return Double.NaN;
        double v = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "us" -> v / 1000;
            case "s" -> v * 1000;
            default -> v;
        };
    }

    /** micros for the proxy comparison: one upstream process, as nginx has (--instances 1). */
    static Process startMicros(int port, String idle) throws Exception {
        return start(List.of(java(), "-jar", JAR.toString(), "run", APP.toString(), "--port", Integer.toString(port), "--public",
                "--idle", idle, "--payload", "100M", "--instances", "1"), Map.of(), "is listening on");
    }

    static Process startNginx(int port, int upstream) throws Exception {
        Path dir = WORK.resolve("nginx");
        Files.createDirectories(dir);
        String conf = "worker_processes 1;\npid " + dir.resolve("nginx.pid") + ";\nerror_log " + dir.resolve("error.log") + ";\ndaemon off;\n"
                + "events { worker_connections 1024; }\nhttp {\n  access_log off;\n"
                + "  client_body_temp_path " + dir.resolve("body") + "; proxy_temp_path " + dir.resolve("proxy") + ";\n"
                + "  fastcgi_temp_path " + dir.resolve("fcgi") + "; uwsgi_temp_path " + dir.resolve("uwsgi") + "; scgi_temp_path " + dir.resolve("scgi") + ";\n"
                + "  upstream node { server 127.0.0.1:" + upstream + "; keepalive 64; }\n"
                // bodies as large as micros takes (--payload 100M): nginx's default (1m) answers a 5 MB upload 413 at once
                + "  client_max_body_size 100m;\n"
                + "  server { listen 127.0.0.1:" + port + "; location / { proxy_pass http://node; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }\n}\n";
        Files.writeString(dir.resolve("nginx.conf"), conf);
        Process p = start(List.of("nginx", "-c", dir.resolve("nginx.conf").toString(), "-p", dir.toString()), Map.of(), null);
        awaitHttp(port, "/", 10_000);
        return p;
    }

    /** Starts a process; when {@code ready} is given, waits for a line of output containing it. */
    static Process start(List<String> cmd, Map<String, String> env, String ready) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("NO_COLOR", "1");
        Process p = pb.start();
        started.add(p);
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        if (ready != null) {
            String line;
            while ((line = r.readLine()) != null && !line.contains(ready)) { /* wait */ }
            if (line == null) die(String.join(" ", cmd) + " ended before it was ready");
        }
        Thread drain = new Thread(() -> {
            try {
                while (r.readLine() != null) { /* keep the pipe empty */ }
            } catch (IOException ignored) {
                // ended
            }
        });
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly();
        started.remove(p);
    }

    static void stopAll() {
        for (Process p : new ArrayList<>(started)) {
            p.destroy();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static void awaitHttp(int port, String path, long millis) throws Exception {
        long until = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < until) {
            try {
                if (http(port, path) > 0) return;
            } catch (IOException e) {
                java.util.concurrent.locks.LockSupport.parkNanos(200_000); // poll as tightly as micros does, for a fair baseline
            }
        }
        die("nothing answered on port " + port);
    }

    static int http(int port, String path) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes());
            String first = new BufferedReader(new InputStreamReader(s.getInputStream())).readLine();
            return first == null ? -1 : Integer.parseInt(first.split(" ")[1]);
        }
    }

    static Thread sampleRss(long pid, AtomicLong peak) {
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak.accumulateAndGet(rss(pid), Math::max);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Resident memory in KiB. */
    static long rss(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status")))
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        } catch (IOException ignored) {
            // gone
        }
        return 0;
    }

    /** utime + stime in clock ticks (1/100 s). */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** The process's CPU ticks in the kernel (system calls and the loopback TCP work they do). */
    static long sysTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[12]);
    }

    /** TCP segments the machine has sent (Tcp: OutSegs in /proc/net/snmp): per request, the kernel's work on loopback. */
    static long tcpOutSegments() throws IOException {
        List<String> tcp = Files.readAllLines(Path.of("/proc/net/snmp")).stream().filter(l -> l.startsWith("Tcp:")).toList();
        List<String> names = List.of(tcp.get(0).split(" ")), values = List.of(tcp.get(1).split(" "));
        return Long.parseLong(values.get(names.indexOf("OutSegs")));
    }

    static double median(List<Double> v) {
        if (v.isEmpty()) return Double.NaN;
        List<Double> s = new ArrayList<>(v);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static boolean onPath(String cmd) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(":"))
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, cmd))) return true;
        return Files.isExecutable(Path.of("/usr/sbin", cmd));
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static String machine() {
        String cpu = "?";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("?");
        } catch (IOException ignored) {
            // unknown
        }
        return Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), Java " + Runtime.version();
    }

    static int env(String name, int fallback) {
        String v = System.getenv(name);
        return v == null ? fallback : Integer.parseInt(v);
    }

    static void die(String message) {
        System.err.println("bench: " + message);
        System.exit(1);
    }

    static String toJson(Object v) {
        if (v instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<?, ?> e : m.entrySet()) sb.append(sb.length() > 1 ? "," : "").append('"').append(e.getKey()).append("\":").append(toJson(e.getValue()));
            return sb.append('}').toString();
        }
        if (v instanceof Double d) return Double.isNaN(d) ? "null" : String.format(Locale.ROOT, "%.3f", d);
        if (v instanceof Number) return v.toString();
        return "\"" + String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
