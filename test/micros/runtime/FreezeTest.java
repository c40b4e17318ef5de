package micros.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.sandbox.Limiter;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.support.Jar.Proc;
import micros.support.Procs;
import micros.util.Json;

/** Micros are frozen between requests, as on Space: background work stops, and resumes during a request. */
class FreezeTest {
    @TempDir
    Path dir;

    private static void requireFreezer() {
        Limiter probe = Limiter.detect(RunConfig.Limits.SPACE, System.getenv(), w -> { });
        probe.close();
        Assumptions.assumeTrue(probe.freezing() != null, "freezing needs cgroups here: " + (probe.reason() == null ? "no freezer" : probe.reason()));
    }

    private static Map<String, Object> count(Apps.Running app, int waitMs) throws Exception {
        Http.Response r = Http.get(app.port(), "/?wait=" + waitMs);
        assertEquals(200, r.status(), r.text());
        return Json.object(r.text());
    }

    private static long n(Map<String, Object> m, String key) {
        return (Long) m.get(key);
    }

    private static void awaitFrozen(Apps.Running app) throws Exception {
        Supervisor s = app.emulator.runtime().supervisors().get(0);
        for (int i = 0; i < 200 && !s.frozen(); i++) Thread.sleep(10);
        assertTrue(s.frozen(), "the micro was frozen after its request");
    }

    @Test
    void backgroundWorkStopsBetweenRequestsAndResumesDuringOne() throws Exception {
        Apps.require("python3");
        requireFreezer();
        try (Apps.Running app = Apps.start(Apps.copy("freeze", dir), Apps.Options.defaults())) {
            long first = n(count(app, 0), "count");
            awaitFrozen(app);
            Thread.sleep(1000); // 50 ticks if it ran
            Map<String, Object> after = count(app, 0);
            assertTrue(n(after, "before") - first <= 10, "the counter stood still while frozen: " + first + " -> " + n(after, "before"));
            Map<String, Object> during = count(app, 500);
            assertTrue(n(during, "count") - n(during, "before") >= 10, "the counter runs during a request: " + during);
            assertTrue(app.awaitLog("ticker: frozen between requests, as on Space"), app::output);
        }
    }

    @Test
    void noFreezeKeepsTheMicroRunning() throws Exception {
        Apps.require("python3");
        try (Apps.Running app = Apps.start(Apps.copy("freeze", dir), Apps.Options.defaults().freeze(false))) {
            long first = n(count(app, 0), "count");
            Thread.sleep(1000);
            long later = n(count(app, 0), "before");
            assertTrue(later - first >= 20, "the counter kept running: " + first + " -> " + later);
            assertFalse(app.emulator.runtime().supervisors().get(0).frozen());
        }
    }

    @Test
    void aFrozenMicroStillSleepsWhenIdleAndTimesOut() throws Exception {
        Apps.require("python3");
        requireFreezer();
        try (Apps.Running app = Apps.start(Apps.copy("freeze", dir), Apps.Options.defaults().idle(Duration.ofMillis(800)))) {
            long pid = n(count(app, 0), "pid");
            awaitFrozen(app);
            assertTrue(Procs.ends(pid, 10_000), "the frozen micro was stopped when idle");
            assertTrue(app.logged("ticker: stopping (idle for 800ms)"), app::output);
        }
        try (Apps.Running app = Apps.start(Apps.copy("freeze", dir.resolve("t")), Apps.Options.defaults().limits(Duration.ofSeconds(1), 256L << 20, 256, 1 << 20))) {
            long pid = n(count(app, 0), "pid");
            awaitFrozen(app);
            assertEquals(504, Http.get(app.port(), "/?wait=5000").status(), "thawed for the request, then killed at the timeout");
            assertTrue(Procs.ends(pid, 5000));
        }
    }

    @Test
    void aFrozenMicroIsStoppedCleanlyOnSigterm() throws Exception {
        Apps.require("python3");
        requireFreezer();
        Path app = Apps.copy("freeze", dir);
        try (Proc p = Jar.start(app, Map.of(), "run", "--port", "0", "--public")) {
            int port = Integer.parseInt(p.await("is listening on", 20).replaceAll(".*:([0-9]+).*", "$1"));
            p.await("Press Ctrl-C to stop.", 10);
            assertTrue(p.output().contains("freezing: micros are frozen between requests, as on Space"), p.output());
            long pid = (Long) Json.object(Http.get(port, "/").text()).get("pid");
            p.await("ticker: frozen between requests", 10);
            p.signal("TERM");
            assertEquals(143, p.waitFor(20), p.output());
            assertFalse(Procs.alive(pid), "the frozen micro did not outlive micros");
        }
    }
}
