package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import micros.support.Apps;
import micros.support.Http;
import micros.util.Json;

/**
 * A micro's response head whose lines a client could split differently than the gateway does
 * (a bare CR or LF, NUL, a folded line, a name that is not a token, a control character in the
 * reason phrase) is refused with a 502: none of its bytes reach the client, and the client's next
 * request, to another micro, gets that micro's answer. On the event loop's path (a body-less GET
 * to an awake micro) and on a worker's (a POST), with real micros and sockets.
 */
class ResponseSplittingTest {
    @TempDir
    static Path dir;
    static Apps.Running app;

    /**
     * A raw micro answering by path; each bad answer carries a forged second response that a
     * lenient client would read as the answer to its next request.
     */
    private static final String RAW_MICRO = """
            const net = require("net");
            const forged = "HTTP/1.1 200 OK\\nContent-Length: 8\\n\\nINJECTED";
            const answers = {
              "/lf": "HTTP/1.1 200 OK\\r\\nX-A: a\\nContent-Length: 0\\n\\n" + forged + "\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              "/cr": "HTTP/1.1 200 OK\\r\\nX-A: a\\rContent-Length: 0\\r\\rHTTP/1.1 200 OK\\rContent-Length: 8\\r\\rINJECTED\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              "/nul": "HTTP/1.1 200 OK\\r\\nX-A: a\\u0000INJECTED\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              "/del": "HTTP/1.1 200 OK\\r\\nX-A: a\\u007fINJECTED\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              "/fold": "HTTP/1.1 200 OK\\r\\nX-A: a\\r\\n INJECTED: 1\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              "/fold-tab": "HTTP/1.1 200 OK\\r\\nX-A: a\\r\\n\\tINJECTED\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              "/name-lf": "HTTP/1.1 200 OK\\r\\nX-A\\n" + forged + ": 1\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              "/name-space": "HTTP/1.1 200 OK\\r\\nX INJECTED: 1\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              "/name-empty": "HTTP/1.1 200 OK\\r\\n: INJECTED\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              "/name-8bit": "HTTP/1.1 200 OK\\r\\nX-\\u00e9: INJECTED\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              "/reason-lf": "HTTP/1.1 200 OK\\nContent-Length: 0\\n\\n" + forged + "\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              "/reason-cr": "HTTP/1.1 200 OK\\rINJECTED\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              "/reason-ctl": "HTTP/1.1 200 OK\\u0001INJECTED\\r\\nContent-Length: 2\\r\\n\\r\\nok",
              // legitimate: UTF-8 (obs-text) in a value and in the reason phrase, a tab inside a value
              // legitimate after the proxy's fix-up: whitespace before a colon, which a proxy removes (RFC 9112 §5.1)
              "/space-colon": "HTTP/1.1 200 OK\\r\\nX-A \\t: b\\r\\nContent-Length : 2\\r\\n\\r\\nok",
              "/bare-lf-head": "HTTP/1.1 200 OK\\nContent-Length: 2\\n\\nok", // every line ended by LF alone
              "/utf8": "HTTP/1.1 200 OK Gr\\u00fc\\u00dfe\\r\\nX-Name: Gr\\u00fc\\u00dfe\\t\\u2713\\r\\nContent-Length: 2\\r\\n\\r\\nok",
            };
            net.createServer((sock) => {
              let buf = Buffer.alloc(0);
              sock.on("data", (d) => {
                buf = Buffer.concat([buf, d]);
                let end;
                while ((end = buf.indexOf("\\r\\n\\r\\n")) >= 0) {
                  const head = buf.subarray(0, end).toString("latin1");
                  const length = Number((/\\r\\ncontent-length: *([0-9]+)/i.exec(head) || [0, 0])[1]);
                  if (buf.length < end + 4 + length) return; // the body is not all here yet
                  buf = buf.subarray(end + 4 + length);
                  const path = head.split(" ")[1];
                  const answer = answers[path] || "HTTP/1.1 200 OK\\r\\nContent-Length: 4\\r\\n\\r\\nfine";
                  sock.write(Buffer.from(answer, path === "/utf8" ? "utf8" : "latin1"));
                }
              });
              sock.on("error", () => {});
            }).listen(Number(process.env.PORT), "127.0.0.1");
            """;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node");
        Path root = Apps.copy("routing", dir.resolve("app"));
        Files.createDirectories(root.resolve("raw"));
        Files.writeString(root.resolve("raw/raw.js"), RAW_MICRO);
        Files.writeString(root.resolve("Spacefile"), "v: 0\nmicros:\n  - name: raw\n    src: raw\n    engine: nodejs16\n    run: node raw.js\n    primary: true\n"
                + "  - name: api\n    src: echo\n    engine: nodejs16\n    run: node echo.js\n");
        // not frozen: an awake micro's body-less GET is relayed by the event loop (a frozen one is thawed by a worker)
        app = Apps.start(root, Apps.Options.defaults().freeze(false));
        for (String warm : new String[] {"/warm", "/api/warm"}) {
            Http.Response r = Http.get(app.port(), warm);
            assertEquals(200, r.status(), r.text());
        }
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    /** Sends {@code first}, then a GET to the other micro on the same connection, and returns every byte that came back. */
    private static byte[] exchange(String first) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), app.port())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write((first + "GET /api/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            return s.getInputStream().readAllBytes();
        }
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    private static String post(String path) {
        return "POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    }

    /** The first answer is the gateway's 502 saying why, the second the other micro's, and nothing else came. */
    private static void refused(byte[] all, String why) throws Exception {
        String raw = new String(all, StandardCharsets.ISO_8859_1);
        raw = raw.substring(0, Math.min(raw.length(), 400)); // enough to see what went wrong
        assertFalse(new String(all, StandardCharsets.ISO_8859_1).contains("INJECTED"), raw);
        // read as a client that takes a bare LF for a line end would
        InputStream in = new ByteArrayInputStream(all);
        Http.Response bad = Http.read(in, false);
        assertEquals(502, bad.status(), raw);
        assertEquals("micro \"raw\" " + why + "\n", bad.text());
        Http.Response next = Http.read(in, false);
        assertEquals(200, next.status(), raw);
        assertEquals("/next", Json.object(next.text()).get("url"), raw);
        assertEquals(-1, in.read(), raw);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "/lf, ended a line of its response head with a bare LF (HTTP needs CRLF)",
        "/cr, sent a control character in a header value",
        "/nul, sent a control character in a header value",
        "/del, sent a control character in a header value",
        "/fold, sent a folded header line",
        "/fold-tab, sent a folded header line",
        "/name-lf, ended a line of its response head with a bare LF (HTTP needs CRLF)",
        "/name-space, sent a malformed header line",
        "/name-empty, sent a malformed header line",
        "/name-8bit, sent a malformed header line",
        "/reason-lf, ended a line of its response head with a bare LF (HTTP needs CRLF)",
        "/reason-cr, sent a malformed status line",
        "/reason-ctl, sent a malformed status line",
        "/bare-lf-head, ended a line of its response head with a bare LF (HTTP needs CRLF)",
    })
    void aHeadThatCouldSplitIs502OnTheLoop(String path, String why) throws Exception {
        refused(exchange(get(path)), why);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "/lf, ended a line of its response head with a bare LF (HTTP needs CRLF)",
        "/nul, sent a control character in a header value",
        "/fold, sent a folded header line",
        "/name-space, sent a malformed header line",
        "/reason-lf, ended a line of its response head with a bare LF (HTTP needs CRLF)",
        "/bare-lf-head, ended a line of its response head with a bare LF (HTTP needs CRLF)",
    })
    void aHeadThatCouldSplitIs502OnAWorker(String path, String why) throws Exception {
        refused(exchange(post(path)), why);
    }

    /** UTF-8 in a value and in the reason phrase is obs-text, allowed: it passes through byte for byte, on both paths. */
    @Test
    void obsTextPassesThrough() throws Exception {
        String value = new String("Gr\u00fc\u00dfe\t\u2713".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        String reason = new String("OK Gr\u00fc\u00dfe".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        for (String first : new String[] {get("/utf8"), post("/utf8")}) {
            byte[] all = exchange(first);
            String raw = new String(all, StandardCharsets.ISO_8859_1);
            raw = raw.substring(0, Math.min(raw.length(), 400));
            assertTrue(raw.startsWith("HTTP/1.1 200 " + reason + "\r\n"), raw);
            InputStream in = new ByteArrayInputStream(all);
            Http.Response r = Http.read(in, false);
            assertEquals(value, r.header("x-name"), raw);
            assertEquals("ok", r.text());
            assertEquals("/next", Json.object(Http.read(in, false).text()).get("url"), raw);
        }
    }

    /** RFC 9112 §5.1: whitespace between a field name and the colon is removed on the way, not refused; the framing it names counts. */
    @Test
    void whitespaceBeforeAColonIsRemoved() throws Exception {
        for (String first : new String[] {get("/space-colon"), post("/space-colon")}) {
            byte[] all = exchange(first);
            String raw = new String(all, StandardCharsets.ISO_8859_1);
            raw = raw.substring(0, Math.min(raw.length(), 400));
            assertTrue(raw.contains("\r\nX-A: b\r\n"), raw);
            InputStream in = new ByteArrayInputStream(all);
            Http.Response r = Http.read(in, false);
            assertEquals(200, r.status(), raw);
            assertEquals("ok", r.text());
            assertEquals("/next", Json.object(Http.read(in, false).text()).get("url"), raw);
        }
    }
}
