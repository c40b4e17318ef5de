package micros.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;
import micros.util.Json;

/**
 * Deta Drive through the official Node SDK (deta 2.0.0, installed with npm into the fixture's
 * micro; skipped when npm cannot fetch it), in a sandboxed micro: DETA_DRIVE_HOST and
 * NODE_EXTRA_CA_CERTS are what make it reach micros over HTTPS.
 */
class NodeSdkTest {
    @TempDir
    static Path dir;
    static Apps.Running app;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node", "npm");
        Path appDir = Apps.copy("datanode", dir); // its build installs deta@2.0.0 from the registry
        app = Apps.start(appDir, Apps.Options.defaults().isPublic(false));
        String failed = app.emulator.runtime().buildFailures().get("js");
        Assumptions.assumeTrue(failed == null, "npm could not install deta@2.0.0 (offline?): " + failed);
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static String run(String js) throws Exception {
        byte[] body = js.getBytes(StandardCharsets.UTF_8);
        Http.Response r = Http.send(app.port(), "POST /run HTTP/1.1\r\nHost: localhost\r\n" + DataClient.OWNER + "Content-Length: " + body.length
                + "\r\nConnection: close\r\n\r\n", body);
        if (r.status() != 200) throw new AssertionError("the micro failed (" + r.status() + "):\n" + r.text());
        return r.text();
    }

    @Test
    void everyDriveOperationThroughTheNodeSdk() throws Exception {
        Map<String, Object> r = Json.object(run("""
                const d = Deta().Drive('photos');
                const r = {};
                r.put = [await d.put('hello.txt', { data: 'hello node', contentType: 'text/plain' }),
                         await d.put('a/b.bin', { data: Buffer.from([0, 1, 2]) }),
                         await d.put('big.bin', { data: Buffer.alloc(10 * 1024 * 1024 + 7, 7) })];
                r.get = await (await d.get('hello.txt')).text();
                r.bin = Array.from(Buffer.from(await (await d.get('a/b.bin')).arrayBuffer()));
                r.big = (await (await d.get('big.bin')).arrayBuffer()).byteLength;
                r.missing = await d.get('nope.txt');
                r.list = await d.list();
                r.prefix = (await d.list({ prefix: 'a/' })).names;
                r.page = await d.list({ limit: 1 });
                r.del = await d.delete('hello.txt');
                r.many = await d.deleteMany(['a/b.bin', 'never']);
                r.after = (await d.list()).names;
                r.env = [process.env.DETA_DRIVE_HOST, process.env.NODE_EXTRA_CA_CERTS];
                return r;
                """));
        assertEquals(List.of("hello.txt", "a/b.bin", "big.bin"), r.get("put"));
        assertEquals("hello node", r.get("get"));
        assertEquals(List.of(0L, 1L, 2L), r.get("bin"));
        assertEquals(10L * 1024 * 1024 + 7, r.get("big"), "a two-part upload");
        assertEquals(null, r.get("missing"));
        assertEquals(Map.of("names", List.of("a/b.bin", "big.bin", "hello.txt")), r.get("list"), "one page: no paging");
        assertEquals(List.of("a/b.bin"), r.get("prefix"));
        assertEquals(Map.of("paging", Map.of("size", 1L, "last", "a/b.bin"), "names", List.of("a/b.bin")), r.get("page"));
        assertEquals("hello.txt", r.get("del"));
        assertEquals(Map.of("deleted", List.of("a/b.bin", "never")), r.get("many"));
        assertEquals(List.of("big.bin"), r.get("after"));
        assertEquals(List.of(app.emulator.data().hostPort(), app.emulator.runtime().runFolder().resolve("micros-ca.pem").toString()), r.get("env"));
    }
}
