package micros.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.support.Jar.Proc;

/** make stress: many connections, a long soak. Each prints one summary line. */
@Tag("slow")
class StressTest {
    @TempDir
    Path dir;

    static long status(long pid, String field) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status")))
            if (l.startsWith(field + ":")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        return -1;
    }

    static long fds(long pid) throws IOException {
        try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return s.count();
        }
    }

    private static int start(Proc p) throws InterruptedException {
        return Integer.parseInt(p.await("is listening on", 20).replaceAll(".*http://127\\.0\\.0\\.1:([0-9]+).*", "$1"));
    }

    @Test
    void aThousandIdleOrSlowConnectionsDoNotStopANewClient() throws Exception {
        Apps.require("node");
        try (Proc p = Jar.start(Apps.copy("faults", dir), Map.of(), "run", "--port", "0", "--public")) {
            int port = start(p);
            p.await("Press Ctrl-C to stop.", 10);
            assertEquals(200, Http.get(port, "/good/warm").status());
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 1000; i++) {
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                    if (i % 2 == 1) s.getOutputStream().write("GET /good/slow HTTP/1.1\r\n".getBytes()); // a head that trickles
                    sockets.add(s);
                }
                for (int second = 0; second < 3; second++) { // one more byte a second on each slow connection
                    for (int i = 1; i < sockets.size(); i += 2) sockets.get(i).getOutputStream().write('X');
                    Thread.sleep(1000);
                }
                long threads = status(p.process.pid(), "Threads");
                long t0 = System.nanoTime();
                int code = Http.get(port, "/good/new-client").status();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                System.out.println("stress: 1000 idle or slow connections: a new client was answered " + code + " in " + ms
                        + " ms; micros had " + threads + " threads and " + fds(p.process.pid()) + " open files");
                assertEquals(200, code);
                assertTrue(ms < 1000, "a new client waited " + ms + " ms");
                assertTrue(threads < 600, "threads stay bounded: " + threads);
            } finally {
                for (Socket s : sockets) s.close();
            }
        }
    }

    @Test
    void aThousandBodiesSentAtOneBytePerSecondDoNotStopOthers() throws Exception {
        Apps.require("node");
        try (Proc p = Jar.start(Apps.copy("faults", dir), Map.of(), "run", "--port", "0", "--public")) {
            int port = start(p);
            p.await("Press Ctrl-C to stop.", 10);
            assertEquals(200, Http.get(port, "/good/warm").status());
            List<Socket> sockets = new ArrayList<>();
            try {
                for (int i = 0; i < 1000; i++) {
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                    String path = i % 3 == 0 ? "/good/upload" : i % 3 == 1 ? "/index.html" : "/good/x?n=" + i;
                    s.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n").getBytes());
                    sockets.add(s);
                }
                long worst = 0;
                int code = 0, staticCode = 0;
                for (int second = 0; second < 4; second++) { // one more body byte a second on each
                    for (Socket s : sockets) {
                        try {
                            s.getOutputStream().write('X');
                        } catch (IOException answeredAndClosed) {
                            // a static file's 405 closes the connection at once
                        }
                    }
                    long t0 = System.nanoTime();
                    code = Http.get(port, "/good/normal").status();
                    staticCode = Http.get(port, "/index.html").status();
                    worst = Math.max(worst, (System.nanoTime() - t0) / 2_000_000);
                    Thread.sleep(1000);
                }
                long threads = status(p.process.pid(), "Threads");
                System.out.println("stress: 1000 bodies at 1 byte/s: a normal request was answered " + code + " (a static file " + staticCode
                        + ") in at most " + worst + " ms; micros had " + threads + " threads");
                assertEquals(200, code);
                assertEquals(200, staticCode);
                assertTrue(worst < 1000, "a normal request waited " + worst + " ms");
            } finally {
                for (Socket s : sockets) s.close();
            }
        }
    }

    @Test
    void twoHundredConcurrentUploadsOf5MBStayInBoundedMemory() throws Exception {
        Apps.require("node");
        try (Proc p = Jar.start(Apps.copy("faults", dir), Map.of(), "run", "--port", "0", "--public")) {
            int port = start(p);
            p.await("Press Ctrl-C to stop.", 10);
            assertEquals(200, Http.get(port, "/good/warm").status());
            Thread.sleep(3000); // the heap trim after start-up has happened
            long pid = p.process.pid(), rss0 = status(pid, "VmRSS");
            byte[] body = new byte[5 << 20];
            ExecutorService pool = Executors.newFixedThreadPool(200);
            AtomicLong peak = new AtomicLong(rss0), ok = new AtomicLong();
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                fs.add(pool.submit(() -> {
                    Http.Response r = Http.send(port, "POST /good/upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n", body);
                    if (r.status() == 200 && r.text().contains("\"body\":\"" + body.length + "\"")) ok.incrementAndGet();
                    peak.accumulateAndGet(status(pid, "VmRSS"), Math::max);
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
            pool.shutdown();
            System.out.println("stress: 200 concurrent 5 MB uploads: " + ok.get() + " answered whole; micros' RSS " + rss0 / 1024 + " -> peak " + peak.get() / 1024 + " MB");
            assertEquals(200, ok.get());
            assertTrue(peak.get() - rss0 < 400 * 1024, "RSS grew by " + (peak.get() - rss0) / 1024 + " MB for 1 GB of bodies");
        }
    }

    @Test
    void soakOf200000RequestsLeavesNothingBehind() throws Exception {
        Apps.require("node");
        try (Proc p = Jar.start(Apps.copy("faults", dir), Map.of(), "run", "--port", "0", "--public")) {
            int port = start(p);
            long pid = p.process.pid();
            load(port, 64, 20_000); // warm-up
            Thread.sleep(3000); // the heap trim after start-up has happened
            long fds0 = fds(pid), threads0 = status(pid, "Threads"), rss0 = status(pid, "VmRSS");
            AtomicLong errors = new AtomicLong();
            long t0 = System.nanoTime();
            long done = load(port, 64, 200_000, errors);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Thread.sleep(2000); // connections wind down
            long fds1 = fds(pid), threads1 = status(pid, "Threads"), rss1 = status(pid, "VmRSS");
            System.out.printf("stress: soak: %d requests at 64 connections in %.1f s (%.0f req/s), %d errors; open files %d -> %d, threads %d -> %d, RSS %d -> %d MB%n",
                    done, seconds, done / seconds, errors.get(), fds0, fds1, threads0, threads1, rss0 / 1024, rss1 / 1024);
            assertEquals(0, errors.get());
            assertEquals(200_000, done);
            assertTrue(fds1 <= fds0 + 10, "open files " + fds0 + " -> " + fds1);
            assertTrue(threads1 <= threads0 + 10, "threads " + threads0 + " -> " + threads1);
            assertTrue(rss1 <= rss0 + 64 * 1024, "RSS " + rss0 + " -> " + rss1 + " KiB");
        }
    }

    static long load(int port, int connections, int total) throws Exception {
        return load(port, connections, total, new AtomicLong());
    }

    /** Keep-alive GETs over {@code connections} sockets until {@code total} answers came back; counts non-200s and failures. */
    static long load(int port, int connections, int total, AtomicLong errors) throws Exception {
        AtomicLong left = new AtomicLong(total), done = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(connections);
        List<Future<?>> fs = new ArrayList<>();
        byte[] request = "GET /good/soak HTTP/1.1\r\nHost: x\r\n\r\n".getBytes();
        for (int c = 0; c < connections; c++) {
            fs.add(pool.submit(() -> {
                Socket s = null;
                InputStream in = null;
                try {
                    while (left.getAndDecrement() > 0) {
                        if (s == null) {
                            s = new Socket(InetAddress.getLoopbackAddress(), port);
                            in = new java.io.BufferedInputStream(s.getInputStream());
                        }
                        try {
                            OutputStream out = s.getOutputStream();
                            out.write(request);
                            Http.Response r = Http.read(in, false);
                            if (r.status() != 200) errors.incrementAndGet();
                        } catch (IOException e) {
                            errors.incrementAndGet();
                            s.close();
                            s = null;
                        }
                        done.incrementAndGet();
                    }
                } catch (IOException e) {
                    errors.incrementAndGet();
                } finally {
                    try {
                        if (s != null) s.close();
                    } catch (IOException ignored) {
                        // done
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : fs) f.get();
        pool.shutdown();
        return done.get();
    }
}
