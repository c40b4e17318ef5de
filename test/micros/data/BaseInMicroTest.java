package micros.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.data.base.BaseService;
import micros.support.Apps;
import micros.support.Http;
import micros.util.Json;

/**
 * Deta Base reached the way apps reach it: the official python and Node SDKs inside sandboxed
 * micros, through DETA_BASE_HOST and micros' CA over TLS; and Base in the browser path, as the
 * owner. (Base's own operations are tested in micros.data.base; here the wiring is.)
 */
class BaseInMicroTest {
    @TempDir
    Path dir;

    static void requireBase(Path probe) {
        try {
            new BaseService(probe, "p", "p_k").importItems("x", List.of(), false);
        } catch (IOException e) {
            Assumptions.assumeFalse(String.valueOf(e.getMessage()).contains("not in this branch"), "Deta Base is a stand-in in this branch: " + e.getMessage());
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void thePythonSdkInAMicroAndTheBrowserPath() throws Exception {
        requireBase(dir.resolve("probe"));
        Apps.require("python3");
        Path appDir = Apps.copy("data", dir);
        DataClient.copySdk(appDir.resolve("py"));
        try (Apps.Running app = Apps.start(appDir, Apps.Options.defaults().isPublic(false))) {
            Map<String, Object> r = Json.object(DataClient.run(app.port(), """
                    from deta import Deta
                    b = Deta().Base("people")
                    r = {}
                    r["put"] = b.put({"name": "Ada", "age": 36}, "ada")
                    b.put_many([{"key": "bob", "name": "Bob", "age": 12}, {"key": "cy", "name": "Cy", "age": 50}])
                    r["get"] = b.get("ada")
                    r["fetch"] = b.fetch({"age?gt": 20}).items
                    b.update({"age": b.util.increment(1)}, "ada")
                    r["after"] = b.get("ada")["age"]
                    b.delete("cy")
                    r["missing"] = b.get("cy")
                    result = r
                    """));
            assertEquals(Map.of("key", "ada", "name", "Ada", "age", 36L), r.get("put"));
            assertEquals(Map.of("key", "ada", "name", "Ada", "age", 36L), r.get("get"));
            assertEquals(List.of("ada", "cy"), ((List<Map<String, Object>>) r.get("fetch")).stream().map(m -> m.get("key")).toList());
            assertEquals(37L, r.get("after"));
            assertEquals(null, r.get("missing"));
            // the browser SDK's path, as the owner, and refused to anyone else
            String get = "GET /__space/v0/base/v1/dummy/people/items/ada HTTP/1.1\r\nHost: localhost\r\nX-API-Key: dummy\r\n";
            assertEquals(401, Http.send(app.port(), get + "Connection: close\r\n\r\n", null).status());
            Http.Response owner = Http.send(app.port(), get + DataClient.OWNER + "Connection: close\r\n\r\n", null);
            assertEquals(200, owner.status(), owner.text());
            assertEquals("Ada", Json.object(owner.text()).get("name"));
        }
    }

    @Test
    void theNodeSdkInAMicro() throws Exception {
        requireBase(dir.resolve("probe"));
        Apps.require("node", "npm");
        Path appDir = Apps.copy("datanode", dir); // its build installs deta@2.0.0 from the registry
        try (Apps.Running app = Apps.start(appDir, Apps.Options.defaults().isPublic(false))) {
            String failed = app.emulator.runtime().buildFailures().get("js");
            Assumptions.assumeTrue(failed == null, "npm could not install deta@2.0.0 (offline?): " + failed);
            byte[] body = """
                    const b = Deta().Base('notes');
                    const put = await b.put({ text: 'hello' }, 'n1');
                    await b.insert({ text: 'second' }, 'n2');
                    let dup = null;
                    try { await b.insert({ text: 'again' }, 'n2'); } catch (e) { dup = String(e.message); }
                    const got = await b.get('n1');
                    const all = await b.fetch({ 'text?pfx': 'se' });
                    return { put, got, keys: all.items.map(i => i.key), dup: dup !== null };
                    """.getBytes(StandardCharsets.UTF_8);
            Http.Response r = Http.send(app.port(), "POST /run HTTP/1.1\r\nHost: localhost\r\n" + DataClient.OWNER + "Content-Length: " + body.length
                    + "\r\nConnection: close\r\n\r\n", body);
            assertEquals(200, r.status(), r.text());
            Map<String, Object> m = Json.object(r.text());
            assertEquals(Map.of("key", "n1", "text", "hello"), m.get("put"));
            assertEquals(Map.of("key", "n1", "text", "hello"), m.get("got"));
            assertEquals(List.of("n2"), m.get("keys"));
            assertEquals(true, m.get("dup"), "insert of an existing key fails (409)");
        }
    }
}
