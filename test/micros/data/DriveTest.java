package micros.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.util.Json;

/**
 * Deta Drive through the official python SDK, run inside a sandboxed micro (so the data host
 * variables and the CA bundle are what is tested), plus raw HTTPS for errors and edge cases.
 */
class DriveTest {
    @TempDir
    static Path dir;
    static Path appDir;
    static Apps.Running app;
    static SSLContext trustMicros;
    static String key, pid;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("python3");
        appDir = Apps.copy("data", dir);
        DataClient.copySdk(appDir.resolve("py"));
        app = Apps.start(appDir, Apps.Options.defaults().isPublic(false));
        trustMicros = DataClient.trusting(app.emulator.data().ca().caCert());
        key = app.emulator.data().projectKey();
        pid = DataServer.projectId(key);
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static int dataPort() {
        String hp = app.emulator.data().hostPort();
        return Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
    }

    private static Http.Response drive(String method, String target, String headers, byte[] body) throws Exception {
        String length = body == null ? "" : "Content-Length: " + body.length + "\r\n";
        return DataClient.https(trustMicros, dataPort(), method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n" + headers + length + "Connection: close\r\n\r\n", body);
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyDriveOperationThroughThePythonSdk() throws Exception {
        String out = DataClient.run(app.port(), """
                import os, hashlib
                from deta import Deta
                d = Deta().Drive("photos")
                big = os.urandom(10 * 1024 * 1024 + 12345)  # two parts of a chunked upload
                r = {"env": {k: os.environ.get(k) for k in ["DETA_DRIVE_HOST", "DETA_BASE_HOST", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE"]}}
                r["put"] = [d.put("hello.txt", "hello drive", content_type="text/plain"), d.put("a/b/c.bin", b"\\x00\\x01\\x02"),
                            d.put("../../escape.txt", b"stays inside"), d.put("big.bin", big), d.put("ünï cödé.txt", "x")]
                r["get"] = d.get("hello.txt").read().decode()
                r["bin"] = list(d.get("a/b/c.bin").read())
                r["big"] = hashlib.sha256(d.get("big.bin").read()).hexdigest() == hashlib.sha256(big).hexdigest()
                r["escape"] = d.get("../../escape.txt").read().decode()
                r["missing"] = d.get("nope.txt") is None
                r["list"] = d.list()
                r["prefix"] = d.list(prefix="a/")
                p1 = d.list(limit=2)
                r["page1"], r["page2"] = p1, d.list(limit=2, last=p1["paging"]["last"])
                r["delete"] = d.delete("hello.txt")
                r["delete_many"] = d.delete_many(["a/b/c.bin", "never.txt"])
                r["after"] = d.list()["names"]
                result = r
                """);
        Map<String, Object> r = Json.object(out);
        Map<String, Object> env = (Map<String, Object>) r.get("env");
        assertEquals(app.emulator.data().hostPort(), env.get("DETA_DRIVE_HOST"));
        assertEquals(app.emulator.data().hostPort(), env.get("DETA_BASE_HOST"));
        Map<String, String> caEnv = DataServer.caEnv(app.emulator.runtime().runFolder().resolve("ca-bundle.pem"));
        for (String v : DataServer.CA_VARIABLES) assertEquals(caEnv.get(v), env.get(v), v);
        assertEquals(List.of("hello.txt", "a/b/c.bin", "../../escape.txt", "big.bin", "ünï cödé.txt"), r.get("put"));
        assertEquals("hello drive", r.get("get"));
        assertEquals(List.of(0L, 1L, 2L), r.get("bin"));
        assertEquals(true, r.get("big"), "a two-part upload comes back byte for byte");
        assertEquals("stays inside", r.get("escape"));
        assertEquals(true, r.get("missing"));
        List<String> all = List.of("../../escape.txt", "a/b/c.bin", "big.bin", "hello.txt", "ünï cödé.txt");
        assertEquals(Map.of("names", all), r.get("list"), "a list on one page has no paging");
        assertEquals(List.of("a/b/c.bin"), ((Map<String, Object>) r.get("prefix")).get("names"));
        assertEquals(Map.of("paging", Map.of("size", 2L, "last", "a/b/c.bin"), "names", all.subList(0, 2)), r.get("page1"));
        assertEquals(all.subList(2, 4), ((Map<String, Object>) r.get("page2")).get("names"));
        assertEquals("hello.txt", r.get("delete"));
        assertEquals(Map.of("deleted", List.of("a/b/c.bin", "never.txt")), r.get("delete_many"), "names that did not exist count as deleted");
        assertEquals(List.of("../../escape.txt", "big.bin", "ünï cödé.txt"), r.get("after"));
        // every byte stayed under .micros/data/drives, under encoded names; no upload left behind
        Path data = appDir.resolve(".micros").resolve("data");
        for (String f : DataClient.files(appDir)) assertFalse(f.endsWith("escape.txt") && !f.startsWith(".micros/data/drives/photos/files/"), f);
        assertTrue(Files.isRegularFile(data.resolve("drives/photos/files/%2E.%2F..%2Fescape.txt")));
        assertFalse(Files.exists(data.resolve("drives/photos/uploads")) && DataClient.files(data.resolve("drives/photos/uploads")).size() > 0);
        // the content type given at upload is served back
        Http.Response typed = drive("GET", "/v1/" + pid + "/photos/files/download?name=%C3%BCn%C3%AF+c%C3%B6d%C3%A9.txt", "X-API-Key: " + key + "\r\n", null);
        assertEquals(200, typed.status());
        assertEquals("x", typed.text());
        assertEquals("bytes", typed.header("accept-ranges"));
    }

    @Test
    void rawErrorsAsDetaAnsweredThem() throws Exception {
        String k = "X-API-Key: " + key + "\r\n";
        Http.Response noKey = drive("GET", "/v1/" + pid + "/rawdrive/files", "", null);
        assertEquals(401, noKey.status());
        assertTrue(noKey.text().contains("\"errors\""), noKey.text());
        assertEquals(401, drive("GET", "/v1/otherpid/rawdrive/files", k, null).status(), "the project id must be the key's");
        assertEquals(401, drive("GET", "/v1/" + pid + "/rawdrive/files", "X-API-Key: " + pid + "_wrong\r\n", null).status());
        assertEquals(400, drive("POST", "/v1/" + pid + "/rawdrive/files?name=", k, new byte[1]).status(), "a name is required");
        assertEquals(400, drive("POST", "/v1/" + pid + "/rawdrive/files?name=dir/", k, new byte[1]).status(), "no name ends with a slash");
        assertEquals(400, drive("GET", "/v1/" + pid + "/rawdrive/files?limit=0", k, null).status());
        assertEquals(404, drive("GET", "/v1/" + pid + "/rawdrive/files/download?name=absent", k, null).status());
        assertEquals(404, drive("POST", "/v1/" + pid + "/rawdrive/uploads/aaaaaaaaaaaaaaaaaaaaaaaa/parts?name=x&part=1", k, new byte[1]).status());
        assertEquals(404, drive("PATCH", "/v1/" + pid + "/rawdrive/uploads/..%2F..%2Fetc?name=x", k, null).status(), "upload ids are never paths");
        assertEquals(405, drive("PUT", "/v1/" + pid + "/rawdrive/files", k, null).status());
        // over 10 MB in one request: 413 before the body is read
        Http.Response big = DataClient.https(trustMicros, dataPort(), "POST /v1/" + pid + "/rawdrive/files?name=big HTTP/1.1\r\nHost: localhost\r\n" + k
                + "Content-Length: " + (11 << 20) + "\r\n\r\n", new byte[0]);
        assertEquals(413, big.status());
        // direct put, then download of the same bytes with the type from the name
        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        Http.Response put = drive("POST", "/v1/" + pid + "/rawdrive/files?name=raw%2Fpic.png", k, png);
        assertEquals(201, put.status(), put.text());
        assertEquals(Map.of("name", "raw/pic.png", "project_id", pid, "drive_name", "rawdrive"), Json.parse(put.text()));
        Http.Response got = drive("GET", "/v1/" + pid + "/rawdrive/files/download?name=raw/pic.png", k, null);
        assertEquals("image/png", got.header("content-type"));
        assertTrue(java.util.Arrays.equals(png, got.body()));
        // a chunked upload that is aborted leaves nothing
        Http.Response init = drive("POST", "/v1/" + pid + "/rawdrive/uploads?name=gone.txt", k, null);
        assertEquals(202, init.status());
        String id = (String) Json.object(init.text()).get("upload_id");
        assertEquals(200, drive("POST", "/v1/" + pid + "/rawdrive/uploads/" + id + "/parts?name=gone.txt&part=1", k, "abc".getBytes(StandardCharsets.UTF_8)).status());
        assertEquals(404, drive("PATCH", "/v1/" + pid + "/rawdrive/uploads/" + id + "?name=other.txt", k, null).status(), "the name must be the upload's");
        assertEquals(200, drive("DELETE", "/v1/" + pid + "/rawdrive/uploads/" + id + "?name=gone.txt", k, null).status());
        assertEquals(404, drive("PATCH", "/v1/" + pid + "/rawdrive/uploads/" + id + "?name=gone.txt", k, null).status());
        assertEquals(404, drive("GET", "/v1/" + pid + "/rawdrive/files/download?name=gone.txt", k, null).status());
    }

    private static Object names(String drive, String query) throws Exception {
        Http.Response r = drive("GET", "/v1/" + pid + "/" + drive + "/files?" + query, "X-API-Key: " + key + "\r\n", null);
        assertEquals(200, r.status(), query + ": " + r.text());
        return Json.parse(r.text());
    }

    @Test
    void listPagesOnlyWhenMoreFollowAndListsOneFolderLevelWhenNotRecursive() throws Exception {
        String k = "X-API-Key: " + key + "\r\n";
        for (String n : List.of("ls-a", "ls-b", "ls/a", "ls/b", "ls/sub/a", "ls/sub/b", "ls/sub/deeper/c", "ls/t/a", "lt"))
            assertEquals(201, drive("POST", "/v1/" + pid + "/tree/files?name=" + n, k, n.getBytes(StandardCharsets.UTF_8)).status());
        List<String> all = List.of("ls-a", "ls-b", "ls/a", "ls/b", "ls/sub/a", "ls/sub/b", "ls/sub/deeper/c", "ls/t/a", "lt");
        assertEquals(Map.of("names", all), names("tree", ""));
        assertEquals(Map.of("names", all), names("tree", "limit=9"), "exactly the limit: no next page");
        assertEquals(Map.of("paging", Map.of("size", 8L, "last", "ls/t/a"), "names", all.subList(0, 8)), names("tree", "limit=8"));
        assertEquals(Map.of("names", List.of("lt")), names("tree", "limit=8&last=ls/t/a"));
        assertEquals(Map.of("names", all), names("tree", "recursive=true"));
        // not recursive: the prefix's own files, each folder under it once with its slash
        assertEquals(Map.of("names", List.of("ls/a", "ls/b", "ls/sub/", "ls/t/")), names("tree", "prefix=ls/&recursive=false"));
        assertEquals(Map.of("names", List.of("ls-a", "ls-b", "ls/", "lt")), names("tree", "prefix=l&recursive=false"));
        assertEquals(Map.of("names", List.of("ls-a", "ls-b", "ls/", "lt")), names("tree", "recursive=false"));
        assertEquals(Map.of("names", List.of("ls/sub/a", "ls/sub/b", "ls/sub/deeper/")), names("tree", "prefix=ls/sub/&recursive=false"));
        assertEquals(Map.of("names", List.of()), names("tree", "prefix=/ls&recursive=false"));
        // pages of it: a folder is one name, and a page after it starts past all its files
        assertEquals(Map.of("paging", Map.of("size", 3L, "last", "ls/sub/"), "names", List.of("ls/a", "ls/b", "ls/sub/")),
                names("tree", "prefix=ls/&recursive=false&limit=3"));
        assertEquals(Map.of("names", List.of("ls/t/")), names("tree", "prefix=ls/&recursive=false&limit=3&last=ls/sub/"));
        assertEquals(Map.of("names", List.of("ls/sub/", "ls/t/")), names("tree", "prefix=ls/&recursive=false&last=ls/b"));
    }

    @Test
    void deleteManyWithoutAnyNameIsRefused() throws Exception {
        String k = "X-API-Key: " + key + "\r\n";
        assertEquals(201, drive("POST", "/v1/" + pid + "/dm/files?name=keep.txt", k, new byte[] {1}).status());
        for (String names : List.of("[]", "[\"\"]", "[\"   \"]", "[\"\", \" \", \"\\t\"]", "[null]")) {
            Http.Response r = drive("DELETE", "/v1/" + pid + "/dm/files", k, ("{\"names\":" + names + "}").getBytes(StandardCharsets.UTF_8));
            assertEquals(400, r.status(), names + ": " + r.text());
            assertEquals(Map.of("errors", List.of("Names can't be empty")), Json.parse(r.text()), names);
        }
        // blank names beside real ones: those are deleted, the blank ones fail
        Http.Response mixed = drive("DELETE", "/v1/" + pid + "/dm/files", k, "{\"names\":[\"keep.txt\",\"never\",\"\",\"  \"]}".getBytes(StandardCharsets.UTF_8));
        assertEquals(200, mixed.status(), mixed.text());
        assertEquals(Json.parse("{\"deleted\":[\"keep.txt\",\"never\"],\"failed\":{\"\":\"invalid name\",\"  \":\"invalid name\"}}"), Json.parse(mixed.text()));
        assertEquals(404, drive("GET", "/v1/" + pid + "/dm/files/download?name=keep.txt", k, null).status());
    }

    @Test
    void chunkedUploadPartsBeforeTheLastAreAtLeast5Mb() throws Exception {
        String k = "X-API-Key: " + key + "\r\n", up = "/v1/" + pid + "/chunks/uploads";
        String id = (String) Json.object(drive("POST", up + "?name=f.bin", k, null).text()).get("upload_id");
        byte[] small = "small".getBytes(StandardCharsets.UTF_8), five = new byte[5 << 20];
        five[0] = 5;
        assertEquals(200, drive("POST", up + "/" + id + "/parts?name=f.bin&part=1", k, small).status());
        assertEquals(200, drive("POST", up + "/" + id + "/parts?name=f.bin&part=2", k, small).status());
        Http.Response refused = drive("PATCH", up + "/" + id + "?name=f.bin", k, null);
        assertEquals(400, refused.status(), refused.text());
        assertTrue(refused.text().contains("Part 1 is under 5 MB"), refused.text());
        assertEquals(404, drive("GET", "/v1/" + pid + "/chunks/files/download?name=f.bin", k, null).status(), "nothing stored");
        // the upload stays: part 1 sent again at 5 MB, then it completes (the last part may be small)
        assertEquals(200, drive("POST", up + "/" + id + "/parts?name=f.bin&part=1", k, five).status());
        assertEquals(200, drive("PATCH", up + "/" + id + "?name=f.bin", k, null).status());
        Http.Response got = drive("GET", "/v1/" + pid + "/chunks/files/download?name=f.bin", k, null);
        assertEquals((5 << 20) + small.length, got.body().length);
        assertEquals(5, got.body()[0]);
        // one small part alone is the last part
        String one = (String) Json.object(drive("POST", up + "?name=g.bin", k, null).text()).get("upload_id");
        assertEquals(200, drive("POST", up + "/" + one + "/parts?name=g.bin&part=1", k, small).status());
        assertEquals(200, drive("PATCH", up + "/" + one + "?name=g.bin", k, null).status());
    }

    @Test
    void aDownloadHonoursOneByteRange() throws Exception {
        String k = "X-API-Key: " + key + "\r\n", get = "/v1/" + pid + "/ranges/files/download?name=r.txt";
        assertEquals(201, drive("POST", "/v1/" + pid + "/ranges/files?name=r.txt", k, "0123456789".getBytes(StandardCharsets.UTF_8)).status());
        String[][] cases = {
                {"bytes=2-5", "2345", "bytes 2-5/10"}, {"bytes=7-", "789", "bytes 7-9/10"}, {"bytes=-3", "789", "bytes 7-9/10"},
                {"bytes=8-100", "89", "bytes 8-9/10"}, {"bytes=-50", "0123456789", "bytes 0-9/10"}, {"bytes=0-0", "0", "bytes 0-0/10"},
                {"BYTES=9-99999999999999999999999", "9", "bytes 9-9/10"}};
        for (String[] c : cases) {
            Http.Response r = drive("GET", get, k + "Range: " + c[0] + "\r\n", null);
            assertEquals(206, r.status(), c[0]);
            assertEquals(c[1], r.text(), c[0]);
            assertEquals(c[2], r.header("content-range"), c[0]);
            assertEquals(String.valueOf(c[1].length()), r.header("content-length"), c[0]);
            assertEquals("nosniff", r.header("x-content-type-options"), "a part is as inert as the whole");
        }
        for (String unsatisfiable : List.of("bytes=10-", "bytes=10-20", "bytes=-0")) {
            Http.Response r = drive("GET", get, k + "Range: " + unsatisfiable + "\r\n", null);
            assertEquals(416, r.status(), unsatisfiable);
            assertEquals("bytes */10", r.header("content-range"), unsatisfiable);
        }
        // several ranges, other units, nonsense, or an If-Range we cannot match: the whole file
        for (String whole : List.of("bytes=0-1,4-5", "items=0-1", "bytes=5-2", "bytes=x-", "bytes=1", "bytes = 0-1")) {
            Http.Response r = drive("GET", get, k + "Range: " + whole + "\r\n", null);
            assertEquals(200, r.status(), whole);
            assertEquals("0123456789", r.text(), whole);
        }
        Http.Response ifRange = drive("GET", get, k + "Range: bytes=0-1\r\nIf-Range: \"some-etag\"\r\n", null);
        assertEquals(200, ifRange.status());
        assertEquals("0123456789", ifRange.text());
        Http.Response head = drive("HEAD", get, k + "Range: bytes=1-2\r\n", null);
        assertEquals(206, head.status());
        assertEquals("2", head.header("content-length"));
    }

    @Test
    void theGatewayPortSpeaksHttpsAndPlainHttpWithTheSameCertificate() throws Exception {
        Path bundle = app.emulator.runtime().runFolder().resolve("ca-bundle.pem");
        String code = "import urllib.request,sys\ntry:\n print(urllib.request.urlopen('https://localhost:" + app.port()
                + "/__micros/api/state').status)\nexcept Exception as e:\n print(getattr(e, 'code', None) or repr(e))\n";
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/python3", "-c", code).redirectErrorStream(true);
        pb.environment().put("SSL_CERT_FILE", bundle.toString());
        Process p = pb.start();
        String trusted = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor();
        assertEquals("401", trusted, "default verification passes with micros' bundle; the owner-only path then says 401");
        pb.environment().remove("SSL_CERT_FILE");
        pb.environment().put("SSL_CERT_DIR", dir.toString()); // no CA that knows micros'
        pb.environment().put("SSL_CERT_FILE", dir.resolve("none.pem").toString());
        Process q = pb.start();
        String untrusted = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        q.waitFor();
        assertTrue(untrusted.contains("CERTIFICATE_VERIFY_FAILED"), "without the CA the certificate is refused: " + untrusted);
        assertEquals(401, Http.get(app.port(), "/__micros/api/state").status(), "plain HTTP on the same port");
        Http.Response owner = DataClient.https(trustMicros, app.port(), "GET /__micros/api/state HTTP/1.1\r\nHost: localhost\r\n" + DataClient.OWNER + "Connection: close\r\n\r\n", null);
        assertEquals(200, owner.status());
    }

    @Test
    void aMicroCallsTheAppOverHttpsAsSpacesCrossMicroExampleDid() throws Exception {
        String out = DataClient.run(app.port(), """
                import os, urllib.request
                req = urllib.request.Request("https://" + os.environ["DETA_SPACE_APP_HOSTNAME"] + "/run", data=b"result = 'inner'",
                                             headers={"X-API-Key": os.environ["DETA_API_KEY"]})
                result = urllib.request.urlopen(req).read().decode()  # default verification, micros' CA bundle
                """);
        assertEquals("\"\\\"inner\\\"\"", out);
    }

    @Test
    void theBrowserPathIsForTheOwnerAndNeverForwarded() throws Exception {
        String k = "X-API-Key: " + key + "\r\n";
        assertEquals(201, drive("POST", "/v1/" + pid + "/web/files?name=page.txt", k, "from the browser path".getBytes(StandardCharsets.UTF_8)).status());
        String list = "GET /__space/v0/drive/v1/dummy/web/files HTTP/1.1\r\nHost: localhost\r\nX-API-Key: dummy\r\n";
        Http.Response anonymous = Http.send(app.port(), list + "Connection: close\r\n\r\n", null);
        assertEquals(401, anonymous.status());
        Http.Response owner = Http.send(app.port(), list + DataClient.OWNER + "Connection: close\r\n\r\n", null);
        assertEquals(200, owner.status(), owner.text());
        assertEquals(List.of("page.txt"), Json.object(owner.text()).get("names"));
        Http.Response get = DataClient.https(trustMicros, app.port(), "GET /__space/v0/drive/web/files/download?name=page.txt HTTP/1.1\r\nHost: localhost\r\n"
                + DataClient.OWNER + "Connection: close\r\n\r\n", null);
        assertEquals("from the browser path", get.text(), "the short form, over HTTPS");
        assertNotEquals(200, Http.send(app.port(), "GET /__space/v0/base/v1/dummy/b/items/x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", null).status());
    }
}
