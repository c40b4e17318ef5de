package micros.actions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.support.Jar.Proc;
import micros.util.Json;

/** Scheduled actions fire on time (an injectable clock keeps the test fast), through the gateway, and on demand. */
class SchedulerTest {
    @TempDir
    Path dir;

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        volatile Instant now;

        ManualClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    private static List<Object> events(Apps.Running app) throws Exception {
        Http.Response r = Http.send(app.port(), "GET /api/events HTTP/1.1\r\nHost: x\r\nCookie: space_token=" + Apps.OWNER + "\r\nConnection: close\r\n\r\n", null);
        assertEquals(200, r.status(), r.text());
        @SuppressWarnings("unchecked")
        List<Object> l = (List<Object>) Json.parse(r.text());
        return l;
    }

    private static List<Object> awaitEvents(Apps.Running app, int n) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        List<Object> e = events(app);
        while (e.size() < n && System.nanoTime() < until) {
            Thread.sleep(20);
            e = events(app);
        }
        return e;
    }

    @Test
    void aOneMinuteRateFiresOnEachMinuteAndMissedRunsAreNotReplayed() throws Exception {
        Apps.require("node");
        // one shared instance: the fixture keeps the events it got in memory, and an /api/events request
        // made while an action is in flight would start an instance of its own, with none (InstancesTest)
        try (Apps.Running app = Apps.start(Apps.copy("auth", dir), Apps.Options.defaults().isPublic(false).instances(1))) {
            app.emulator.scheduler().stop(); // the app's own scheduler fires on the real clock: a minute passing mid-test added a run
            ManualClock clock = new ManualClock(Instant.parse("2026-01-01T10:00:30Z"));
            SelfClient self = new SelfClient(app.emulator.url(), Apps.OWNER, Duration.ofSeconds(20));
            Scheduler s = new Scheduler(app.emulator.app(), clock, app.emulator.log(), self);
            Scheduler.Entry tick = s.entry("tick");
            assertEquals(Instant.parse("2026-01-01T10:01:00Z"), tick.next(), "a rate starts at the next whole minute");
            assertEquals(Instant.parse("2026-01-01T10:05:00Z"), s.entry("report").next(), "the cron's next() gives the first run");
            assertEquals(0, s.tick(), "nothing is due yet");
            clock.now = Instant.parse("2026-01-01T10:01:00Z");
            assertEquals(1, s.tick());
            List<Object> e = awaitEvents(app, 1);
            assertEquals(1, e.size());
            @SuppressWarnings("unchecked")
            Map<String, Object> first = (Map<String, Object>) e.get(0);
            assertEquals("{\"event\":{\"id\":\"tick\",\"trigger\":\"schedule\"}}", first.get("body"));
            assertEquals("application/json", first.get("type"));
            assertEquals(Instant.parse("2026-01-01T10:02:00Z"), tick.next());
            clock.now = Instant.parse("2026-01-01T10:04:30Z"); // slept through 10:02, 10:03, 10:04
            assertEquals(1, s.tick());
            assertEquals(2, awaitEvents(app, 2).size());
            Thread.sleep(200);
            assertEquals(2, events(app).size(), "missed runs are not replayed in a burst");
            assertEquals(Instant.parse("2026-01-01T10:05:00Z"), tick.next());
            assertTrue(app.awaitLog("action tick: 2 missed runs were skipped"), app::output);
            clock.now = Instant.parse("2026-01-01T10:05:00Z"); // tick and the */5 cron are both due
            assertEquals(2, s.tick());
            assertEquals(4, awaitEvents(app, 4).size());
            assertTrue(app.awaitLog("action report (scheduled, micro api): 200 in"), app::output);
            assertTrue(app.awaitLog("action tick (scheduled, micro api): 200 in"), app::output);
            assertEquals(200, tick.lastResult().status());
            s.stop();
        }
    }

    @Test
    void anActionWakesASleepingMicroAndObeysTheTimeout() throws Exception {
        Apps.require("node");
        try (Apps.Running app = Apps.start(Apps.copy("auth", dir), Apps.Options.defaults().isPublic(false))) {
            assertTrue(!app.logged("api: cold start"));
            Scheduler.Result r = app.emulator.scheduler().fireNow("tick");
            assertEquals(200, r.status(), r.body());
            assertTrue(app.logged("api: cold start"), "the action woke the micro");
        }
    }

    @Test
    void triggerFiresAnActionThroughTheRunningEmulator() throws Exception {
        Apps.require("node");
        Path app = Apps.copy("auth", dir);
        Jar.Result notRunning = Jar.run(app, Map.of(), "trigger", "tick");
        assertEquals(1, notRunning.exit(), notRunning.all());
        assertTrue(notRunning.out().contains("micros is not running for"), notRunning.all());
        try (Proc p = Jar.start(app, Map.of(), "run", "--port", "0")) {
            p.await("Press Ctrl-C to stop.", 20);
            assertTrue(p.output().contains("action tick (micro api): every 1 minute; next run "), p.output());
            assertTrue(p.output().contains("action report (micro api): cron */5 * * * *; next run "), p.output());
            Jar.Result ok = Jar.run(app, Map.of(), "trigger", "tick");
            assertEquals(0, ok.exit(), ok.all());
            assertTrue(ok.out().startsWith("action tick: 200 in "), ok.all());
            // the micro counts its ticks: 1, or 2 when the every-minute schedule fired first (a minute began meanwhile)
            java.util.regex.Matcher count = java.util.regex.Pattern.compile("\\{\"ok\":true,\"count\":(\\d+)}").matcher(ok.out());
            assertTrue(count.find(), ok.all());
            int n = Integer.parseInt(count.group(1));
            assertTrue(n == 1 || n == 2, ok.all());
            if (n == 2) p.await("action tick (scheduled, micro api): 200", 10);
            Jar.Result unknown = Jar.run(app, Map.of(), "trigger", "nope");
            assertEquals(2, unknown.exit(), unknown.all());
            assertTrue(unknown.out().contains("no action 'nope' in Spacefile; its actions: tick, report"), unknown.all());
            p.await("action tick (triggered, micro api): 200", 5);
        }
    }
}
