package micros.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import micros.support.Apps;
import micros.support.Http;
import micros.util.Json;

/**
 * The owner's Base and Drive in the browser (/__space/v0/base, /__space/v0/drive) and the data
 * view (/__micros/data) against another site's page and anonymous callers, over raw HTTP: the
 * headers a browser sends, what micros answers, and that nothing changed. The same attack in a
 * real browser is {@link CrossSiteBrowserTest}.
 */
class BrowserDataSecurityTest {
    @TempDir
    static Path dir;
    static Apps.Running app;
    static DataServer data;
    static final String BASE = "/__space/v0/base/notes", DRIVE = "/__space/v0/drive/files";

    @BeforeAll
    static void start() throws Exception {
        app = Apps.start(Apps.copy("data", dir.resolve("private")), Apps.Options.defaults().isPublic(false));
        data = app.emulator.data();
        data.base().importItems("notes", List.of(Json.parse("{\"key\":\"seed\",\"text\":\"the owner's note\"}")), true);
        assertEquals(201, send(app, "POST", DRIVE + "/files?name=seed.txt", DataClient.OWNER, "the owner's file").status());
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static Http.Response send(Apps.Running a, String method, String target, String headers, String body) throws Exception {
        byte[] b = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        return Http.send(a.port(), method + " " + target + " HTTP/1.1\r\nHost: localhost:" + a.port() + "\r\n" + headers
                + (b == null ? "" : "Content-Length: " + b.length + "\r\n") + "Connection: close\r\n\r\n", b);
    }

    private static void noCors(Http.Response r) {
        for (String h : r.headers().keySet()) assertFalse(h.startsWith("access-control-"), "no CORS header ever: " + h);
    }

    /** What a page on another port of localhost sends with the owner's cookie: every way a browser says so. */
    @ParameterizedTest
    @ValueSource(strings = {"Sec-Fetch-Site: same-site\r\n", "Sec-Fetch-Site: cross-site\r\n", "Origin: http://localhost:1\r\n", "Origin: null\r\n",
            "Sec-Fetch-Site: same-site\r\nOrigin: http://localhost:1\r\n"})
    void anotherSitesPageGetsNothingInNorOut(String crossSite) throws Exception {
        String h = DataClient.OWNER + crossSite;
        List<String[]> tries = List.of(
                new String[] {"POST", BASE + "/items", "{\"item\":{\"key\":\"pwned\"}}"},
                new String[] {"PUT", BASE + "/items", "{\"items\":[{\"key\":\"pwned\"}]}"},
                new String[] {"PATCH", BASE + "/items/seed", "{\"set\":{\"text\":\"pwned\"}}"},
                new String[] {"DELETE", BASE + "/items/seed", null},
                new String[] {"POST", BASE + "/query", "{}"}, // a read, but by POST
                new String[] {"GET", BASE + "/items/seed", null},
                new String[] {"GET", "/__space/v0/base/v1/dummy/notes/items/seed", null},
                new String[] {"OPTIONS", BASE + "/items", null},
                new String[] {"POST", DRIVE + "/files?name=x.html", "<script>alert(1)</script>"},
                new String[] {"POST", DRIVE + "/uploads?name=x.html", null},
                new String[] {"DELETE", DRIVE + "/files", "{\"names\":[\"seed.txt\"]}"},
                new String[] {"GET", DRIVE + "/files", null},
                new String[] {"GET", DRIVE + "/files/download?name=seed.txt", null},
                new String[] {"GET", "/__micros/data", null},
                new String[] {"GET", "/__micros/data/download?drive=files&name=seed.txt", null});
        for (String[] t : tries) {
            Http.Response r = send(app, t[0], t[1], h + (t[0].equals("OPTIONS") ? "Access-Control-Request-Method: PUT\r\n" : ""), t[2]);
            assertEquals(403, r.status(), t[0] + " " + t[1] + " from another site: " + r.text());
            assertFalse(r.text().contains("the owner's"), t[1]);
            noCors(r);
        }
        assertEquals(List.of("seed"), data.base().items("notes").stream().map(i -> ((Map<?, ?>) i).get("key")).toList(), "no item was added or removed");
        assertEquals("the owner's note", ((Map<?, ?>) data.base().items("notes").get(0)).get("text"));
        assertEquals(List.of("seed.txt"), data.drive().store().names("files"), "no file was added or removed");
    }

    @Test
    void theAppsOwnPagesAndProgramsStillGetIn() throws Exception {
        String sameOrigin = DataClient.OWNER + "Sec-Fetch-Site: same-origin\r\nOrigin: http://localhost:" + app.port() + "\r\n";
        Http.Response put = send(app, "POST", BASE + "/items", sameOrigin, "{\"item\":{\"key\":\"page\"}}");
        assertEquals(201, put.status(), put.text());
        assertEquals(200, send(app, "GET", BASE + "/items/page", DataClient.OWNER + "Sec-Fetch-Site: same-origin\r\n", null).status());
        Http.Response query = send(app, "POST", BASE + "/query", sameOrigin, "{\"query\":[{\"key\":\"page\"}]}");
        assertEquals(200, query.status(), query.text());
        noCors(query);
        assertEquals(201, send(app, "POST", DRIVE + "/files?name=page.txt", sameOrigin, "from the app's page").status());
        Http.Response typed = send(app, "GET", DRIVE + "/files/download?name=page.txt", DataClient.OWNER + "Sec-Fetch-Site: none\r\n", null);
        assertEquals("from the app's page", typed.text(), "a URL the owner typed");
        assertEquals(201, send(app, "POST", BASE + "/items", DataClient.OWNER, "{\"item\":{\"key\":\"curl\"}}").status(), "a program sends neither header");
        assertEquals(200, send(app, "GET", "/__micros/data", DataClient.OWNER + "Sec-Fetch-Site: same-origin\r\n", null).status());
        data.base().importItems("notes", List.of(Json.parse("{\"key\":\"seed\",\"text\":\"the owner's note\"}")), true);
        data.drive().store().delete("files", "page.txt");
    }

    /** Each way a Drive file reaches a browser, and the headers that keep it from running as a page of that origin. */
    @Test
    void storedFilesNeverBecomePagesOfTheApp() throws Exception {
        String html = "<script>fetch('/__micros/api/state')</script>";
        for (String[] f : List.of(new String[] {"x.html", ""}, new String[] {"y.svg", "Content-Type: image/svg+xml\r\n"},
                new String[] {"z.xml", "Content-Type: application/xhtml+xml\r\n"}, new String[] {"fake.png", "Content-Type: text/html; charset=utf-8\r\n"},
                new String[] {"pic.png", "Content-Type: image/png\r\n"}, new String[] {"note.txt", "Content-Type: text/plain; charset=utf-8\r\n"}))
            assertEquals(201, send(app, "POST", DRIVE + "/files?name=" + f[0], DataClient.OWNER + f[1], html).status(), f[0]);
        SSLContext trust = DataClient.trusting(data.ca().caCert());
        String hp = data.hostPort();
        int dataPort = Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
        String pid = DataServer.projectId(data.projectKey());
        try {
            for (String name : List.of("x.html", "y.svg", "z.xml", "fake.png", "pic.png", "note.txt")) {
                boolean inline = name.equals("pic.png") || name.equals("note.txt");
                String get = DRIVE + "/files/download?name=" + name;
                Map<String, Http.Response> ways = Map.of(
                        "gateway http", send(app, "GET", get, DataClient.OWNER, null),
                        "gateway https", DataClient.https(trust, app.port(), "GET " + get + " HTTP/1.1\r\nHost: localhost\r\n" + DataClient.OWNER + "Connection: close\r\n\r\n", null),
                        "data server https", DataClient.https(trust, dataPort, "GET /v1/" + pid + "/files/files/download?name=" + name + " HTTP/1.1\r\nHost: localhost\r\nX-API-Key: "
                                + data.projectKey() + "\r\nConnection: close\r\n\r\n", null),
                        "data view", send(app, "GET", "/__micros/data/download?drive=files&name=" + name, DataClient.OWNER, null),
                        "HEAD", send(app, "HEAD", get, DataClient.OWNER, null));
                for (var w : ways.entrySet()) {
                    Http.Response r = w.getValue();
                    String at = name + " by " + w.getKey();
                    assertEquals(200, r.status(), at);
                    if (!w.getKey().equals("HEAD")) assertEquals(html, r.text(), at + ": the bytes as stored (the SDKs' get)");
                    assertEquals("nosniff", r.header("x-content-type-options"), at);
                    assertEquals("sandbox", r.header("content-security-policy"), at);
                    String disposition = r.header("content-disposition");
                    if (inline && !w.getKey().equals("data view")) assertNull(disposition, at + " is shown, never run");
                    else assertEquals("attachment; filename*=UTF-8''" + name, disposition, at);
                    noCors(r);
                }
            }
        } finally {
            for (String name : List.of("x.html", "y.svg", "z.xml", "fake.png", "pic.png", "note.txt")) data.drive().store().delete("files", name);
        }
    }

    /** --public opens the app's routes; the owner's data, the data view, log lines and running actions stay the owner's. */
    @Test
    void withPublicTheDataStaysTheOwners() throws Exception {
        try (Apps.Running open = Apps.start(Apps.copy("data", dir.resolve("public")), Apps.Options.defaults().isPublic(true))) {
            DataServer d = open.emulator.data();
            d.base().importItems("notes", List.of(Json.parse("{\"key\":\"seed\",\"text\":\"the owner's note\"}")), true);
            assertEquals(201, send(open, "POST", DRIVE + "/files?name=seed.txt", DataClient.OWNER, "the owner's file").status());
            List<String[]> tries = List.of(
                    new String[] {"GET", BASE + "/items/seed", null},
                    new String[] {"POST", BASE + "/query", "{}"},
                    new String[] {"POST", BASE + "/items", "{\"item\":{\"key\":\"anyone\"}}"},
                    new String[] {"DELETE", BASE + "/items/seed", null},
                    new String[] {"GET", DRIVE + "/files", null},
                    new String[] {"GET", DRIVE + "/files/download?name=seed.txt", null},
                    new String[] {"POST", DRIVE + "/files?name=anyone.txt", "x"},
                    new String[] {"GET", "/__micros/data", null},
                    new String[] {"GET", "/__micros/data/", null},
                    new String[] {"GET", "/__micros/data/download?drive=files&name=seed.txt", null},
                    new String[] {"POST", "/__micros/actions/tick", null});
            for (String[] t : tries) {
                Http.Response r = send(open, t[0], t[1], "", t[2]);
                assertEquals(401, r.status(), t[0] + " " + t[1] + " by anyone under --public: " + r.text());
                assertFalse(r.text().contains("the owner's"), t[1]);
                assertTrue(r.text().contains("--owner-token"), "it says how the owner gets in: " + r.text());
            }
            assertEquals(List.of("seed"), d.base().items("notes").stream().map(i -> ((Map<?, ?>) i).get("key")).toList());
            assertEquals(List.of("seed.txt"), d.drive().store().names("files"));

            Http.Response state = send(open, "GET", "/__micros/api/state", "", null);
            assertEquals(200, state.status(), "the dashboard stays open with --public");
            assertFalse(state.text().contains("\"log\""), "but not the micros' log lines: " + state.text());
            Http.Response page = send(open, "GET", "/__micros/", "", null);
            assertEquals(200, page.status());
            assertTrue(page.text().contains("shown to the app's owner only"), page.text());
            assertTrue(send(open, "GET", "/__micros/api/state", DataClient.OWNER, null).text().contains("\"log\":["), "the owner sees them");
            assertEquals(200, send(open, "GET", BASE + "/items/seed", DataClient.OWNER, null).status(), "the owner gets in");
            assertEquals(200, send(open, "GET", "/__micros/data", DataClient.OWNER, null).status());
        }
    }
}
