package micros.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.data.DataServer;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Http.Response;
import micros.util.Json;

/** Each engine's way of starting, and the environment micros get in run and dev mode. */
class EnginesTest {
    @TempDir
    Path dir;

    @SuppressWarnings("unchecked")
    private static Map<String, String> env(Apps.Running app) throws Exception {
        Response r = Http.get(app.port(), "/env");
        assertEquals(200, r.status(), r.text());
        return (Map<String, String>) Json.object(r.text()).get("env");
    }

    @Test
    void legacyPythonServesTheWsgiAppWithTheStandardLibrary() throws Exception {
        Apps.require("node", "python3");
        try (Apps.Running app = Apps.start(Apps.copy("engines", dir), Apps.Options.defaults())) {
            Response r = Http.get(app.port(), "/hello?x=1");
            assertEquals(200, r.status(), r.text());
            Map<String, Object> j = Json.object(r.text());
            assertEquals("wsgi", j.get("engine"));
            assertEquals("/hello", j.get("path"));
            assertEquals("x=1", j.get("query"));
            Response post = Http.send(app.port(), "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\n", "hello".getBytes());
            assertEquals(5L, Json.object(post.text()).get("body"));
        }
    }

    @Test
    void runCommandsOfPythonMicrosGetUvicornAndFlaskPorts() throws Exception {
        Apps.require("node", "python3");
        try (Apps.Running app = Apps.start(Apps.copy("engines", dir), Apps.Options.defaults())) {
            Map<String, Object> j = Json.object(Http.get(app.port(), "/uv").text());
            assertEquals(j.get("port"), j.get("uvicorn_port"));
            assertEquals(j.get("port"), j.get("flask_port"));
        }
    }

    @Test
    void legacyNodeIndexThatListensItselfWorks() throws Exception {
        Apps.require("node", "python3");
        try (Apps.Running app = Apps.start(Apps.copy("engines", dir), Apps.Options.defaults())) {
            Response r = Http.get(app.port(), "/selflisten/x");
            assertEquals(200, r.status(), r.text());
            assertEquals("self-listening /x", r.text());
        }
    }

    /** The PATH entries a user that owns none of them may enter (every folder on the way open to others), in order, once each. */
    static String pathOthersCanSearch(String path, boolean otherUser) {
        if (!otherUser) return path;
        java.util.List<String> kept = new java.util.ArrayList<>();
        for (String d : path.split(":")) {
            if (d.isEmpty() || kept.contains(d)) continue;
            boolean open = true;
            for (java.nio.file.Path p = java.nio.file.Path.of(d); otherUser && p != null && java.nio.file.Files.isDirectory(java.nio.file.Path.of(d)); p = p.getParent()) {
                try {
                    if (!java.nio.file.Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) open = false;
                } catch (java.io.IOException e) {
                    open = false;
                }
            }
            if (open && !kept.contains(d)) kept.add(d);
        }
        return String.join(":", kept);
    }

    @Test
    void runModeGivesACleanEnvironmentWithSpaceVariables() throws Exception {
        Apps.require("node", "python3");
        try (Apps.Running app = Apps.start(Apps.copy("engines", dir), Apps.Options.defaults().env(Map.of("NO_DEFAULT", "given")))) {
            Map<String, String> env = env(app);
            assertEquals("deta is cool", env.get("SECRET_MESSAGE"));
            assertEquals("given", env.get("NO_DEFAULT"));
            assertEquals("true", env.get("DETA_SPACE_APP"));
            assertEquals("dev", env.get("DETA_SPACE_APP_VERSION"));
            assertEquals("env", env.get("DETA_SPACE_APP_MICRO_NAME"));
            assertEquals("normal", env.get("DETA_SPACE_APP_MICRO_TYPE"));
            assertEquals("127.0.0.1:" + app.port(), env.get("DETA_SPACE_APP_HOSTNAME"));
            assertTrue(env.get("DETA_PROJECT_KEY").matches("[a-z0-9]{8}_[A-Za-z0-9]{32}"), env.get("DETA_PROJECT_KEY"));
            assertTrue(env.get("DETA_API_KEY").length() >= 32);
            assertTrue(env.get("PORT").matches("[0-9]+"));
            assertEquals(pathOthersCanSearch(System.getenv("PATH"), app.emulator.runtime().sandbox().mode() == micros.sandbox.Sandbox.Mode.ROOT), env.get("PATH"),
                    "the shell's PATH, without the folders the micro's user cannot enter");
            assertEquals("UTC", env.get("TZ"));
            assertFalse(env.get("HOME").equals(System.getenv("HOME")), "HOME is a per-micro folder");
            Set<String> micros = Set.of("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE", "DETA_BASE_HOST", "DETA_DRIVE_HOST");
            for (String k : System.getenv().keySet()) { // sh sets PWD, SHLVL, _ and OLDPWD itself
                if (micros.contains(k)) assertFalse(System.getenv(k).equals(env.get(k)), k + " leaked from the shell: micros sets its own (the data host, its CA bundle)");
                else if (k.equals("SSL_CERT_DIR")) // micros sets it itself, to the system's CA folder (which the shell may name too)
                    assertEquals(DataServer.caEnv(java.nio.file.Path.of("ca-bundle.pem")).get(k), env.get(k), k);
                else if (!Set.of("PATH", "LANG", "HOME", "TMPDIR", "TZ", "PWD", "SHLVL", "_", "OLDPWD").contains(k)) assertFalse(env.containsKey(k), k + " leaked from the shell into a run-mode micro");
            }
            String key = env.get("DETA_PROJECT_KEY");
            app.close();
            try (Apps.Running again = Apps.start(dir.resolve("engines"), Apps.Options.defaults())) {
                Map<String, String> env2 = env(again);
                assertEquals(key, env2.get("DETA_PROJECT_KEY"), "the project key is stable per project folder");
                assertNull(env2.get("NO_DEFAULT"), "a preset without default and value is unset");
            }
        }
    }

    @Test
    void devModeUsesDevCommandsAndTheShellEnvironment() throws Exception {
        Apps.require("node", "python3");
        try (Apps.Running app = Apps.start(Apps.copy("engines", dir), Apps.Options.defaults().dev(true))) {
            Response r = Http.get(app.port(), "/env");
            @SuppressWarnings("unchecked")
            List<Object> argv = (List<Object>) Json.object(r.text()).get("argv");
            assertEquals(List.of("--dev"), argv);
            Map<String, String> env = env(app);
            assertEquals(System.getenv("HOME"), env.get("HOME"));
            assertEquals("env", env.get("DETA_SPACE_APP_MICRO_NAME"));
            Response py = Http.get(app.port(), "/");
            assertEquals(503, py.status());
            assertTrue(py.text().contains("micro 'py' has no 'dev' command"), py.text());
        }
    }
}
