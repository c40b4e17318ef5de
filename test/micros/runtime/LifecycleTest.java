package micros.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Procs;
import micros.support.Http.Response;
import micros.util.Json;

/** Cold starts, idle sleep, crashes, restarts and back-off, with real processes. */
class LifecycleTest {
    @TempDir
    Path dir;

    private static long pid(Apps.Running app, String target) throws Exception {
        Response r = Http.get(app.port(), target);
        assertEquals(200, r.status(), r.text());
        return (Long) Json.object(r.text()).get("pid");
    }

    @Test
    void withOneSharedInstanceConcurrentFirstRequestsShareOneColdStart() throws Exception {
        Apps.require("node");
        try (Apps.Running app = Apps.start(Apps.copy("routing", dir), Apps.Options.defaults().instances(1))) { // each its own instance otherwise (InstancesTest)
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<Long>> pids = new ArrayList<>();
            for (int i = 0; i < 8; i++) pids.add(pool.submit((Callable<Long>) () -> pid(app, "/api/c")));
            long first = pids.get(0).get();
            for (Future<Long> f : pids) assertEquals(first, f.get());
            pool.shutdown();
            assertEquals(1, app.emulator.runtime().supervisors().stream().filter(s -> s.micro().name().equals("api")).findFirst().orElseThrow().spawns());
            assertTrue(app.logged("api: cold start in "), app::output);
        }
    }

    @Test
    void idleMicrosSleepAndWakeOnTheNextRequest() throws Exception {
        Apps.require("node");
        try (Apps.Running app = Apps.start(Apps.copy("routing", dir), Apps.Options.defaults().idle(Duration.ofMillis(300)))) {
            long first = pid(app, "/api/a");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (Procs.alive(first) && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(!Procs.alive(first), "the idle micro's process ended");
            assertTrue(app.logged("api: stopping (idle for 300ms)"), app::output);
            long second = pid(app, "/api/b");
            assertNotEquals(first, second);
        }
    }

    @Test
    void aMicroThatExitsIsRestartedOnTheNextRequest() throws Exception {
        Apps.require("node");
        try (Apps.Running app = Apps.start(Apps.copy("routing", dir), Apps.Options.defaults())) {
            long first = pid(app, "/api/a");
            Response crash = Http.get(app.port(), "/api/exit");
            assertEquals(502, crash.status());
            assertTrue(crash.text().contains("micro \"api\" exited with code 5"), crash.text());
            long second = pid(app, "/api/b");
            assertNotEquals(first, second);
        }
    }

    @Test
    void aMicroThatDiesMidResponseCutsTheClientConnection() throws Exception {
        Apps.require("node");
        try (Apps.Running app = Apps.start(Apps.copy("routing", dir), Apps.Options.defaults())) {
            pid(app, "/api/warm");
            assertThrows(IOException.class, () -> Http.get(app.port(), "/api/crash"), "a cut response is not a complete one");
            assertEquals(200, Http.get(app.port(), "/api/after").status());
        }
    }

    @Test
    void aMicroThatCrashesAtStartBacksOffInsteadOfLooping() throws Exception {
        Apps.require("node", "python3");
        try (Apps.Running app = Apps.start(Apps.copy("engines", dir), Apps.Options.defaults())) {
            Response first = Http.get(app.port(), "/crash");
            assertEquals(503, first.status());
            assertTrue(first.text().contains("micro \"crash\" exited with code 3 before listening on its PORT"), first.text());
            assertTrue(app.awaitLog("boom: missing config"), app::output);
            assertTrue(app.logged("crash: failed to start"), app::output);
            Supervisor s = app.emulator.runtime().supervisors().stream().filter(x -> x.micro().name().equals("crash")).findFirst().orElseThrow();
            for (int i = 0; i < 20; i++) {
                Response again = Http.get(app.port(), "/crash");
                assertEquals(503, again.status());
                assertTrue(again.text().contains("try again in"), again.text());
            }
            assertEquals(1, s.spawns(), "no new spawn during the back-off");
            assertEquals(Supervisor.State.BACKOFF, s.state());
            Thread.sleep(1100); // the first back-off is one second
            assertEquals(503, Http.get(app.port(), "/crash").status());
            assertEquals(2, s.spawns());
            Response third = Http.get(app.port(), "/crash");
            assertTrue(third.text().contains("failed to start 2 times in a row"), third.text());
            assertEquals(200, Http.get(app.port(), "/uv").status(), "the other micros are unaffected");
        }
    }

    @Test
    void closingStopsEveryProcessItStarted() throws Exception {
        Apps.require("node");
        Apps.Running app = Apps.start(Apps.copy("routing", dir), Apps.Options.defaults());
        long a = pid(app, "/api/a"), b = pid(app, "/api/v2/b"), c = pid(app, "/apix/c");
        app.close();
        for (long p : List.of(a, b, c)) assertTrue(!Procs.alive(p), "pid " + p + " survived the shutdown");
    }
}
