package micros.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.util.Json;

/**
 * micros' guard (src/micros/export/guard.pl, the first process of every exported micro's
 * container) run for real in front of a small Python micro: what lacks the gateway's key never
 * reaches the micro, only a request's own body passes, the key is taken out, answers stream,
 * and the guard listens once the micro does and ends with it.
 */
class GuardTest {
    static final Path GUARD = Path.of("src/micros/export/guard.pl").toAbsolutePath();
    static final String KEY = "the-gateway-key-0123456789";
    /** Answers with what it saw: every path so far, the key header and variable, its PORT, the body's size and digest. */
    static final String MICRO = """
            import hashlib, json, os, time
            from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
            seen = []
            class H(BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def do_GET(self):
                    if self.path == "/stream":
                        self.send_response(200)
                        self.send_header("Content-Type", "text/plain")
                        self.end_headers()
                        self.wfile.write(b"first\\n")
                        self.wfile.flush()
                        while not os.path.exists("more"):
                            time.sleep(0.02)
                        self.wfile.write(b"second\\n")
                        self.close_connection = True
                        return
                    self.reply(b"")
                def do_POST(self):
                    if self.headers.get("Transfer-Encoding") == "chunked":
                        data = b""
                        while True:
                            size = int(self.rfile.readline().split(b";")[0], 16)
                            if size == 0:
                                while self.rfile.readline() not in (b"\\r\\n", b""):
                                    pass
                                break
                            data += self.rfile.read(size)
                            self.rfile.readline()
                    else:
                        data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                    self.reply(data)
                def reply(self, data):
                    seen.append(self.path)
                    if self.path == "/exit":
                        os._exit(7)
                    body = json.dumps({"seen": seen, "key_header": self.headers.get_all("X-Micros-Gateway-Key"),
                                       "key_env": os.environ.get("MICROS_GATEWAY_KEY"), "port": os.environ["PORT"], "size": len(data),
                                       "digest": hashlib.sha256(data).hexdigest()}).encode()
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("Connection", "keep-alive")
                    self.end_headers()
                    self.wfile.write(body)
                def log_message(self, *args):
                    pass
            open("started", "w").close()
            while os.path.exists("wait") and not os.path.exists("go"):
                time.sleep(0.02)
            ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
            """;

    @TempDir
    Path dir;
    Process guard;
    int port;

    @BeforeEach
    void micro() throws IOException {
        Apps.require("perl", "python3");
        Files.writeString(dir.resolve("micro.py"), MICRO);
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
    }

    @AfterEach
    void stop() {
        if (guard != null) {
            guard.descendants().forEach(ProcessHandle::destroyForcibly);
            guard.destroyForcibly();
        }
    }

