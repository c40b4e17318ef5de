package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;

/**
 * What an outside review found: reserved paths by another spelling, an open redirect on login,
 * micros setting the login cookie, secrets on the dashboard, cross-site posts to the dashboard.
 */
class SecretsTest {
    @TempDir
    static Path dir;
    static Apps.Running app;
    static final String OWNER = "Cookie: space_token=" + Apps.OWNER + "\r\n";

    static final String APP_JS = """
            const http = require("http");
            console.log("project key " + process.env.DETA_PROJECT_KEY + " api key " + process.env.DETA_API_KEY);
            http.createServer((req, res) => {
              const url = new URL(req.url, "http://x");
              if (url.pathname === "/print") { console.log("printed " + url.searchParams.get("text")); return res.end("ok"); }
              if (url.pathname === "/set-cookie") {
                res.setHeader("Set-Cookie", ["space_token=forged; Path=/", "space_token =forged2", "other=1; Path=/", "space_tokenx=2"]);
                return res.end("cookies");
              }
              res.end("reached " + req.method + " " + req.url);
            }).listen(Number(process.env.PORT), "127.0.0.1");
            """;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node");
        Path root = dir.resolve("app");
        Files.createDirectories(root.resolve("node"));
        Files.writeString(root.resolve("node/app.js"), APP_JS);
        Files.writeString(root.resolve("Spacefile"), """
                v: 0
                micros:
                  - name: main
                    src: node
                    engine: nodejs16
                    run: node app.js
                    primary: true
                    public: true
                    actions:
                      - id: tick
                        name: Tick
                        trigger: schedule
                        default_interval: 1 hour
                  - name: node
                    src: node
                    engine: nodejs16
                    run: node app.js
                    public: true
                """);
        app = Apps.start(root, Apps.Options.defaults().isPublic(false));
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static Response send(String method, String target, String headers) throws Exception {
        return Http.send(app.port(), method + " " + target + " HTTP/1.1\r\nHost: x\r\n" + headers + "Content-Length: 0\r\nConnection: close\r\n\r\n", null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/__SPACE/v0/actions", "/__Space/v0/actions", "/__space%2Fv0%2Factions", "/__space%2fv0%2factions",
            "/__SPACE%2Fv0%2Factions", "/__space%5Cv0%5Cactions", "/__spac%65/v0/actions", "/node/__SPACE/v0/actions",
            "/node/__space%2Fv0%2Factions", "/node/__space%2fv0%2factions", "/node/__sPaCe", "/node/./__space/v0/actions",
            // path parameters: a servlet container or Spring drops ";x" and sees /__space/v0/actions
            "/__space;x/v0/actions", "/__space;/v0/actions", "/__SPACE;x/v0/actions", "/__space%3Bx/v0/actions", "/__space%3bx/v0/actions",
            "/__spac%65;x/v0/actions", "/__space;x", "/node/__space;x/v0/actions", "/node/__Space;x/v0/actions", "/node/__space%3Bx/v0/actions",
            // ";x", ".;x" and "..;x" segments are resolved as "", "." and "..", as those frameworks do
            "/;x/__space/v0/actions", "/.;x/__space/v0/actions", "/x/..;/__space/v0/actions", "/x/..;x/__space/v0/actions",
            "/x/..%3B/__space/v0/actions", "/node/.;/__space/v0/actions", "/node/x/..;/__space/v0/actions", "/node/%2e%2e;/__space/v0/actions"})
    void reservedPathsByAnotherSpellingNeedTheOwner(String path) throws Exception {
        Response r = send("POST", path, "");
        assertEquals(401, r.status(), path + ": " + r.text());
        assertFalse(r.text().contains("reached"), path);
        assertTrue(send("POST", path, OWNER).text().startsWith("reached POST"), "the owner still gets through: " + path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/__spacex/v0", "/node/__spaces", "/node/x/__SPACE/v0/actions", "/__space_/x", "/__spacex;y/v0",
            "/node/x/__space;x/v0/actions", "/x;y/__space/v0/actions"})
    void lookAlikesAreNotReserved(String path) throws Exception {
        assertTrue(send("POST", path, "").text().startsWith("reached POST"), path);
    }

    @Test
    void loginNeverRedirectsToAnotherSite() throws Exception {
        Response r = send("GET", "//evil.com/?space_token=" + Apps.OWNER, "");
        assertEquals(302, r.status());
        assertEquals("/evil.com/", r.header("location"));
        Response kept = send("GET", "/a//b/./c?x=1&space_token=" + Apps.OWNER + "&y=2", "");
        assertEquals("/a/b/c?x=1&y=2", kept.header("location"));
        Response triple = send("GET", "///evil.com?space_token=" + Apps.OWNER, "");
        assertFalse(triple.header("location").startsWith("//"), triple.header("location"));
    }

    @Test
    void microsCannotSetTheLoginCookie() throws Exception {
        Response r = send("GET", "/node/set-cookie", "");
        assertEquals(200, r.status());
        assertEquals(java.util.List.of("other=1; Path=/", "space_tokenx=2"), r.all("set-cookie"));
    }

