package micros.classic;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.actions.Scheduler;
import micros.support.Apps;
import micros.support.Http;
import micros.util.Json;

/**
 * App(FastAPI()), App(Flask(...)) and App(express()) as Deta's documentation wrote them: the
 * wrapped framework serves HTTP, and the same object takes app.lib.cron and app.lib.run
 * handlers. Dependencies are installed by micros' build step; skipped when this machine's
 * package index lacks them.
 */
class ClassicFrameworksTest {
    @TempDir
    Path dir;

    private Apps.Running start(String fixture, String... runtimes) throws Exception {
        Apps.require(runtimes);
        // the micro's own uid must reach its virtualenv under the state folder here (a @TempDir is 0700)
        java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Apps.Running app = Apps.start(Apps.copy("classic", dir).resolve(fixture), Apps.Options.defaults());
        String failed = app.emulator.runtime().buildFailures().get(fixture);
        if (failed != null) app.close();
        Assumptions.assumeTrue(failed == null, "its dependencies could not be installed here: " + failed);
        return app;
    }

    private static Http.Response run(Apps.Running app, String action, String body) throws Exception {
        byte[] b = ("{\"event\":{\"id\":\"" + action + "\",\"trigger\":\"run\",\"action\":\"" + action + "\",\"body\":" + Json.quote(body) + "}}")
                .getBytes(StandardCharsets.UTF_8);
        return Http.send(app.port(), "POST /__space/v0/actions HTTP/1.1\r\nHost: localhost\r\nCookie: space_token=" + Apps.OWNER
                + "\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n\r\n", b);
    }

    private static Http.Response post(Apps.Running app, String path, String type, String body) throws Exception {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return Http.send(app.port(), "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + type + "\r\nContent-Length: " + b.length
                + "\r\nConnection: close\r\n\r\n", b);
    }

    @Test
    @Tag("slow") // pip installs FastAPI from the machine's wheels: a minute or more; make stress runs it
    void fastApi() throws Exception {
        try (Apps.Running app = start("fastapi", "python3")) {
            assertEquals("Hello Deta, I am running with HTTP", Json.parse(Http.get(app.port(), "/").text()));
            assertEquals(Map.of("item_id", 5L), Json.object(Http.get(app.port(), "/items/5").text()));
            // a route function stacked with @app.lib.run, as real micros did
            assertEquals("Hello Deta, I am running with HTTP", Json.parse(run(app, "", "{}").text()));
            Scheduler.Result cron = app.emulator.scheduler().fireNow("cron");
            assertEquals(200, cron.status(), cron.body());
            assertEquals("Hello Deta, I am a cron job", Json.parse(cron.body()));
        }
    }

    @Test
    @Tag("slow") // as above, Flask
    void flask() throws Exception {
        try (Apps.Running app = start("flask", "python3")) {
            Http.Response r = post(app, "/", "text/plain", "abc");
            assertEquals(200, r.status(), r.text());
            assertEquals("flask says POST abc", r.text());
            assertEquals("set through the deta app", Json.parse(run(app, "key", "{}").text()));
        }
    }

    @Test
    void express() throws Exception {
        try (Apps.Running app = start("express", "node", "npm")) {
            assertEquals("Hello Deta, I am running with HTTP", Http.get(app.port(), "/").text());
            Http.Response echo = post(app, "/echo", "application/json", "{\"a\":1}");
            assertEquals(Map.of("got", Map.of("a", 1L)), Json.object(echo.text()), echo.text());
            assertEquals(Map.of("hello", "Jimmy"), Json.object(run(app, "greet", "{\"name\":\"Jimmy\"}").text()));
            Scheduler.Result cron = app.emulator.scheduler().fireNow("cron");
            assertEquals(200, cron.status(), cron.body());
            assertEquals("Hello Deta, I am a cron job", Json.parse(cron.body()));
        }
    }
}
