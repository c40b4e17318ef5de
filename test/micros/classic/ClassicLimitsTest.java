package micros.classic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.runtime.RunConfig;
import micros.sandbox.Limiter;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;

/** Deta Cloud's limits by default, for real: a handler past 10 s gets 504, 150 MB of memory past 128 MB gets the micro killed. */
class ClassicLimitsTest {
    @TempDir
    static Path dir;
    static Apps.Running app;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("python3");
        app = Apps.start(Apps.copy("classic", dir).resolve("py"), Apps.Options.defaults().limits(DetaLimits.DEFAULTS));
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    @Test
    void aHandlerPastTenSecondsGets504() throws Exception {
        Response r = Http.get(app.port(), "/sleep?s=11");
        assertEquals(504, r.status(), r.text());
        assertTrue(r.text().contains("did not answer within 10s (Deta Cloud's execution timeout)"), r.text());
        Response next = Http.get(app.port(), "/after"); // the micro was reset and cold-starts
        assertEquals(200, next.status(), next.text());
    }

    @Test
    void memoryPast128MegabytesKillsTheMicro() throws Exception {
        Limiter probe = Limiter.detect(RunConfig.Limits.SPACE, System.getenv(), w -> { });
        probe.close();
        Assumptions.assumeTrue(probe.mode() != Limiter.Mode.NONE, "the memory limit needs cgroups here: " + probe.reason());
        Response small = Http.get(app.port(), "/hog?mb=20");
        assertEquals(200, small.status(), small.text());
        Response r = Http.get(app.port(), "/hog?mb=150");
        assertEquals(502, r.status(), r.text());
        assertTrue(r.text().contains("out of memory (128 MiB limit)"), r.text());
        assertEquals(200, Http.get(app.port(), "/again").status());
    }
}
