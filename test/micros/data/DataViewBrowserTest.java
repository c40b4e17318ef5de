package micros.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.runtime.AppRuntime;
import micros.support.Apps;
import micros.support.Http;

/**
 * The dashboard's Data view in headless Chromium, over the gateway's HTTPS (the browser is told
 * to accept exactly micros' server key, as a browser that imported the CA would): Drives with
 * their files and download links, Bases with counts (and a query, when Base is in the build).
 */
class DataViewBrowserTest {
    @TempDir
    Path dir;

    private static Path chromium() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            Path p = AppRuntime.onPath(name);
            if (p != null) return p;
        }
        return null;
    }

    private static String dumpDom(Path chromium, Path profile, String spki, String url) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--ignore-certificate-errors-spki-list=" + spki, "--virtual-time-budget=3000", "--dump-dom", url));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("chromium did not finish in 60 s");
        }
        return out;
    }

    /** base64(sha256(SubjectPublicKeyInfo)) of the certificate the gateway serves. */
    private static String spki(Path chain) throws Exception {
        try (InputStream in = Files.newInputStream(chain)) {
            X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificates(in).iterator().next();
            return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(leaf.getPublicKey().getEncoded()));
        }
    }

    @Test
    void chromiumShowsDrivesAndBasesOverHttps() throws Exception {
        Path chromium = chromium();
        Assumptions.assumeTrue(chromium != null, "chromium is not installed (.ci/run installs it with apt-get install chromium)");
        try (Apps.Running app = Apps.start(Apps.copy("data", dir), Apps.Options.defaults().isPublic(false))) {
            DataServer data = app.emulator.data();
            SSLContext trust = DataClient.trusting(data.ca().caCert());
            String hp = data.hostPort();
            int port = Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1));
            String pid = DataServer.projectId(data.projectKey());
            for (String name : List.of("cats/tom.png", "notes <b>.txt")) {
                String target = "/v1/" + pid + "/photos/files?name=" + java.net.URLEncoder.encode(name, StandardCharsets.UTF_8);
                byte[] body = ("file " + name).getBytes(StandardCharsets.UTF_8);
                Http.Response r = DataClient.https(trust, port, "POST " + target + " HTTP/1.1\r\nHost: localhost\r\nX-API-Key: " + data.projectKey()
                        + "\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n", body);
                assertEquals(201, r.status(), r.text());
            }
            assertEquals(401, Http.get(app.port(), "/__micros/data").status(), "the data view is the owner's");
            Path profile = Files.createDirectories(dir.resolve("profile"));
            String login = "https://localhost:" + app.port() + "/__micros/data?space_token=" + Apps.OWNER;
            String dom = dumpDom(chromium, profile, spki(data.ca().dir().resolve("server-chain.pem")), login);
            assertTrue(dom.contains("data-drive=\"photos\""), dom);
            assertTrue(dom.contains("2 files"), dom);
            assertTrue(dom.contains("href=\"/__micros/data/download?drive=photos&amp;name=cats%2Ftom.png\""), dom);
            assertTrue(dom.contains("notes &lt;b&gt;.txt"), "names are escaped: " + dom);
            assertTrue(dom.contains("image/png"), dom);
            assertTrue(dom.contains("id=\"bases-h\""), dom);
            Http.Response download = Http.send(app.port(), "GET /__micros/data/download?drive=photos&name=cats%2Ftom.png HTTP/1.1\r\nHost: x\r\n"
                    + DataClient.OWNER + "Connection: close\r\n\r\n", null);
            assertEquals(200, download.status());
            assertEquals("file cats/tom.png", download.text());
            assertTrue(download.header("content-disposition").contains("tom.png"), download.header("content-disposition"));
            if (data.base().names().isEmpty() && !baseIsReal(data)) return; // Base is a stand-in in this build
            data.base().importItems("people", List.of(micros.util.Json.parse("{\"key\":\"a\",\"name\":\"Ada\",\"age\":36}"),
                    micros.util.Json.parse("{\"key\":\"b\",\"name\":\"Bob\",\"age\":12}")), true);
            String queried = dumpDom(chromium, profile, spki(data.ca().dir().resolve("server-chain.pem")),
                    "https://localhost:" + app.port() + "/__micros/data?base=people&query=" + java.net.URLEncoder.encode("{\"age?gt\": 20}", StandardCharsets.UTF_8)
                            + "&space_token=" + Apps.OWNER);
            assertTrue(queried.contains("data-base=\"people\""), queried);
            assertTrue(queried.contains("2 items"), queried);
            assertTrue(queried.contains("Ada") && !queried.contains("Bob"), queried);
        }
    }

    private static boolean baseIsReal(DataServer data) {
        try {
            data.base().importItems("probe-" + System.nanoTime(), List.of(), false);
            return true;
        } catch (java.io.IOException e) {
            return !String.valueOf(e.getMessage()).contains("not in this branch");
        }
    }
}
