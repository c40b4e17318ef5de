package micros.classic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.actions.Scheduler;
import micros.support.Apps;
import micros.support.Http;
import micros.util.Json;

/**
 * The deta library Deta Cloud's runtime pre-installed, with and without a deta the micro installs
 * itself: a bare app with only a cron handler, a stand-in for the Python SDK 1.x (App from
 * detalib), one without App, and the real Node SDK 1.x and 2.x when npm can fetch them.
 */
class DetaLibraryTest {
    @TempDir
    Path dir;

    private static Http.Response run(Apps.Running app, String action) throws Exception {
        byte[] body = ("{\"event\":{\"id\":\"" + action + "\",\"trigger\":\"run\",\"action\":\"" + action + "\",\"body\":\"{}\"}}").getBytes(StandardCharsets.UTF_8);
        return Http.send(app.port(), "POST /__space/v0/actions HTTP/1.1\r\nHost: localhost\r\nCookie: space_token=" + Apps.OWNER
                + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n", body);
    }

    @Test
    void aBareAppWithOnlyACronAnswersHttpWithAClearMessage() throws Exception {
        Apps.require("python3");
        try (Apps.Running app = Apps.start(Apps.copy("classic", dir).resolve("cronly"), Apps.Options.defaults().limits(DetaLimits.DEFAULTS))) {
            Http.Response r = Http.get(app.port(), "/");
            assertEquals(404, r.status(), r.text());
            assertTrue(r.text().startsWith("this micro has no HTTP handler: its code defines only Deta's cron and run handlers"), r.text());
            Scheduler.Result cron = app.emulator.scheduler().fireNow("cron");
            assertEquals(200, cron.status(), cron.body());
            assertEquals("running on a schedule", Json.parse(cron.body()));
            assertTrue(app.awaitLog("cron-only handler ran: type=cron"), app.output());
            assertEquals("every 1 minute", "every " + app.emulator.scheduler().entry("cron").action.schedule());
        }
    }

    @Test
    void anSdkThatTakesAppFromDetalibGetsMicrosOwn() throws Exception {
        Apps.require("python3");
        try (Apps.Running app = Apps.start(Apps.copy("classic", dir).resolve("ownsdk"), Apps.Options.defaults())) {
            Http.Response r = Http.get(app.port(), "/");
            assertEquals(200, r.status(), r.text());
            assertEquals("own sdk: sdk base items", r.text()); // the micro's own deta, with its Base
            assertEquals("run through the installed sdk", Json.parse(run(app, "").text()));
        }
    }

    @Test
    void anSdkWithoutAppGetsAppAdded() throws Exception {
        Apps.require("python3");
        try (Apps.Running app = Apps.start(Apps.copy("classic", dir).resolve("newsdk"), Apps.Options.defaults())) {
            assertEquals("new sdk base x", Json.parse(run(app, "base").text()));
        }
    }

    @Test
    void theRealNodeSdksWithAndWithoutDetalib() throws Exception {
        Apps.require("node", "npm");
        for (String version : new String[] {"1.2.0", "2.0.0"}) {
            Path js = Apps.copy("classic", dir.resolve(version)).resolve("js");
            Process npm = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--no-save", "--no-package-lock", "--loglevel=error", "deta@" + version)
                    .directory(js.toFile()).redirectErrorStream(true).start();
            String said = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            boolean done = npm.waitFor(120, TimeUnit.SECONDS);
            if (!done) npm.destroyForcibly();
            Assumptions.assumeTrue(done && npm.exitValue() == 0, "npm could not install deta@" + version + " (offline?): " + said);
            try (Apps.Running app = Apps.start(js, Apps.Options.defaults())) {
                assertEquals(200, Http.get(app.port(), "/").status());
                Map<String, Object> hello = Json.object(run(app, "hello").text());
                assertEquals("run", hello.get("type"), version + ": " + hello);
                Scheduler.Result cron = app.emulator.scheduler().fireNow("cron");
                assertEquals(200, cron.status(), version + ": " + cron.body());
            }
        }
    }
}
