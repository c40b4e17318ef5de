package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;
import micros.util.Json;

/** Private by default, public routes, the owner's login, API keys, DETA_API_KEY, reserved paths, WebSockets. */
class AuthTest {
    @TempDir
    static Path dir;
    static Apps.Running app;
    static final String OWNER = "Cookie: space_token=" + Apps.OWNER + "\r\n";

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node");
        app = Apps.start(Apps.copy("auth", dir), Apps.Options.defaults().isPublic(false));
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static Response get(String target, String headers) throws Exception {
        return Http.send(app.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + headers + "Connection: close\r\n\r\n", null);
    }

    @Test
    void privateRoutesNeedCredentialsAndNothingReachesTheMicro() throws Exception {
        Response plain = get("/priv/x", "");
        assertEquals(401, plain.status());
        assertTrue(plain.header("content-type").startsWith("text/plain"), plain.header("content-type"));
        assertTrue(plain.text().contains("private"), plain.text());
        Response html = get("/priv/x", "Accept: text/html,application/xhtml+xml\r\n");
        assertEquals(401, html.status());
        assertTrue(html.text().contains("<h1>This app is private</h1>"), html.text());
        assertTrue(html.text().contains("?space_token="), "the page tells how to log in");
        assertFalse(html.text().contains(Apps.OWNER), "the page never shows the token");
        assertFalse(app.logged("priv: cold start"), "the micro was not even started");
        assertEquals(401, get("/", "").status(), "the static primary is private too");
    }

