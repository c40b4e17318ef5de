package micros.data.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.nio.file.Path;
import micros.http.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One query cannot hold up a base: its size is bounded (400 past it), and a reader never keeps a writer waiting. */
class BaseQueryLoadTest {
    @TempDir
    Path dir;

    @Test
    void aQueryPastTheLimitsIsRefused() throws Exception {
        BaseService service = new BaseService(dir, "p1", "p1_key");
        List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        service.notices(log::add); // the client reads "Bad query", the log why
        Server server = Server.start("127.0.0.1", 0, service, Server.Settings.DEFAULT, (ex, e) -> e.printStackTrace());
        try {
            BaseClient c = new BaseClient(server.port(), "p1", "p1_key");
            c.call("PUT", "q", "/items", "{\"items\":[{\"key\":\"a\",\"n\":1},{\"key\":\"b\",\"n\":2}]}");

            // the review's query: 60,000 OR objects (3.7 MB)
            var huge = c.call("POST", "q", "/query", "{\"query\":" + orOf(60_000, 1) + "}");
            assertEquals(400, huge.status(), huge.text());
            assertEquals(List.of("Bad query"), huge.errors());
            assertTrue(log.get(log.size() - 1).contains("Bad query: more than " + Query.MAX_OBJECTS + " objects in the list"), log.toString());

            var atObjects = c.call("POST", "q", "/query", "{\"query\":" + orOf(Query.MAX_OBJECTS, 1) + "}");
            assertEquals(200, atObjects.status(), atObjects.text());
            assertEquals(2, atObjects.items().size()); // n == 1 and n == 2 are among the objects
            assertEquals(400, c.call("POST", "q", "/query", "{\"query\":" + orOf(Query.MAX_OBJECTS + 1, 1) + "}").status());

            // conditions in all: many per object, or many objects of a few each
            int per = Query.MAX_CONDITIONS / 4;
            assertEquals(200, c.call("POST", "q", "/query", "{\"query\":" + orOf(4, per) + "}").status());
            var conditions = c.call("POST", "q", "/query", "{\"query\":" + orOf(4, per + 1) + "}");
            assertEquals(400, conditions.status(), conditions.text());
            assertEquals(List.of("Bad query"), conditions.errors());
            assertTrue(log.get(log.size() - 1).contains("Bad query: more than " + Query.MAX_CONDITIONS + " conditions in all"), log.toString());

            // substring searches cost up to the item's text times theirs: their text is bounded in all
            String half = "x".repeat(Query.MAX_CONTAINS_CHARS / 2);
            assertEquals(200, c.call("POST", "q", "/query", "{\"query\":[{\"t?contains\":\"" + half + "\"},{\"t?not_contains\":\"" + half + "\"}]}").status());
            var searched = c.call("POST", "q", "/query", "{\"query\":[{\"t?contains\":\"" + half + "\"},{\"t?!contains\":\"" + half + "x\"}]}");
            assertEquals(400, searched.status(), searched.text());
            assertEquals(List.of("Bad query"), searched.errors());
            assertTrue(log.get(log.size() - 1).contains("Bad query: more than " + Query.MAX_CONTAINS_CHARS + " characters of ?contains text in all"), log.toString());

            try { // the CLI and the dashboard parse the same way
                service.query("q", orOf(Query.MAX_OBJECTS + 1, 1), 10);
                throw new AssertionError("an oversized query was accepted");
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().contains("objects"), e.getMessage());
            }
        } finally {
            server.stop();
            service.close();
        }
    }

    /** A JSON list of {@code objects} objects of {@code conditions} conditions each ("n" equal to 0, 1, 2, ...). */
    private static String orOf(int objects, int conditions) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < objects; i++) {
            sb.append(i > 0 ? ",{" : "{").append("\"n\":").append(i);
            for (int k = 1; k < conditions; k++) sb.append(",\"f").append(k).append("?ne\":").append(k);
            sb.append('}');
        }
        return sb.append(']').toString();
    }

    @Test
    void aReaderInTheMiddleOfAWalkDoesNotHoldBackWritersNorACompaction() throws Exception {
        BaseService service = new BaseService(dir, "p1", "p1_key");
        List<String> log = new java.util.concurrent.CopyOnWriteArrayList<>();
        service.notices(log::add); // the client reads "Bad query", the log why
        ExecutorService threads = Executors.newCachedThreadPool();
        CountDownLatch reading = new CountDownLatch(1), release = new CountDownLatch(1);
        try {
            service.importItems("shared", List.of(Map.of("key", "a", "color", "blue"), Map.of("key", "held", "color", "red"), Map.of("key", "z", "color", "green")), false);
            Base base = service.base("shared");
            List<String> walked = new java.util.ArrayList<>();
            Future<?> reader = threads.submit(() -> {
                base.eachItem((b, from, length) -> { // the walk holds its lease on the log's file and its place in the index
                    Map<String, Object> item = JsonBytes.item(b, from, length);
                    walked.add(item.get("key") + "=" + item.get("color"));
                    if (item.get("key").equals("held")) {
                        reading.countDown();
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                });
                return null;
            });
            reading.await(); // the walk is now inside the base, between two items

            // a put, a delete, a get and enough overwrites to compact the log (a new file swapped in) finish meanwhile
            Future<?> writer = threads.submit(() -> {
                base.write((b, r) -> r.put.add(Items.prepare(Map.of("key", "b", "color", "red"))));
                base.write((b, r) -> r.del.add("a"));
                String pad = "p".repeat(200 * 1024);
                for (int i = 0; i < 60; i++) {
                    Map<String, Object> item = Items.prepare(Map.of("key", "pad", "i", (long) i, "pad", pad));
                    base.write((b, r) -> r.put.add(item));
                }
                return null;
            });
            writer.get(60, TimeUnit.SECONDS); // a deadlock guard, not a measure: a writer never waits for a reader
            assertEquals("red", base.get("b").get("color"));
            assertEquals(null, base.get("a"));
            assertEquals(59L, base.get("pad").get("i"));
            base.compactIfWasteful(); // after the one the writes set off in the background
            assertTrue(java.nio.file.Files.size(dir.resolve("bases").resolve(BaseNames.fileName("shared"))) < 4 << 20, "compacted while the walk held the old file");
            assertTrue(!reader.isDone(), "the reader was still held");

            release.countDown();
            reader.get(60, TimeUnit.SECONDS);
            assertEquals("a=blue", walked.get(0)); // the walk read its own index's items from its own file to the end
            assertTrue(walked.contains("held=red") && walked.contains("z=green"), walked.toString());
            assertEquals(List.of("b=red", "held=red", "pad=59", "z=green"), keysAndColors(service));
        } finally {
            release.countDown();
            threads.shutdownNow();
            service.close();
        }
    }

    private static List<String> keysAndColors(BaseService service) {
        return service.items("shared").stream().map(o -> (Map<?, ?>) o).map(m -> m.get("key") + "=" + (m.containsKey("color") ? m.get("color") : m.get("i"))).toList();
    }
}
