package micros.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.data.DataServer;
import micros.support.Apps;
import micros.support.Http;
import micros.support.Jar;
import micros.util.Json;

/**
 * Base for remote micros: `micros gateway --data-host/--data-port/--data-name` serves Base and
 * Drive where a micro elsewhere reaches them, by the name in their certificate; a python micro
 * the test starts itself, given only what the start-up lines say (DETA_BASE_HOST, the CA file)
 * and the project key, writes and reads an item over HTTPS with Python's default verification.
 */
class GatewayDataTest {
    static final String NAME = "data.micros.test", KEY = "gwdata01_0123456789abcdefABCDEF0123456789";

    /** The micro: Base over urllib (default TLS verification against SSL_CERT_FILE); NAME resolved as a cluster's DNS would. */
    static final String MICRO = """
            import json, os, socket, urllib.request
            from http.server import BaseHTTPRequestHandler, HTTPServer
            name, ip = os.environ["RESOLVE"].split("=")
            real = socket.getaddrinfo
            socket.getaddrinfo = lambda host, *a, **k: real(ip if host == name else host, *a, **k)
            key = os.environ["DETA_PROJECT_KEY"]
            def base(method, path, body=None):
                url = "https://" + os.environ["DETA_BASE_HOST"] + "/v1/" + key.split("_")[0] + "/people" + path
                data = None if body is None else json.dumps(body).encode()
                req = urllib.request.Request(url, data=data, method=method, headers={"X-API-Key": key, "Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=20) as r:
                    return json.loads(r.read())
            class H(BaseHTTPRequestHandler):
                def do_GET(self):
                    try:
                        put = base("PUT", "/items", {"items": [{"key": "ada", "name": "Ada"}]})
                        out, code = json.dumps({"put": put, "get": base("GET", "/items/ada")}), 200
                    except Exception as e:
                        out, code = repr(e), 500
                    b = out.encode()
                    self.send_response(code)
                    self.send_header("Content-Length", str(len(b)))
                    self.end_headers()
                    self.wfile.write(b)
            HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
            """;

    @TempDir
    Path dir;

    private Path app() throws IOException {
        Path app = Files.createDirectories(dir.resolve("app"));
        Files.writeString(app.resolve("Spacefile"), "v: 0\nmicros:\n  - name: api\n    src: ./api\n    engine: python3.9\n    primary: true\n    run: python3 main.py\n");
        Files.writeString(Files.createDirectories(app.resolve("api")).resolve("main.py"), MICRO);
        return app;
    }

