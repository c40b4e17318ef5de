package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;

/** The gateway's file server for static micros: types, folders, caching, and every traversal trick. */
class StaticFilesTest {
    @TempDir
    static Path dir;
    static Apps.Running app;
    static Path secret;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node");
        Path root = Apps.copy("routing", dir);
        secret = dir.resolve("secret.txt");
        Files.writeString(secret, "TOP SECRET outside the served folder");
        Files.createSymbolicLink(root.resolve("public/leak.txt"), secret);
        Files.createSymbolicLink(root.resolve("public/leakdir"), dir);
        Files.writeString(root.resolve("public/docs/inside.txt"), "inside");
        Files.createSymbolicLink(root.resolve("public/alias.txt"), root.resolve("public/docs/inside.txt"));
        app = Apps.start(root, Apps.Options.defaults());
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    @Test
    void servesFilesWithTheirTypes() throws Exception {
        Response css = Http.get(app.port(), "/site.css");
        assertEquals(200, css.status());
        assertEquals("text/css; charset=utf-8", css.header("content-type"));
        assertEquals("body { color: red; }\n", css.text());
        assertEquals("application/json", Http.get(app.port(), "/data.json").header("content-type"));
        assertEquals("plain text\n", Http.get(app.port(), "/with%20space.txt").text());
        assertEquals("inside", Http.get(app.port(), "/alias.txt").text()); // a symlink that stays inside is fine
    }

    @Test
    void foldersServeTheirIndexAndGetASlash() throws Exception {
        assertTrue(Http.get(app.port(), "/").text().contains("root page"));
        Response redirect = Http.get(app.port(), "/docs?x=1");
        assertEquals(301, redirect.status());
        assertEquals("/docs/?x=1", redirect.header("location"));
        Response docs = Http.get(app.port(), "/docs/");
        assertEquals(200, docs.status());
        assertTrue(docs.text().contains("docs page"));
        assertEquals("text/html; charset=utf-8", docs.header("content-type"));
    }

    @Test
    void etagAndLastModifiedGive304() throws Exception {
        Response first = Http.get(app.port(), "/site.css");
        String etag = first.header("etag"), modified = first.header("last-modified");
        assertTrue(etag != null && modified != null);
        Response byTag = Http.send(app.port(), "GET /site.css HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + etag + "\r\nConnection: close\r\n\r\n", null);
        assertEquals(304, byTag.status());
        assertEquals(0, byTag.body().length);
        Response byDate = Http.send(app.port(), "GET /site.css HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: " + modified + "\r\nConnection: close\r\n\r\n", null);
        assertEquals(304, byDate.status());
        Response stale = Http.send(app.port(), "GET /site.css HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"other\"\r\nConnection: close\r\n\r\n", null);
        assertEquals(200, stale.status());
    }

    @Test
    void headAndMethods() throws Exception {
        Response head = Http.send(app.port(), "HEAD /site.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null);
        assertEquals(200, head.status());
        assertEquals("21", head.header("content-length"));
        Response post = Http.send(app.port(), "POST /site.css HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", null);
        assertEquals(405, post.status());
        assertEquals("GET, HEAD", post.header("allow"));
    }

    /** Each attempt to read outside the folder ends in 400 (refused path) or 404, never the secret. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "/../secret.txt | 400",
            "/docs/../../secret.txt | 400",
            "/%2e%2e/secret.txt | 400",
            "/%2E%2E/%2e%2e/secret.txt | 400",
            "/docs/%2e%2e/%2e%2e/secret.txt | 400",
            "/..%2fsecret.txt | 404",
            "/..%2Fsecret.txt | 404",
            "/docs/..%2f..%2fsecret.txt | 404",
            "/%5c..%5csecret.txt | 404",
            "/..%5csecret.txt | 404",
            "/%c0%ae%c0%ae/secret.txt | 404",
            "/%c0%ae%c0%ae%c0%afsecret.txt | 404",
            "/%e0%80%ae%e0%80%ae/secret.txt | 404",
            "/secret.txt%00.css | 400",
            "/%00 | 400",
            "/leak.txt | 404",
            "/leakdir/secret.txt | 404",
            "//secret.txt | 404",
            "/docs//..//..//secret.txt | 400",
            "/.%2e/secret.txt | 400",
            "/%2e./secret.txt | 400",
    })
    void traversalAttemptsNeverLeaveTheFolder(String path, int status) throws Exception {
        Response r = Http.get(app.port(), path);
        assertEquals(status, r.status(), path);
        assertFalse(r.text().contains("TOP SECRET"), path);
    }

    @Test
    void veryLongPathsAreJustNotFound() throws Exception {
        Response r = Http.get(app.port(), "/" + "a/".repeat(2000) + "x.txt");
        assertEquals(404, r.status());
    }
}
