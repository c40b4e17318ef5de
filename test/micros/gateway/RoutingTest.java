package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;
import micros.util.Json;

/** Routing, prefix stripping and header handling through a running gateway to real Node micros. */
class RoutingTest {
    @TempDir
    static Path dir;
    static Apps.Running app;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node");
        app = Apps.start(Apps.copy("routing", dir), Apps.Options.defaults());
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static Map<String, Object> echo(String target) throws Exception {
        Response r = Http.get(app.port(), target);
        assertEquals(200, r.status(), () -> target + " -> " + r.text());
        return Json.object(r.text());
    }

    @Test
    void prefixIsStrippedAndQueryKept() throws Exception {
        Map<String, Object> e = echo("/api/x/y?q=1&b=%20");
        assertEquals("api", e.get("micro"));
        assertEquals("/x/y?q=1&b=%20", e.get("url"));
        assertEquals("/", echo("/api").get("url"));
        assertEquals("/", echo("/api/").get("url"));
        assertEquals("/?only=query", echo("/api?only=query").get("url"));
    }

    @Test
    void longestWholeSegmentPrefixWins() throws Exception {
        assertEquals("v2", echo("/api/v2/z").get("micro"));
        assertEquals("/z", echo("/api/v2/z").get("url"));
        assertEquals("/", echo("/api/v2").get("url"));
        assertEquals("api", echo("/api/v21").get("micro")); // not a whole segment of /api/v2
        assertEquals("/v21", echo("/api/v21").get("url"));
        assertEquals("apix", echo("/apix/a").get("micro")); // /api never claims /apix
        assertEquals("/a", echo("/apix/a").get("url"));
        Response other = Http.get(app.port(), "/apixy"); // nobody's prefix: the static primary
        assertEquals(404, other.status());
    }

    @Test
    void pathsAreNormalisedBeforeRouting() throws Exception {
        assertEquals("/b", echo("/api/a/../b").get("url"));
        assertEquals("/a/b", echo("//api//a///b").get("url"));
        assertEquals("api", echo("/%61pi/x").get("micro")); // %61 is 'a', an unreserved character
        assertEquals("/a%2Fb", echo("/api/a%2fb").get("url")); // an encoded slash stays encoded
        assertEquals(400, Http.get(app.port(), "/api/../../etc/passwd").status());
    }

    @Test
    void legacyNodeDefaultServesTheExportedHandler() throws Exception {
        Response r = Http.get(app.port(), "/legacy/hello");
        assertEquals(200, r.status());
        assertEquals("hi from legacy at /hello", r.text());
    }

    @Test
    void headersPassThroughButClientAddressesAndHopByHopDoNot() throws Exception {
        Response r = Http.send(app.port(), "GET /api/h HTTP/1.1\r\nHost: example.test:8080\r\nX-Test: one\r\nX-Test: two\r\n"
                + "X-Forwarded-For: 1.2.3.4\r\nForwarded: for=1.2.3.4\r\nX-Real-IP: 1.2.3.4\r\nConnection: close, X-Hop\r\nX-Hop: secret\r\n"
                + "Keep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nUser-Agent: micros-test\r\n\r\n", null);
        assertEquals(200, r.status());
        @SuppressWarnings("unchecked")
        Map<String, Object> h = (Map<String, Object>) Json.object(r.text()).get("headers");
        assertEquals("example.test:8080", h.get("host"));
        assertEquals("one, two", h.get("x-test"));
        assertEquals("micros-test", h.get("user-agent"));
        for (String gone : List.of("x-forwarded-for", "forwarded", "x-real-ip", "x-hop", "keep-alive", "te", "proxy-authorization"))
            assertNull(h.get(gone), gone + " must not reach the micro");
    }

    @Test
    void responseHeadersComeBackUnchangedIncludingRepeatedSetCookie() throws Exception {
        Response r = Http.get(app.port(), "/api/cookies");
        assertEquals(200, r.status());
        assertEquals(List.of("a=1; Path=/", "b=2; Path=/"), r.all("set-cookie"));
        assertEquals("kept", r.header("x-custom"));
        assertEquals("cookies", r.text());
        assertEquals(1, r.all("date").size());
    }

    @Test
    void statusCodesAndHeadRequestsPassThrough() throws Exception {
        assertEquals(418, Http.get(app.port(), "/api/status?code=418").status());
        assertEquals(204, Http.get(app.port(), "/api/status?code=204").status());
        Response head = Http.send(app.port(), "HEAD /api/big?mb=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null);
        assertEquals(200, head.status());
        assertEquals(String.valueOf(1 << 20), head.header("content-length"));
    }

    @Test
    void keepAliveConnectionsServeManyRequests() throws Exception {
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), app.port())) {
            for (int i = 0; i < 50; i++) {
                s.getOutputStream().write(("GET /api/k" + i + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes());
                Response r = Http.read(s.getInputStream(), false);
                assertEquals(200, r.status());
                assertTrue(r.text().contains("\"url\":\"/k" + i + "\""), r.text());
            }
        }
    }

    @Test
    void aMicroThatIsNotFoundInTheRouteTableIsThePrimary() throws Exception {
        Response r = Http.get(app.port(), "/");
        assertEquals(200, r.status());
        assertTrue(r.text().contains("root page"));
        assertFalse(app.logged("internal error"));
    }
}
