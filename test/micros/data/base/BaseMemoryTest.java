package micros.data.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory follows the index, not the items: a Base server in a JVM of 64 MB of heap (which items
 * held in memory would fill several times over) opens a Base of 200,000 items (~90 MB of log),
 * serves every page of a walk over all of it, queries, gets and puts, and stays well inside a
 * loose bound of resident memory.
 */
class BaseMemoryTest {
    @TempDir
    Path dir;

    static final int ITEMS = 200_000;

    static Map<String, Object> item(int i) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("key", String.format("u%07d", i));
        m.put("name", "User " + i);
        m.put("age", (long) (i % 90));
        m.put("city", i % 7 == 0 ? "Berlin" : "Paris");
        m.put("tags", List.of("t" + i % 13, "t" + i % 5));
        m.put("bio", ("item " + i + " ").repeat(60).substring(0, 380));
        return m;
    }

    @Test
    void aSmallHeapServesABigBase() throws Exception {
        try (Writer w = new Writer(dir)) { // staged as an import stages: one item in memory at a time
            BaseImport imp = w.service.stage("big");
            for (int i = ITEMS - 1; i >= 0; i--) imp.add(item(i));
            imp.commit(true);
        }
        long log = Files.size(dir.resolve("bases").resolve(BaseNames.fileName("big")));
        assertTrue(log > 85 << 20, "the log holds " + log + " bytes");

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = Path.of("build/test-classes").toAbsolutePath() + ":" + Path.of("build/classes").toAbsolutePath();
        Process child = new ProcessBuilder(java, "-Xmx64m", "-XX:+ExitOnOutOfMemoryError", "-cp", cp, BaseChild.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String line = new BufferedReader(new InputStreamReader(child.getInputStream())).readLine();
            assertTrue(line != null && line.startsWith("port "), "child said: " + line + " (out of memory?)");
            BaseClient c = new BaseClient(Integer.parseInt(line.substring(5)), "p1", "p1_key");

            // every page of a walk over all items, in key order, each item as stored
            int seen = 0, pages = 0;
            String last = null;
            do {
                var page = c.call("POST", "big", "/query", last == null ? "{}" : "{\"last\":\"" + last + "\"}");
                assertEquals(200, page.status(), page.text());
                for (Object o : page.items()) {
                    assertEquals(item(seen), o);
                    seen++;
                }
                last = (String) ((Map<?, ?>) page.map().get("paging")).get("last");
                pages++;
            } while (last != null);
            assertEquals(ITEMS, seen);
            assertTrue(pages > 50, pages + " pages: each looks at up to 1 MB");

            // a query's first page, gets, puts, and the query again
            var berlin = c.call("POST", "big", "/query", "{\"query\":{\"city\":\"Berlin\",\"age?gte\":80},\"limit\":5}");
            List<Object> want = new ArrayList<>();
            for (int i = 0; want.size() < 5; i++) if (i % 7 == 0 && i % 90 >= 80) want.add(item(i));
            assertEquals(want, berlin.items());
            Random r = new Random(26);
            for (int k = 0; k < 200; k++) {
                int i = r.nextInt(ITEMS);
                assertEquals(item(i), c.call("GET", "big", "/items/" + String.format("u%07d", i), null).json());
            }
            for (int k = 0; k < 20; k++) {
                assertEquals(207, c.call("PUT", "big", "/items", "{\"items\":[{\"key\":\"a" + k + "\",\"city\":\"Berlin\",\"age\":99}]}").status());
            }
            assertEquals(20, c.call("POST", "big", "/query", "{\"query\":{\"key?pfx\":\"a\",\"age\":99}}").items().size());
            assertTrue(child.isAlive());
            long peak = 0;
            for (String s : Files.readAllLines(Path.of("/proc/" + child.pid() + "/status"))) {
                if (s.startsWith("VmHWM:")) peak = Long.parseLong(s.replaceAll("[^0-9]", "")) << 10;
            }
            assertTrue(peak < 300 << 20, "a loose bound (heap 64 MB, the JVM's own memory besides): peak RSS " + (peak >> 20) + " MB");
        } finally {
            child.destroyForcibly();
            child.waitFor();
        }
    }

    /** A BaseService for writing the test's data, closed after. */
    private static final class Writer implements AutoCloseable {
        final BaseService service;

        Writer(Path dir) throws Exception {
            service = new BaseService(dir, "p1", "p1_key");
        }

        @Override
        public void close() {
            service.close();
        }
    }
}
