package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.runtime.AppRuntime;
import micros.support.Apps;
import micros.support.Http;

/**
 * The dashboard in a real browser: headless Chromium logs in with the owner's link, renders
 * the page (script included), and must show every micro's row and state, and the cold start of
 * the micro a request woke. The screenshot is kept in test/artifacts/ (ignored by git).
 */
class DashboardBrowserTest {
    static final Path ARTIFACTS = Path.of("test/artifacts").toAbsolutePath();

    @TempDir
    Path dir;

    private static Path chromium() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            Path p = AppRuntime.onPath(name);
            if (p != null) return p;
        }
        return null;
    }

    private static String run(Path chromium, Path profile, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--window-size=1500,1000", "--virtual-time-budget=3000"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 60 s");
        }
        return out;
    }

    /**
     * A page of the app's (same origin, so its script may look into the dashboard) shows the
     * dashboard in a frame {@code w} pixels wide and reports what it measured there.
     */
    private static final String MEASURE = """
            <!doctype html><meta charset="utf-8"><title>measure</title>
            <iframe id="f" src="/__micros/" style="border:0;height:900px"></iframe><pre id="result">waiting</pre>
            <script>
            const f = document.getElementById('f'), w = new URLSearchParams(location.search).get('w');
            f.style.width = w + 'px';
            f.onload = () => setTimeout(() => {
              const d = f.contentDocument, root = d.documentElement;
              const counts = [...d.querySelectorAll('.n, td.cold small, .hit, .state')];
              const wrapped = counts.filter(e => e.getClientRects().length > 1).map(e => e.textContent);
              const font = Math.min(...[...d.querySelectorAll('td')].map(e => parseFloat(getComputedStyle(e).fontSize)));
              document.getElementById('result').textContent = 'width=' + root.clientWidth + ' scroll=' + root.scrollWidth
                + ' counts=' + counts.length + ' font=' + font + ' wrapped=' + JSON.stringify(wrapped);
            }, 300);
            </script>
            """;

    /** The same: the dashboard in a frame, its 401 page, where the token is pasted and sent; then what loaded. */
    private static final String LOGIN = """
            <!doctype html><meta charset="utf-8"><title>login</title>
            <iframe id="f" src="/__micros/" style="width:1000px;height:700px"></iframe><pre id="result">waiting</pre>
            <script>
            const f = document.getElementById('f'), token = new URLSearchParams(location.search).get('token');
            let loads = 0;
            f.onload = () => {
              const d = f.contentDocument;
              if (++loads === 1) {
                document.getElementById('result').textContent = 'form: ' + d.title;
                d.getElementById('space_token').value = token;
                d.querySelector('form').requestSubmit();
                return;
              }
              document.getElementById('result').textContent = 'loaded: ' + d.title + ' micros table: ' + (d.getElementById('micros') !== null)
                + ' at ' + f.contentWindow.location.pathname + f.contentWindow.location.search;
            };
            </script>
            """;

    private static String result(String dom) {
        Matcher m = Pattern.compile("<pre id=\"result\">([^<]*)</pre>").matcher(dom);
        assertTrue(m.find(), dom);
        return m.group(1).replace("&quot;", "\"").replace("&amp;", "&");
    }

    /** 1280 px: every column of the micros table fits, no count is wrapped; 420 px (a phone): cards, nothing wider than the screen. */
    @Test
    void theDashboardFits1280PixelsAndStaysReadableAt420() throws Exception {
        Path chromium = chromium();
        Assumptions.assumeTrue(chromium != null, "chromium is not installed (.ci/run installs it with apt-get install chromium)");
        Apps.require("node", "python3");
        Path fixture = Apps.copy("dashboard", dir);
        Files.writeString(fixture.resolve("site/measure.html"), MEASURE);
        try (Apps.Running app = Apps.start(fixture, Apps.Options.defaults().isPublic(false))) {
            String owner = "Cookie: space_token=" + Apps.OWNER + "\r\n";
            for (String path : List.of("/api/a", "/broken/", "/api/some/longer/path?with=query", "/"))
                Http.send(app.port(), "GET " + path + " HTTP/1.1\r\nHost: x\r\n" + owner + "Connection: close\r\n\r\n", null);
            Path profile = Files.createDirectories(dir.resolve("profile"));
            for (int width : new int[] {1280, 420}) {
                String r = result(run(chromium, profile, "--dump-dom", app.emulator.url() + "/measure.html?w=" + width + "&space_token=" + Apps.OWNER));
                Matcher m = Pattern.compile("width=([0-9]+) scroll=([0-9]+) counts=([0-9]+) font=([0-9.]+) wrapped=(.*)").matcher(r);
                assertTrue(m.matches(), r);
                assertEquals(m.group(1), m.group(2), width + " px: the page is wider than the screen: " + r);
                assertTrue(Integer.parseInt(m.group(3)) > 10, "the counts were measured: " + r);
                assertTrue(Double.parseDouble(m.group(4)) >= 12, width + " px: text too small to read: " + r);
                assertEquals("[]", m.group(5), width + " px: wrapped counts: " + r);
            }
            Files.createDirectories(ARTIFACTS);
            for (int width : new int[] {1280, 420}) {
                Path shot = ARTIFACTS.resolve("dashboard-" + width + ".png");
                Files.deleteIfExists(shot);
                run(chromium, profile, "--window-size=" + width + ",1600", "--screenshot=" + shot, app.emulator.url() + "/__micros/?space_token=" + Apps.OWNER);
                assertTrue(Files.size(shot) > 20_000, "a screenshot of the dashboard was taken: " + shot);
            }
        }
    }

    /** The 401 page's field: the pasted token logs the browser in through ?space_token= on this origin, and the page asked for opens. */
    @Test
    void theLoginPageTakesAPastedToken() throws Exception {
        Path chromium = chromium();
        Assumptions.assumeTrue(chromium != null, "chromium is not installed (.ci/run installs it with apt-get install chromium)");
        Apps.require("node", "python3");
        Path fixture = Apps.copy("dashboard", dir);
        Files.writeString(fixture.resolve("site/login.html"), LOGIN);
        try (Apps.Running app = Apps.start(fixture, Apps.Options.defaults().isPublic(false))) {
            Path profile = Files.createDirectories(dir.resolve("fresh-profile")); // no cookie yet
            String r = result(run(chromium, profile, "--dump-dom", app.emulator.url() + "/login.html?token=" + Apps.OWNER));
            assertEquals("loaded: micros: dashboard micros table: true at /__micros/", r);
            String wrong = result(run(chromium, Files.createDirectories(dir.resolve("other-profile")), "--dump-dom",
                    app.emulator.url() + "/login.html?token=not-the-token"));
            assertEquals("loaded: This login token is not valid micros table: false at /__micros/?space_token=not-the-token", wrong);
        }
    }

    /** The form's target is a path of this site: a request line starting "//" (another host, to a browser) gets "/". */
    @Test
    void theLoginFormNeverPointsAtAnotherSite() {
        assertEquals("/__micros/", LoginPage.target("/__micros/"));
        assertEquals("/api/x", LoginPage.target("/api/x"));
        assertEquals("/", LoginPage.target("//evil.example/x"));
        assertEquals("/", LoginPage.target("/\\evil.example/x"));
        assertEquals("/", LoginPage.target("http://evil.example/"));
        assertEquals("/", LoginPage.target("/a\"><script>"));
        assertEquals("/", LoginPage.target(null));
    }

    @Test
    void chromiumShowsTheMicrosTheirStatesAndAColdStart() throws Exception {
        Path chromium = chromium();
        Assumptions.assumeTrue(chromium != null, "chromium is not installed (.ci/run installs it with apt-get install chromium)");
        Apps.require("node", "python3");
        try (Apps.Running app = Apps.start(Apps.copy("auth", dir), Apps.Options.defaults().isPublic(false))) {
            assertEquals(200, Http.send(app.port(), "GET /priv/wake HTTP/1.1\r\nHost: x\r\nCookie: space_token=" + Apps.OWNER + "\r\nConnection: close\r\n\r\n", null).status());
            String login = app.emulator.url() + "/__micros/?space_token=" + Apps.OWNER;
            Path profile = Files.createDirectories(dir.resolve("profile"));
            String dom = run(chromium, profile, "--dump-dom", login);
            for (String micro : List.of("site", "api", "priv", "open", "tools"))
                assertTrue(dom.contains("data-micro=\"" + micro + "\""), "row of " + micro + " in:\n" + dom);
            assertTrue(dom.contains("<tr data-micro=\"priv\" data-state=\"awake\">") || dom.contains("<tr data-micro=\"priv\" data-state=\"frozen\">"), dom);
            assertTrue(dom.contains("<tr data-micro=\"open\" data-state=\"asleep\">"), dom); // no action wakes open
            assertTrue(dom.contains("<tr data-micro=\"site\" data-state=\"static\">"), dom);
            Matcher cold = Pattern.compile("<tr data-micro=\"priv\".*?<td class=\"cold\">1 <small>\\(last ([0-9]+) ms\\)</small>", Pattern.DOTALL).matcher(dom);
            assertTrue(cold.find(), "the cold start of the woken micro:\n" + dom);
            assertTrue(Integer.parseInt(cold.group(1)) > 0);
            assertTrue(dom.contains("aria-label=\"Run action Tick now\""), "the action's button has an accessible name");
            Files.createDirectories(ARTIFACTS);
            Path shot = ARTIFACTS.resolve("dashboard.png");
            Files.deleteIfExists(shot);
            run(chromium, profile, "--screenshot=" + shot, login);
            assertTrue(Files.size(shot) > 20_000, "a screenshot of the dashboard was taken: " + shot);
        }
    }
}