    @Test
    void aRemoteMicroUsesBaseThroughTheGatewaysDataServer() throws Exception {
        Apps.require("python3");
        Path app = app();
        int microPort = freePort(), dataPort = freePort();
        Map<String, String> gatewayEnv = Map.of("MICROS_CA_DIR", dir.resolve("ca").toString(), "MICROS_PROJECT_KEY", KEY);
        try (Jar.Proc gw = Jar.start(app, gatewayEnv, "gateway", app.toString(), "--port", "0", "--public", "--micro", "api=http://127.0.0.1:" + microPort,
                "--data-host", "127.0.0.1", "--data-port", Integer.toString(dataPort), "--data-name", NAME)) {
            String line = gw.await("Press Ctrl-C to stop.", 60);
            String out = gw.output();
            assertFalse(out.contains(KEY), "the project key is never printed");
            assertTrue(out.contains("Base and Drive listen on 127.0.0.1:" + dataPort), out);
            Matcher host = Pattern.compile("DETA_BASE_HOST=(\\S+) and DETA_DRIVE_HOST=(\\S+),").matcher(out);
            assertTrue(host.find(), out);
            assertEquals(NAME + ":" + dataPort, host.group(1), "remote micros reach Base by the --data-name");
            Matcher ca = Pattern.compile("trust the CA in (\\S+) \\(").matcher(out);
            assertTrue(ca.find(), out);
            assertEquals(dir.resolve("ca").resolve("micros-ca.pem").toString(), ca.group(1));
            Matcher m = Pattern.compile("listening on http://127.0.0.1:(\\d+)").matcher(out);
            assertTrue(m.find(), out + line);
            int port = Integer.parseInt(m.group(1));

            // the certificate names --data-name, signed by the CA the lines name (this also signs it before the micro's first request)
            assertEquals(200, https(Path.of(ca.group(1)), dataPort, NAME, "POST /v1/" + KEY.split("_")[0] + "/people/query HTTP/1.1\r\nHost: "
                    + NAME + "\r\nX-API-Key: " + KEY + "\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}").status());

            // `data env` tells other programs the same: the adopted key and the name
            Jar.Result env = Jar.run(dir, Map.of("MICROS_CA_DIR", dir.resolve("ca").toString()), "data", "env", app.toString());
            assertTrue(env.out().contains("export DETA_PROJECT_KEY='" + KEY + "'"), env.out());
            assertTrue(env.out().contains("export DETA_BASE_HOST='" + NAME + ":" + dataPort + "'"), env.out());

            ProcessBuilder pb = new ProcessBuilder("python3", "main.py").directory(app.resolve("api").toFile())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("micro.log").toFile());
            Map<String, String> e = pb.environment();
            for (String v : DataServer.CA_VARIABLES) e.remove(v);
            e.putAll(new HashMap<>(Map.of("PORT", Integer.toString(microPort), "DETA_PROJECT_KEY", KEY, "DETA_BASE_HOST", host.group(1),
                    "DETA_DRIVE_HOST", host.group(2), "SSL_CERT_FILE", ca.group(1), "RESOLVE", NAME + "=127.0.0.1")));
            Process micro = pb.start();
            try {
                awaitPort(microPort, micro);
                Http.Response r = Http.get(port, "/");
                assertEquals(200, r.status(), r.text() + "\n" + Files.readString(dir.resolve("micro.log")));
                Map<String, Object> body = Json.object(r.text());
                assertEquals(Map.of("key", "ada", "name", "Ada"), body.get("get"), r.text());
                assertEquals(List.of(Map.of("key", "ada", "name", "Ada")), ((Map<?, ?>) body.get("put")).get("processed") instanceof Map<?, ?> p ? p.get("items") : null,
                        r.text());
            } finally {
                micro.descendants().forEach(ProcessHandle::destroyForcibly);
                micro.destroyForcibly();
                micro.waitFor();
            }
            gw.signal("TERM");
            gw.waitFor(30);
        }
    }

    @Test
    void badDataOptionsAreRefusedInOneSentence() throws Exception {
        Path app = app();
        Jar.Result port = Jar.run(app, "gateway", "--micro", "api=http://127.0.0.1:1", "--data-port", "70000");
        assertEquals(2, port.exit(), port.all());
        assertTrue(port.err().contains("--data-port 70000: use a number from 0 to 65535"), port.all());
        Jar.Result name = Jar.run(app, "gateway", "--micro", "api=http://127.0.0.1:1", "--data-name", "not a name");
        assertEquals(2, name.exit(), name.all());
        assertTrue(name.err().contains("--data-name not a name: give the DNS name or IP address"), name.all());
        Jar.Result key = Jar.run(app, Map.of("MICROS_PROJECT_KEY", "short"), "gateway", "--micro", "api=http://127.0.0.1:1");
        assertEquals(2, key.exit(), key.out());
        assertTrue(key.out().contains("MICROS_PROJECT_KEY is not a project key"), key.out());
        assertFalse(port.all().contains("Exception") || name.all().contains("Exception") || key.out().contains("Exception"));
    }

    /** One request over TLS to 127.0.0.1:port, the certificate checked for {@code name} against the CA file alone. */
    private static Http.Response https(Path caCert, int port, String name, String request) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caCert)) {
            ks.setCertificateEntry("micros", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), port);
             SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, name, port, true)) {
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS");
            p.setServerNames(List.of(new SNIHostName(name)));
            s.setSSLParameters(p);
            s.setSoTimeout(60_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return Http.read(s.getInputStream(), false);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port, Process p) throws Exception {
        long until = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < until && p.isAlive()) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(20);
            }
        }
        throw new AssertionError("the micro did not listen on " + port);
    }
}