    private Process start(Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("perl", GUARD.toString(), "python3", "micro.py").directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("guard.log").toFile());
        pb.environment().put("PORT", Integer.toString(port));
        pb.environment().putAll(env);
        guard = pb.start();
        return guard;
    }

    private void awaitListening() throws Exception {
        for (int i = 0; i < 1000; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException notYet) {
                assertTrue(guard.isAlive(), Files.readString(dir.resolve("guard.log")));
                Thread.sleep(20);
            }
        }
        throw new AssertionError("the guard does not listen: " + Files.readString(dir.resolve("guard.log")));
    }

    /** Sends raw bytes, returns all that comes back until the guard closes (it closes after one answer). */
    private String raw(String request) throws IOException {
        return raw(request.getBytes(StandardCharsets.ISO_8859_1));
    }

    private String raw(byte[] request) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(request);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static Map<String, Object> body(String response) {
        return Json.object(response.substring(response.indexOf("\r\n\r\n") + 4));
    }

    private static int status(String response) {
        return Integer.parseInt(response.substring(9, 12));
    }

    static final String WITH_KEY = "X-Micros-Gateway-Key: " + KEY + "\r\n";

    @Test
    void aRequestWithoutTheGatewaysKeyNeverReachesTheMicro() throws Exception {
        start(Map.of("MICROS_GATEWAY_KEY", KEY + "\n")); // read as the gateway reads it: a Secret made from a file ends with a newline
        awaitListening();
        for (String head : List.of("", "X-Micros-Gateway-Key: wrong-key-0123456789abc\r\n", "X-Micros-Gateway-Key: " + KEY + "x\r\n",
                WITH_KEY + "X-Micros-Gateway-Key: another-key-0123456789\r\n", WITH_KEY + WITH_KEY)) {
            String r = raw("GET /refused HTTP/1.1\r\nHost: x\r\n" + head + "\r\n");
            assertEquals(403, status(r), head + ": " + r);
            assertTrue(r.contains("this micro answers its app's gateway only"), r);
        }
        assertEquals(400, status(raw("GET /folded HTTP/1.1\r\nHost: x\r\n " + WITH_KEY + "\r\n")), "a folded line is no header");
        byte[] upload = new byte[2 << 20];
        ByteArrayOutputStream post = new ByteArrayOutputStream();
        post.write(("POST /refused HTTP/1.1\r\nHost: x\r\nContent-Length: " + upload.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        post.write(upload);
        assertEquals(403, status(raw(post.toByteArray())), "refused with its body unread: the answer still arrives (no reset)");
        String ok = raw("GET /ok HTTP/1.1\r\nHost: x\r\nx-micros-gateway-key: " + KEY + "\r\n\r\n");
        assertEquals(200, status(ok), ok);
        Map<String, Object> seen = body(ok);
        assertEquals(List.of("/ok"), seen.get("seen"), "no refused request reached the micro");
        assertNull(seen.get("key_header"), "the key is taken out of the request");
        assertNull(seen.get("key_env"), "and out of the micro's environment");
        assertFalse(seen.get("port").equals(Integer.toString(port)), "the micro has a port of its own");
        String head = ok.substring(0, ok.indexOf("\r\n\r\n")).toLowerCase(java.util.Locale.ROOT);
        assertTrue(head.contains("\r\nconnection: close") && !head.contains("keep-alive"), "one request per connection: " + head);
        String outside = outsideAddress();
        if (outside != null) assertTrue(connectFails(outside), "the guard listens on 127.0.0.1 alone, where queue-proxy delivers: not on " + outside);
    }

    /** An address of this machine that is not a loopback one, or null. */
    private static String outsideAddress() throws IOException {
        for (var nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()))
            for (var a : java.util.Collections.list(nic.getInetAddresses()))
                if (a instanceof java.net.Inet4Address && !a.isLoopbackAddress()) return a.getHostAddress();
        return null;
    }

    private boolean connectFails(String host) {
        try (Socket s = new Socket(host, port)) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** A body passes whole, by its length or its chunks; what follows it on the connection never reaches the micro. */
    @Test
    void onlyTheRequestsOwnBodyPasses() throws Exception {
        start(Map.of("MICROS_GATEWAY_KEY", KEY));
        awaitListening();
        byte[] big = new byte[3 << 20];
        new java.util.Random(7).nextBytes(big);
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.write(("POST /big HTTP/1.1\r\nHost: x\r\n" + WITH_KEY + "Content-Length: " + big.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        req.write(big);
        req.write("GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        Map<String, Object> r = body(raw(req.toByteArray()));
        assertEquals(big.length, ((Number) r.get("size")).intValue());
        assertEquals(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(big)), r.get("digest"));
        String chunked = raw("POST /chunked HTTP/1.1\r\nHost: x\r\n" + WITH_KEY + "Transfer-Encoding: chunked\r\n\r\n"
                + "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
        assertEquals(11, ((Number) body(chunked).get("size")).intValue(), chunked);
        assertEquals(400, status(raw("POST /both HTTP/1.1\r\nHost: x\r\n" + WITH_KEY + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc")));
        Map<String, Object> last = body(raw("GET /last HTTP/1.1\r\nHost: x\r\n" + WITH_KEY + "\r\n"));
        assertEquals(List.of("/big", "/chunked", "/last"), last.get("seen"), "nothing after a body reached the micro");
    }

    /** An answer goes on as the micro writes it: the first line arrives while the micro still holds the rest. */
    @Test
    void answersStream() throws Exception {
        start(Map.of("MICROS_GATEWAY_KEY", KEY));
        awaitListening();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(("GET /stream HTTP/1.1\r\nHost: x\r\n" + WITH_KEY + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            StringBuilder got = new StringBuilder();
            while (!got.toString().contains("first\n")) {
                int b = in.read();
                assertTrue(b >= 0, got.toString());
                got.append((char) b);
            }
            Files.createFile(dir.resolve("more"));
            got.append(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
            assertTrue(got.toString().endsWith("first\nsecond\n"), got.toString());
        }
    }

    /** The guard listens only once the micro does (Knative counts the container ready then), and ends with the micro's status. */
    @Test
    void theGuardListensOnceTheMicroDoesAndEndsWithIt() throws Exception {
        Files.createFile(dir.resolve("wait"));
        start(Map.of("MICROS_GATEWAY_KEY", KEY));
        for (int i = 0; i < 1000 && !Files.exists(dir.resolve("started")); i++) Thread.sleep(20);
        assertTrue(Files.exists(dir.resolve("started")), "the micro started");
        assertTrue(connectFails("127.0.0.1"), "not ready while the micro does not listen");
        Files.createFile(dir.resolve("go"));
        awaitListening();
        raw("GET /exit HTTP/1.1\r\nHost: x\r\n" + WITH_KEY + "\r\n");
        assertTrue(guard.waitFor(20, TimeUnit.SECONDS), "the guard ends with its micro");
        assertEquals(7, guard.exitValue(), Files.readString(dir.resolve("guard.log")));
    }

    @Test
    void withoutAGoodKeyTheMicroIsNotStarted() throws Exception {
        for (Map<String, String> env : List.of(Map.<String, String>of(), Map.of("MICROS_GATEWAY_KEY", "short"), Map.of("MICROS_GATEWAY_KEY", "has a space 0123456789"))) {
            Process p = start(env);
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue());
            assertTrue(Files.readString(dir.resolve("guard.log")).contains("micros guard: MICROS_GATEWAY_KEY is missing, shorter than 16 characters or not printable ASCII"));
            assertFalse(Files.exists(dir.resolve("started")), "the micro never ran");
        }
    }

    /** The guard runs on perl-base alone (every Debian-based image has it): each module it uses is one of perl-base's. */
    @Test
    void theGuardNeedsPerlBaseAlone() throws Exception {
        Apps.require("dpkg");
        Process p = new ProcessBuilder("dpkg", "-L", "perl-base").redirectErrorStream(true).start();
        String files = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0, "perl-base is not a Debian package here");
        List<String> modules = new ArrayList<>();
        for (String line : Files.readAllLines(GUARD)) if (line.matches("use [A-Z][\\w:]*.*;")) modules.add(line.replaceAll("use ([\\w:]+).*", "$1"));
        assertFalse(modules.isEmpty());
        for (String m : modules) assertTrue(files.contains("/" + m.replace("::", "/") + ".pm\n"), m + " is not in perl-base");
    }
}
