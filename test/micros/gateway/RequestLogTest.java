package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;
import micros.util.Json;

/**
 * The request log (/__micros/api/requests and the dashboard's Requests table) and what the
 * dashboard shows of a micro that failed: its error line, its log panel open with micros' own
 * events, no memory bar once its process is gone.
 */
class RequestLogTest {
    @TempDir
    static Path dir;
    static Apps.Running app;
    static final String OWNER = "Cookie: space_token=" + Apps.OWNER + "\r\n";

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node", "python3");
        app = Apps.start(Apps.copy("dashboard", dir), Apps.Options.defaults().isPublic(false).limits(Duration.ofSeconds(2), 256L << 20, 256, 64 << 10));
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static Response owner(String method, String target, String extra) throws Exception {
        return Http.send(app.port(), method + " " + target + " HTTP/1.1\r\nHost: x\r\n" + OWNER + extra + "Connection: close\r\n\r\n", null);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> log() throws Exception {
        Response r = owner("GET", "/__micros/api/requests", "");
        assertEquals(200, r.status(), r.text());
        assertEquals("application/json", r.header("content-type"));
        return (List<Map<String, Object>>) (List<?>) Json.object(r.text()).get("requests");
    }

    /**
     * The log once it holds what the test waits for: a request is logged when its answer has
     * been sent, so the client may ask for the log a moment before its last request is in it.
     */
    private static List<Map<String, Object>> logWhen(java.util.function.Predicate<List<Map<String, Object>>> done) throws Exception {
        long until = System.nanoTime() + 10_000_000_000L;
        List<Map<String, Object>> log = log();
        while (!done.test(log) && System.nanoTime() < until) {
            Thread.sleep(20);
            log = log();
        }
        return log;
    }

    private static Map<String, Object> find(List<Map<String, Object>> log, String path, long status) {
        for (Map<String, Object> e : log) if (path.equals(e.get("path")) && Long.valueOf(status).equals(e.get("status"))) return e;
        return null;
    }

    private static Map<String, Object> entry(List<Map<String, Object>> log, String path, long status) {
        Map<String, Object> e = find(log, path, status);
        if (e == null) throw new AssertionError("no " + status + " for " + path + " in " + log);
        return e;
    }

    @Test
    void eachRequestIsLoggedWithWhatHappenedOnTheWay() throws Exception {
        assertEquals(504, owner("GET", "/api/sleep?ms=5000", "").status()); // the timeout kills the micro:
        assertEquals(200, owner("GET", "/api/first?token=s3cret-value&x=1", "").status()); // this request starts it again
        assertEquals(401, Http.get(app.port(), "/api/anonymous").status());
        Response big = Http.send(app.port(), "POST /api/upload HTTP/1.1\r\nHost: x\r\n" + OWNER + "Content-Length: 100000\r\nConnection: close\r\n\r\n", null);
        assertEquals(413, big.status());
        assertEquals(200, owner("GET", "/", "").status());
        assertEquals(503, owner("GET", "/broken/x", "").status());
        assertEquals(200, owner("GET", "/__micros/api/state", "").status());

        List<Map<String, Object>> log = logWhen(l -> find(l, "/broken/x", 503) != null);
        Map<String, Object> first = entry(log, "/api/first?token=\u2026&x=\u2026", 200);
        assertEquals("api", first.get("micro"));
        assertEquals("GET", first.get("method"));
        assertEquals(true, first.get("coldStart"), "the request after the timeout started the micro: " + first);
        assertTrue(((Number) first.get("ms")).doubleValue() > 0);
        assertTrue(String.valueOf(first.get("time")).matches("20[0-9]{2}-.*Z"), String.valueOf(first.get("time")));
        Map<String, Object> slow = entry(log, "/api/sleep?ms=\u2026", 504);
        assertEquals(true, slow.get("timedOut"));
        assertEquals("timeout", slow.get("limit"));
        assertEquals("api", entry(log, "/api/anonymous", 401).get("micro"), "refused requests are in the log");
        assertEquals("payload", entry(log, "/api/upload", 413).get("limit"));
        assertEquals("site", entry(log, "/", 200).get("micro"));
        assertEquals("broken", entry(log, "/broken/x", 503).get("micro"));
        assertFalse(log.stream().anyMatch(e -> String.valueOf(e.get("path")).startsWith("/__micros/")), "the dashboard's own reads are not logged: " + log);
        assertFalse(owner("GET", "/__micros/api/requests", "").text().contains("s3cret"), "query values are never shown");
        assertEquals(401, Http.get(app.port(), "/__micros/api/requests").status(), "the owner's only");
    }

    /** The event loop relays GETs to an awake micro itself, a worker does the rest: every one is logged, once. */
    @Test
    void everyRequestIsLoggedOnceWhicheverThreadServesIt() throws Exception {
        int n = 60;
        for (int i = 0; i < n; i++) assertEquals(200, owner("GET", "/api/each-" + i, "").status());
        for (int i = 0; i < n; i++)
            assertEquals(200, Http.send(app.port(), "POST /api/posted-" + i + " HTTP/1.1\r\nHost: x\r\n" + OWNER + "Content-Length: 2\r\nConnection: close\r\n\r\nhi", null).status());
        List<Map<String, Object>> log = logWhen(l -> find(l, "/api/posted-" + (n - 1), 200) != null);
        for (int i = 0; i < n; i++) {
            String get = "/api/each-" + i, post = "/api/posted-" + i;
            assertEquals(1, log.stream().filter(e -> get.equals(e.get("path"))).count(), get + " in " + log);
            assertEquals(1, log.stream().filter(e -> post.equals(e.get("path"))).count(), post + " in " + log);
        }
    }

    @Test
    void aThawIsLogged() throws Exception {
        assertEquals(200, owner("GET", "/api/wake", "").status());
        long until = System.nanoTime() + 10_000_000_000L;
        boolean frozen = false;
        while (!frozen && System.nanoTime() < until) {
            frozen = owner("GET", "/__micros/api/state", "").text().contains("\"name\":\"api\",\"path\":\"/api\",\"engine\":\"nodejs16\",\"state\":\"frozen\"");
            if (!frozen) Thread.sleep(50);
        }
        Assumptions.assumeTrue(frozen, "micros are not frozen here (no cgroup freezer)");
        assertEquals(200, owner("GET", "/api/thawed", "").status());
        assertEquals(true, entry(logWhen(l -> find(l, "/api/thawed", 200) != null), "/api/thawed", 200).get("thawed"));
    }

    /** The log keeps the last 500: the oldest go first. */
    @Test
    void theLogKeepsTheLast500() throws Exception {
        for (int i = 0; i < RequestLog.CAPACITY + 20; i++) assertEquals(200, owner("GET", "/?n=" + i, "").status());
        assertEquals(404, owner("GET", "/last", "").status());
        List<Map<String, Object>> log = logWhen(l -> find(l, "/last", 404) != null);
        assertEquals(RequestLog.CAPACITY, log.size());
        assertEquals("/last", log.get(log.size() - 1).get("path"));
        assertEquals("/?n=\u2026", log.get(0).get("path"), "the oldest kept is one of the 520");
    }

    /** A micro that failed to start: its error line in its state cell, its log panel open with micros' own events, no memory bar. */
    @Test
    void aFailedMicroShowsItsErrorLineAndOpensItsLog() throws Exception {
        assertEquals(503, owner("GET", "/broken/", "").status());
        assertEquals(200, owner("POST", "/__micros/actions/tick", "Content-Length: 0\r\n").status(), "an action run, in its micro's log");
        String html = owner("GET", "/__micros/", "").text();
        String row = html.substring(html.indexOf("<tr data-micro=\"broken\""), html.indexOf("</tr>", html.indexOf("<tr data-micro=\"broken\"")));
        assertTrue(row.contains("<code class=\"error\">ModuleNotFoundError: No module named &#39;nosuchmodule_for_micros_tests&#39;</code>"), row);
        assertFalse(row.contains("<meter"), "no memory bar for a micro that does not run: " + row);
        assertTrue(html.contains("<details data-micro=\"broken\" open>"), "its log panel is open:\n" + html);
        String panel = html.substring(html.indexOf("<details data-micro=\"broken\""), html.indexOf("</details>", html.indexOf("<details data-micro=\"broken\"")));
        assertTrue(panel.matches("(?s).*<span class=\"t\">[0-9]{2}:[0-9]{2}:[0-9]{2}</span> <span class=\"own\">micros</span> failed to start: .*"), panel);
        assertTrue(panel.contains("ModuleNotFoundError"), panel);
        String api = html.substring(html.indexOf("<details data-micro=\"api\""), html.indexOf("</details>", html.indexOf("<details data-micro=\"api\"")));
        assertFalse(html.contains("<details data-micro=\"api\" open>"), "a healthy micro's panel stays closed");
        assertTrue(api.contains("<span class=\"own\">micros</span> cold start in "), api);
        assertTrue(api.contains("<span class=\"own\">micros</span> action tick ("), api);
        assertTrue(html.contains("<table id=\"requests\">"), html);
        assertTrue(html.contains("<a href=\"/\">Open the app</a>"), html);

        Map<String, Object> state = Json.object(owner("GET", "/__micros/api/state", "").text());
        for (Object o : (List<?>) state.get("micros")) {
            Map<?, ?> m = (Map<?, ?>) o;
            if (!"broken".equals(m.get("name"))) continue;
            assertEquals("ModuleNotFoundError: No module named 'nosuchmodule_for_micros_tests'", m.get("error"));
            assertEquals(null, m.get("memoryBytes"));
            assertNotNull(m.get("problem"));
        }
    }
}