    @Test
    void anyValidLoginCookieCounts() throws Exception {
        // a cookie a micro (or another app on localhost) set first must not hide the owner's
        assertEquals(200, send("GET", "/__micros/api/state", "Cookie: space_token=forged; space_token=" + Apps.OWNER + "\r\n").status());
        assertEquals(200, send("GET", "/__micros/api/state", "Cookie: space_token=forged\r\n" + OWNER).status());
        assertEquals(401, send("GET", "/__micros/api/state", "Cookie: space_token=forged; a=" + Apps.OWNER + "\r\n").status());
    }

    @Test
    void theDashboardShowsNoSecrets() throws Exception {
        Path key = dir.resolve("app/.micros/project-key");
        String projectKey = Files.readString(key).strip();
        assertTrue(send("GET", "/print?text=" + URLEncoder.encode(Apps.OWNER + " " + Apps.API_KEY, StandardCharsets.UTF_8), "").text().equals("ok"));
        assertTrue(app.awaitLog("printed [redacted] [redacted]")); // not "printed": the split test's line has it too, and may come first
        for (String l : app.output().split("\n"))
            assertFalse(l.contains(projectKey) || l.contains(Apps.OWNER) || l.contains(Apps.API_KEY), "log: " + l);
        assertTrue(app.output().contains("project key [redacted] api key [redacted]"), app.output());
        for (String page : new String[] {"/__micros/", "/__micros/api/state", "/__micros/?fragment=1"}) {
            String text = send("GET", page, OWNER).text();
            assertTrue(text.contains("printed [redacted] [redacted]"), page + ": " + text);
            assertTrue(text.contains("project key [redacted] api key [redacted]"), page);
            assertFalse(text.contains(projectKey), page);
            assertFalse(text.contains(Apps.OWNER), page);
            assertFalse(text.contains(Apps.API_KEY), page);
        }
    }

    /** Each secret split by a colour, a title, a C1 CSI and a zero-width space, as a micro may print it. */
    static String split(String s) {
        String a = s.substring(0, 5), b = s.substring(5);
        return a + "\u001b[31m" + b + " " + a + "\u001b]0;t\u0007" + b + " " + a + "\u009b1m" + b + " " + a + "\u200b" + b;
    }

    /** What a reader sees: no escape sequence, control or invisible character. */
    static String reads(String text) {
        return text.replaceAll("\u001b\\[[0-9;?]*[ -/]*[@-~]|\u001b\\][^\u0007]*\u0007|\u009b[0-9;]*[@-~]", "")
                .replaceAll("[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]", "");
    }

    @Test
    void secretsSplitByEscapesAreRedactedInTheLogTheDashboardAndTheStateApi() throws Exception {
        String projectKey = Files.readString(dir.resolve("app/.micros/project-key")).strip();
        String half = projectKey.substring(projectKey.indexOf('_') + 1);
        String printed = "split " + split(Apps.OWNER) + " " + split(Apps.API_KEY) + " " + split(projectKey) + " half " + half + " end";
        assertEquals("ok", send("GET", "/print?text=" + URLEncoder.encode(printed, StandardCharsets.UTF_8), "").text());
        assertTrue(app.awaitLog("printed split"));
        String[] secrets = {projectKey, half, Apps.OWNER, Apps.API_KEY};
        for (String secret : secrets) assertFalse(reads(app.output()).contains(secret), "log: " + app.output());
        String redacted = "printed split " + "[redacted] ".repeat(12) + "half [redacted] end";
        assertTrue(app.output().contains(redacted), app.output());
        for (String page : new String[] {"/__micros/", "/__micros/?fragment=1"}) {
            String text = send("GET", page, OWNER).text();
            assertTrue(text.contains(redacted), page + ": " + text);
            for (String secret : secrets) assertFalse(reads(text).contains(secret), page + ": " + text);
        }
        String state = send("GET", "/__micros/api/state", OWNER).text();
        StringBuilder lines = new StringBuilder();
        for (Object m : (java.util.List<?>) micros.util.Json.object(state).get("micros"))
            for (Object l : (java.util.List<?>) ((java.util.Map<?, ?>) m).get("log")) lines.append(l).append('\n');
        assertTrue(lines.toString().contains(redacted), lines.toString());
        for (String secret : secrets) assertFalse(reads(lines.toString()).contains(secret), lines.toString());
    }

    @Test
    void crossSitePostsToTheDashboardAreRefused() throws Exception {
        String action = "/__micros/actions/tick";
        assertEquals(403, send("POST", action, OWNER + "Origin: http://127.0.0.1:1\r\n").status());
        assertEquals(403, send("POST", action, OWNER + "Origin: null\r\n").status());
        assertEquals(403, send("POST", action, OWNER + "Sec-Fetch-Site: cross-site\r\n").status());
        assertEquals(403, send("POST", action, OWNER + "Sec-Fetch-Site: same-site\r\nOrigin: http://x\r\n").status());
        assertEquals(200, send("POST", action, OWNER + "Sec-Fetch-Site: same-origin\r\nOrigin: http://x\r\n").status(), "the dashboard's own form");
        assertEquals(200, send("POST", action, OWNER).status(), "programs (micros trigger, curl) send neither header");
        assertEquals(200, send("GET", "/__micros/api/state", OWNER + "Sec-Fetch-Site: cross-site\r\n").status(), "reading is not a change");
    }
}
