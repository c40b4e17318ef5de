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
