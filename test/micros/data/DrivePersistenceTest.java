package micros.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.data.tls.LocalCa;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;

/** Drive files survive a restart, and a `kill -9` of micros the instant after the write was acknowledged. */
class DrivePersistenceTest {
    @TempDir
    Path dir;

    private static Http.Response call(SSLContext trust, Map<String, String> run, String key, String method, String target, byte[] body) throws Exception {
        String hp = run.get("data_host");
        int port = Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
        return DataClient.https(trust, port, method + " /v1/" + DataServer.projectId(key) + target + " HTTP/1.1\r\nHost: localhost\r\nX-API-Key: " + key
                + "\r\n" + (body == null ? "" : "Content-Length: " + body.length + "\r\n") + "Connection: close\r\n\r\n", body);
    }

    private static Map<String, String> runFile(Path app) throws Exception {
        var props = new java.util.Properties();
        try (var in = Files.newBufferedReader(app.resolve(".micros/run.properties"))) {
            props.load(in);
        }
        Map<String, String> m = new java.util.HashMap<>();
        props.forEach((k, v) -> m.put((String) k, (String) v));
        return m;
    }

    @Test
    void anAcknowledgedFileSurvivesKill9AndRestart() throws Exception {
        Path app = Apps.copy("data", dir);
        SSLContext trust = DataClient.trusting(LocalCa.load().caCert());
        String key;
        byte[] body = "written, then killed".getBytes(StandardCharsets.UTF_8);
        try (Jar.Proc p = Jar.start(app, Map.of(), "run", "--port", "0")) {
            p.await("Press Ctrl-C", 60);
            Map<String, String> run = runFile(app);
            key = Files.readString(app.resolve(".micros/project-key")).strip();
            assertEquals(201, call(trust, run, key, "POST", "/docs/files?name=kept.txt", body).status());
            p.signal("KILL"); // the instant after the 201
            p.waitFor(30);
        }
        Files.writeString(app.resolve(".micros/data/drives/docs/files/.tmp-leftover"), "a write cut short");
        try (Jar.Proc p = Jar.start(app, Map.of(), "run", "--port", "0")) {
            p.await("Press Ctrl-C", 60);
            Map<String, String> run = runFile(app);
            Http.Response got = call(trust, run, key, "GET", "/docs/files/download?name=kept.txt", null);
            assertEquals(200, got.status());
            assertEquals("written, then killed", got.text());
            assertFalse(Files.exists(app.resolve(".micros/data/drives/docs/files/.tmp-leftover")), "temporary files are dropped at start");
            assertTrue(call(trust, run, key, "GET", "/docs/files", null).text().contains("\"names\":[\"kept.txt\"]"));
            p.signal("TERM");
            p.waitFor(30);
        }
    }
}