    /** Public routes of the api micro (/test, /public/*, /api/*&#47;docs, /pre*, /*.png), tried without credentials. */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "/api/test | 200 | /test",
            "/api/test/ | 200 | /test/",
            "/api/test?x=1 | 200 | /test?x=1",
            "/api/%74est | 200 | /test",
            "/api/testx | 401 |",
            "/api/test/x | 401 |",
            "/api/test. | 401 |",
            "/api/Test | 401 |",
            "/api/public/a | 200 | /public/a",
            "/api/public/a/b/c | 200 | /public/a/b/c",
            "//api//public//a | 200 | /public/a",
            "/api/public | 401 |",
            "/api/publicity | 401 |",
            "/api/Public/a | 401 |",
            "/api/public./a | 401 |",
            "/api/public/../private | 401 |",
            "/api/public/%2e%2e/private | 401 |",
            "/api/public/%2E%2E/private | 401 |",
            "/api/public/.%2e/private | 401 |",
            "/api/public/./../private | 401 |",
            "/api/public/..%2fprivate | 200 | /public/..%2Fprivate",
            "/api/public/..;/private | 401 |",
            "/api/public/..;x/private | 401 |",
            "/api/public/..%3B/private | 401 |",
            "/api/public/.;x/a | 200 | /public/a",
            "/api/public/a;x | 200 | /public/a;x",
            "/api/api/v1/docs | 200 | /api/v1/docs",
            "/api/api/v1/x/docs | 401 |",
            "/api/api//docs | 401 |",
            "/api/prefix | 200 | /prefix",
            "/api/pre/x/y | 200 | /pre/x/y",
            "/api/logo.png | 200 | /logo.png",
            "/api/img/logo.png | 401 |",
            "/api/private?public/x | 401 |",
            "/api/x?space=/public/a | 401 |",
            "/open/anything/at/all | 200 | /anything/at/all",
    })
    void publicRoutesMatchTheNormalisedPathAndTheMicroGetsWhatMatched(String target, int status, String received) throws Exception {
        Response r = get(target, "");
        assertEquals(status, r.status(), () -> target + " -> " + r.text());
        if (status == 200) assertEquals(received, Json.object(r.text()).get("url"), target);
    }

    @Test
    void tokenLoginSetsACookieAndRedirectsWithoutTheParameter() throws Exception {
        assertEquals(401, get("/api/x?space_token=wrong-token", "").status());
        Response login = get("/api/x?a=1&space_token=" + Apps.OWNER + "&b=2", "");
        assertEquals(302, login.status());
        assertEquals("/api/x?a=1&b=2", login.header("location"));
        String cookie = login.header("set-cookie");
        assertEquals("space_token=" + Apps.OWNER + "; Path=/; HttpOnly; SameSite=Lax", cookie);
        Response in = get("/api/x?a=1&b=2", "Cookie: theme=dark; space_token=" + Apps.OWNER + "; lang=en\r\n");
        assertEquals(200, in.status());
        Map<String, Object> seen = Json.object(in.text());
        assertEquals("/x?a=1&b=2", seen.get("url"));
        @SuppressWarnings("unchecked")
        Map<String, Object> headers = (Map<String, Object>) seen.get("headers");
        assertEquals("theme=dark; lang=en", headers.get("cookie"), "the login cookie never reaches the micro");
        Response onlyLogin = get("/api/y", OWNER);
        @SuppressWarnings("unchecked")
        Map<String, Object> h2 = (Map<String, Object>) Json.object(onlyLogin.text()).get("headers");
        assertNull(h2.get("cookie"));
        assertEquals(302, get("/?space_token=" + Apps.OWNER, "").status());
        assertEquals(200, get("/", OWNER).status(), "the owner opens the static primary");
    }

    @Test
    void apiKeysWorkOnlyOnMicrosWithThePreset() throws Exception {
        assertEquals(200, get("/api/x", "X-Space-App-Key: " + Apps.API_KEY + "\r\n").status());
        assertEquals(401, get("/api/x", "X-Space-App-Key: not-the-key\r\n").status());
        assertEquals(401, get("/priv/x", "X-Space-App-Key: " + Apps.API_KEY + "\r\n").status(), "priv has no api_keys preset");
        assertEquals(200, get("/api/test", "X-Space-App-Key: not-the-key\r\n").status(), "public routes stay public whatever the key");
    }

    @Test
    void theAppsOwnApiKeyGrantsServerToServerAccess() throws Exception {
        String key = (String) Json.object(get("/priv/x", OWNER).text()).get("apiKey");
        assertTrue(key != null && key.length() >= 32);
        assertEquals(200, get("/priv/x", "X-API-Key: " + key + "\r\n").status());
        assertEquals(200, get("/api/x", "X-API-Key: " + key + "\r\n").status());
        assertEquals(401, get("/priv/x", "X-API-Key: " + key + "x\r\n").status());
    }

    @Test
    void spacePathsAreTheOwnersEvenOnPublicMicros() throws Exception {
        assertEquals(401, get("/open/__space/v0/actions", "").status());
        assertEquals(401, get("/__space/v0/actions", "").status());
        assertEquals(401, get("/api/__space/x", "X-Space-App-Key: " + Apps.API_KEY + "\r\n").status());
        assertEquals(401, Http.send(app.port(), "POST /open/__space/v0/actions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n", "{}".getBytes()).status());
        Response owner = Http.send(app.port(), "POST /open/__space/v0/actions HTTP/1.1\r\nHost: x\r\n" + OWNER + "Content-Length: 2\r\nConnection: close\r\n\r\n", "{}".getBytes());
        assertEquals(200, owner.status(), owner.text());
    }

    @Test
    void webSocketUpgradesAreRefused() throws Exception {
        Response r = get("/open/socket", "Upgrade: websocket\r\nSec-WebSocket-Key: x3JJHMbDL1EzLkh9GBhXDw==\r\nSec-WebSocket-Version: 13\r\n");
        assertEquals(400, r.status());
        assertTrue(r.text().contains("WebSockets are not supported on Space"), r.text());
    }

    @Test
    void clientAddressesAreNotPassedWithAuthOnEither() throws Exception {
        @SuppressWarnings("unchecked")
        Map<String, Object> h = (Map<String, Object>) Json.object(get("/open/ip", "X-Forwarded-For: 9.9.9.9\r\nX-Real-IP: 9.9.9.9\r\nForwarded: for=9.9.9.9\r\n").text()).get("headers");
        assertNull(h.get("x-forwarded-for"));
        assertNull(h.get("x-real-ip"));
        assertNull(h.get("forwarded"));
    }

    @Test
    void appActionsOfProvidingMicrosAreListedAndInvoked() throws Exception {
        assertEquals(401, get("/__space/actions", "").status());
        Response list = get("/__space/actions", OWNER);
        assertEquals(200, list.status(), list.text());
        assertTrue(list.text().contains("\"name\":\"shout\""), list.text());
        assertTrue(list.text().contains("\"micro\":\"tools\""), list.text());
        Response run = Http.send(app.port(), "POST /__space/actions/shout HTTP/1.1\r\nHost: x\r\n" + OWNER
                + "Content-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n", "{\"text\":\"hey\"}\n".getBytes());
        assertEquals(200, run.status(), run.text());
        assertEquals("HEY", Json.object(run.text()).get("shouted"));
    }

    @Test
    void tokensAndKeysNeverAppearInTheLog() throws Exception {
        get("/api/x?space_token=" + Apps.OWNER, "");
        get("/api/x", "X-Space-App-Key: " + Apps.API_KEY + "\r\n");
        assertFalse(app.output().contains(Apps.OWNER), app::output);
        assertFalse(app.output().contains(Apps.API_KEY), app::output);
    }

    @Test
    void publicFlagOpensEveryRouteButNotTheReservedOnes() throws Exception {
        try (Apps.Running open = Apps.start(Apps.copy("auth", dir.resolve("public")), Apps.Options.defaults().isPublic(true))) {
            assertEquals(200, Http.get(open.port(), "/priv/x").status());
            assertEquals(200, Http.get(open.port(), "/").status());
            assertEquals(401, Http.get(open.port(), "/open/__space/v0/actions").status());
        }
    }
}
