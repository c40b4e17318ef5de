package micros.data.base;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import micros.http.Server;
import micros.support.Procs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Base log on disk: persistence, torn and corrupt tails, compaction, and kill -9 right after an acknowledged write. */
@SuppressWarnings("unchecked")
class BaseStorageTest {
    Path dir;
    BaseService service;
    Server server;

    @BeforeEach
    void setUp() throws Exception {
        dir = Files.createTempDirectory("micros-base-store");
    }

    @AfterEach
    void tearDown() throws Exception {
        stop();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    BaseClient open() throws Exception {
        service = new BaseService(dir, "p1", "p1_key");
        server = Server.start("127.0.0.1", 0, service, Server.Settings.DEFAULT, (ex, e) -> e.printStackTrace());
        return new BaseClient(server.port(), "p1", "p1_key");
    }

    void stop() {
        if (server != null) server.stop();
        if (service != null) service.close();
        server = null;
        service = null;
    }

    Path log(String base) {
        return dir.resolve("bases").resolve(BaseNames.fileName(base));
    }

    @Test
    void everyChangeSurvivesAReopen() throws Exception {
        BaseClient c = open();
        c.call("PUT", "notes", "/items", "{\"items\":[{\"key\":\"a\",\"n\":1},{\"key\":\"b\",\"t\":\"\\ud83d\\ude00 \\u00fc \\ud800\"},{\"key\":\"c\"}]}");
        c.call("PATCH", "notes", "/items/a", "{\"increment\":{\"n\":41}}");
        c.call("DELETE", "notes", "/items/c", null);
        c.call("POST", "other", "/items", "{\"item\":{\"key\":\"x\",\"f\":0.25}}");
        Object b = c.call("GET", "notes", "/items/b", null).json();
        stop();

        c = open();
        assertEquals(List.of(), service.recoveryWarnings());
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("bases"))));
        assertEquals(List.of("notes", "other"), service.names());
        assertEquals(42L, c.call("GET", "notes", "/items/a", null).map().get("n"));
        assertEquals(b, c.call("GET", "notes", "/items/b", null).json()); // surrogate pairs and a lone surrogate intact
        assertEquals("\ud83d\ude00 \u00fc \ud800", ((Map<?, ?>) b).get("t"));
        assertEquals(404, c.call("GET", "notes", "/items/c", null).status());
        assertEquals(0.25, c.call("GET", "other", "/items/x", null).map().get("f"));
        assertEquals(2, service.count("notes"));
    }

    @Test
    void aTornTailIsReportedAndKept() throws Exception {
        BaseClient c = open();
        c.call("PUT", "t", "/items", "{\"items\":[{\"key\":\"a\"},{\"key\":\"b\"}]}");
        stop();
        long good = Files.size(log("t"));
        byte[] torn = ByteBuffer.allocate(14).putInt(100).putInt(7).put("{\"put".getBytes()).array();
        Files.write(log("t"), torn, StandardOpenOption.APPEND);

        c = open();
        List<String> w = service.recoveryWarnings();
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).contains("base 't'") && w.get(0).contains("truncated") && w.get(0).contains("at byte " + good), w.get(0));
        assertEquals(good, Files.size(log("t")));
        Path kept;
        try (var files = Files.list(dir.resolve("bases"))) {
            kept = files.filter(f -> f.getFileName().toString().startsWith("t.log.damaged-")).findFirst().orElseThrow();
        }
        assertArrayEquals(torn, Files.readAllBytes(kept));
        assertEquals(2, service.count("t"));
        c.call("PUT", "t", "/items", "{\"items\":[{\"key\":\"c\"}]}"); // the log goes on from the good end
        stop();
        open();
        assertEquals(List.of(), service.recoveryWarnings());
        assertEquals(3, service.count("t"));
    }

    @Test
    void aCorruptRecordIsReported() throws Exception {
        BaseClient c = open();
        c.call("PUT", "k", "/items", "{\"items\":[{\"key\":\"a\",\"v\":\"first\"}]}");
        stop();
        long good = Files.size(log("k"));
        open().call("PUT", "k", "/items", "{\"items\":[{\"key\":\"b\",\"v\":\"second\"}]}");
        stop();
        try (FileChannel ch = FileChannel.open(log("k"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {'X'}), good + 20); // flip a byte inside the second record
        }
        open();
        List<String> w = service.recoveryWarnings();
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).contains("corrupt") && w.get(0).contains("at byte " + good), w.get(0));
        assertEquals(1, service.count("k"));

        stop();
        Files.write(dir.resolve("bases").resolve("foreign.log"), "not ours".getBytes());
        open();
        assertTrue(service.recoveryWarnings().stream().anyMatch(s -> s.contains("base 'foreign'") && s.contains("does not start like")),
                service.recoveryWarnings().toString());
    }

    @Test
    void compactionKeepsOnlyLiveItems() throws Exception {
        BaseClient c = open();
        String pad = "p".repeat(2000);
        for (int i = 0; i < 3000; i++) {
            c.call("PUT", "hot", "/items", "{\"items\":[{\"key\":\"k" + (i % 10) + "\",\"i\":" + i + ",\"pad\":\"" + pad + "\"}]}");
        }
        service.base("hot").compactIfWasteful(); // after the one running in the background, if any
        assertTrue(Files.size(log("hot")) < 4_500_000, "compacted: " + Files.size(log("hot")));
        stop();
        c = open();
        assertEquals(List.of(), service.recoveryWarnings());
        assertEquals(10, service.count("hot"));
        assertEquals(2999L, c.call("GET", "hot", "/items/k9", null).map().get("i"));
    }

    @Test
    void importExportAndTheDashboardCalls() throws Exception {
        BaseClient c = open();
        c.call("PUT", "imp", "/items", "{\"items\":[{\"key\":\"old\",\"v\":0},{\"key\":\"a\",\"v\":0}]}");
        List<Object> export = new ArrayList<>();
        for (int i = 0; i < 5000; i++) export.add(Map.of("key", String.format("i%05d", i), "v", (long) i, "even", i % 2 == 0));
        export.add(Map.of("v", 1.0)); // an item without key gets one
        service.importItems("imp", export, false);                 // merged: "old" and "a" stay
        assertEquals(5003, service.count("imp"));
        service.importItems("imp", export.subList(0, 10), true);   // replaced
        assertEquals(10, service.count("imp"));
        assertEquals(404, c.call("GET", "imp", "/items/old", null).status());
        assertEquals(List.of(Map.of("key", "i00002", "v", 2L, "even", true), Map.of("key", "i00004", "v", 4L, "even", true)),
                service.query("imp", "{\"even\":true,\"v?gt\":0}", 2));
        assertEquals(10, service.query("imp", "  ", 100).size());
        try {
            service.query("imp", "{\"v?nope\":1}", 10);
            throw new AssertionError("a bad query was accepted");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("nope"), e.getMessage());
        }
        try {
            service.importItems("imp", List.of(Map.of("key", 7)), true);
            throw new AssertionError("a bad item was imported");
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("base 'imp'"), e.getMessage());
        }
        assertEquals(10, service.count("imp")); // the refused import changed nothing
        List<Object> out = service.items("imp");
        ((Map<String, Object>) out.get(0)).put("v", "changed"); // a copy: the stored item stays
        stop();
        open();
        assertEquals(List.of(), service.recoveryWarnings());
        assertEquals(export.subList(0, 10), service.items("imp"));
        assertEquals(List.of("imp"), service.names());
    }

    @Test
    void aLogOfLargeItemsReopensWhole() throws Exception {
        open();
        List<Object> big = new ArrayList<>();
        for (int i = 0; i < 200; i++) big.add(Map.of("key", "b" + i, "pad", String.valueOf((char) ('a' + i % 26)).repeat(390 * 1024))); // 78 MB in all
        service.importItems("large", big, true); // a new log: records of at most 1 MB, not one record past the 64 MB a record may take
        stop();
        open();
        assertEquals(List.of(), service.recoveryWarnings());
        assertEquals(200, service.count("large"));
        assertEquals("t".repeat(390 * 1024), service.base("large").get("b19").get("pad"));
    }

    @Test
    void anAcknowledgedWriteSurvivesKill9() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = Path.of("build/test-classes").toAbsolutePath() + ":" + Path.of("build/classes").toAbsolutePath();
        List<String> acked = Collections.synchronizedList(new ArrayList<>());
        Process child = new ProcessBuilder(java, "-cp", cp, BaseChild.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            String line = new BufferedReader(new InputStreamReader(child.getInputStream())).readLine();
            assertTrue(line != null && line.startsWith("port "), "child said: " + line);
            BaseClient c = new BaseClient(Integer.parseInt(line.substring(5)), "p1", "p1_key");
            AtomicBoolean go = new AtomicBoolean(true);
            AtomicInteger n = new AtomicInteger();
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                Thread w = new Thread(() -> {
                    while (go.get()) {
                        String key = "w" + n.incrementAndGet();
                        try {
                            if (c.call("PUT", "durable", "/items", "{\"items\":[{\"key\":\"" + key + "\"}]}").status() == 207) acked.add(key);
                        } catch (Exception e) {
                            return; // the child died under this request: it was never acknowledged
                        }
                    }
                });
                w.start();
                writers.add(w);
            }
            while (acked.size() < 300) Thread.sleep(5);
            child.destroyForcibly(); // SIGKILL while writes are in flight
            go.set(false);
            for (Thread w : writers) w.join();
            assertTrue(Procs.ends(child.pid(), 10_000));
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
        // reopen in this JVM: every acknowledged key is there
        open();
        List<Object> items = service.items("durable");
        List<String> have = new ArrayList<>();
        for (Object o : items) have.add((String) ((Map<?, ?>) o).get("key"));
        assertTrue(acked.size() >= 300);
        assertTrue(have.containsAll(acked), "acknowledged " + acked.size() + ", found " + have.size());
        // a record cut by the kill would be an unacknowledged one, reported as truncated; never a corrupt one
        assertTrue(service.recoveryWarnings().stream().allMatch(w -> w.contains("truncated")), service.recoveryWarnings().toString());
    }

    /**
     * kill -9 in the middle of a compaction: the child's writers overwrite their items so the log
     * keeps passing twice its live items and is compacted again and again; each trial kills the
     * child while a compaction's file is being written. Every acknowledged write is there after,
     * the log is whole, and the half-written compaction is gone.
     */
    @Test
    void aKill9DuringACompactionLosesNothingAndLeavesNoHalfLog() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = Path.of("build/test-classes").toAbsolutePath() + ":" + Path.of("build/classes").toAbsolutePath();
        Path compacting = dir.resolve("bases").resolve(BaseNames.fileName("hot") + ".compact");
        String pad = "p".repeat(20_000);
        long[] acked = new long[8];
        int caught = 0;
        java.util.Random random = new java.util.Random(26);
        for (int trial = 0; trial < 12 && caught < 3; trial++) {
            Process child = new ProcessBuilder(java, "-cp", cp, BaseChild.class.getName(), dir.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try {
                String line = new BufferedReader(new InputStreamReader(child.getInputStream())).readLine();
                assertTrue(line != null && line.startsWith("port "), "child said: " + line);
                BaseClient c = new BaseClient(Integer.parseInt(line.substring(5)), "p1", "p1_key");
                if (trial == 0) { // ~4 MB of items that stay: each compaction copies them
                    for (int b = 0; b < 80; b++) {
                        StringBuilder batch = new StringBuilder("{\"items\":[");
                        for (int i = 0; i < 25; i++) batch.append(i > 0 ? "," : "").append("{\"key\":\"s").append(b * 25 + i).append("\",\"pad\":\"").append(pad, 0, 2000).append("\"}");
                        assertEquals(207, c.call("PUT", "hot", "/items", batch + "]}").status());
                    }
                }
                AtomicBoolean go = new AtomicBoolean(true);
                List<Thread> writers = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int id = t;
                    Thread w = new Thread(() -> {
                        for (long n = acked[id] + 1; go.get(); n++) {
                            try {
                                if (c.call("PUT", "hot", "/items", "{\"items\":[{\"key\":\"w" + id + "\",\"n\":" + n + ",\"pad\":\"" + pad + "\"}]}").status() != 207) return;
                                acked[id] = n;
                            } catch (Exception e) {
                                return; // the child died under this request: it was never acknowledged
                            }
                        }
                    });
                    w.start();
                    writers.add(w);
                }
                while (!Files.exists(compacting) && child.isAlive()) Thread.sleep(1); // a compaction began
                Thread.sleep(random.nextInt(20));
                child.destroyForcibly(); // SIGKILL somewhere in it (or just after)
                assertTrue(Procs.ends(child.pid(), 10_000));
                if (Files.exists(compacting)) caught++; // killed before its rename: a half-written compaction on disk
                go.set(false);
                for (Thread w : writers) w.join();
            } finally {
                child.destroyForcibly();
                child.waitFor();
            }
            open();
            assertTrue(service.recoveryWarnings().stream().allMatch(w -> w.contains("truncated")), service.recoveryWarnings().toString());
            assertTrue(!Files.exists(compacting), "the half-written compaction is removed at open");
            assertEquals(2000 + 8, service.count("hot"));
            for (int t = 0; t < 8; t++) {
                long n = (Long) service.base("hot").get("w" + t).get("n");
                assertTrue(n == acked[t] || n == acked[t] + 1, "writer " + t + ": acknowledged " + acked[t] + ", found " + n); // +1: a write cut off after it was stored
                acked[t] = n;
            }
            assertEquals("p".repeat(2000), service.base("hot").get("s1999").get("pad"));
            stop();
        }
        assertTrue(caught >= 3, "killed in the middle of a compaction " + caught + " times");
    }
}
