package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.support.Apps;
import micros.support.Http;

/**
 * Requests with bodies on kept-alive connections to micros (issue 29): a connection that carried
 * a body is used again only when the micro's server frames bodies itself (it announces its
 * keep-alive timeout, as Node's http does), whether the micro read the body or answered without
 * it; a server that does not gets Connection: close, so a body is never read as a request. And a
 * POST is never sent twice, nor lost to a micro that closes idle connections after a short time.
 */
class BodyReuseTest {
    @TempDir
    static Path dir;
    static Apps.Running app;

    /** Node's http (Keep-Alive: timeout=N): says which connection it answers on, and what it saw. */
    private static final String FRAMING = """
            const http = require("http");
            let connections = 0, seen = [];
            const server = http.createServer((req, res) => {
              if (req.socket.id === undefined) req.socket.id = ++connections;
              seen.push(req.method + " " + req.url);
              const id = "conn " + req.socket.id;
              if (req.url.startsWith("/read")) {
                let n = 0;
                req.on("data", (c) => { n += c.length; });
                return req.on("end", () => res.end(id + " read " + n));
              }
              if (req.url.startsWith("/seen")) return res.end(JSON.stringify(seen));
              res.end(id); // /ignore and the rest answer without reading a body: node drains it
            });
            server.keepAliveTimeout = Number(process.env.KEEP_ALIVE_MS || 5000);
            server.listen(Number(process.env.PORT), "127.0.0.1");
            """;

    /** A server that does not frame bodies: each head ends at a blank line, a body is never skipped. */
    private static final String RAW = """
            const net = require("net");
            let connections = 0, seen = [];
            net.createServer((sock) => {
              const id = ++connections;
              let buf = "";
              sock.on("data", (d) => {
                buf += d.toString("latin1");
                let end;
                while ((end = buf.indexOf("\\r\\n\\r\\n")) >= 0) {
                  const head = buf.slice(0, end), path = head.split(" ")[1];
                  buf = buf.slice(end + 4);
                  seen.push(path);
                  const close = /\\r\\nconnection: close/i.test(head);
                  const body = path.startsWith("/seen") ? JSON.stringify(seen) : "conn " + id + (close ? " close" : "");
                  sock.write("HTTP/1.1 200 OK\\r\\nContent-Length: " + body.length + "\\r\\n\\r\\n" + body);
                  if (close) return sock.end(); // nothing after it is read
                }
              });
              sock.on("error", () => {});
            }).listen(Number(process.env.PORT), "127.0.0.1");
            """;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node");
        Path root = dir.resolve("app");
        for (String m : new String[] {"framing", "raw"}) Files.createDirectories(root.resolve(m));
        Files.writeString(root.resolve("framing/server.js"), FRAMING);
        Files.writeString(root.resolve("raw/server.js"), RAW);
        Files.writeString(root.resolve("Spacefile"), "v: 0\nmicros:\n"
                + "  - name: framing\n    src: framing\n    engine: nodejs16\n    run: node server.js\n    primary: true\n"
                + "  - name: raw\n    src: raw\n    engine: nodejs16\n    run: node server.js\n"
                // closes idle connections after 1.1 s (it says timeout=1) and after 300 ms (timeout=0)
                + "  - name: short\n    src: framing\n    engine: nodejs16\n    run: KEEP_ALIVE_MS=1100 node server.js\n"
                + "  - name: shorter\n    src: framing\n    engine: nodejs16\n    run: KEEP_ALIVE_MS=300 node server.js\n");
        app = Apps.start(root, Apps.Options.defaults().freeze(false));
        for (String m : new String[] {"/", "/raw/", "/short/", "/shorter/"}) assertEquals(200, Http.get(app.port(), m + "warm").status());
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static Socket connect() throws Exception {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), app.port());
        s.setSoTimeout(30_000);
        return s;
    }

    private static String post(OutputStream out, InputStream in, String path, String body) throws Exception {
        return send(out, in, "POST", path, body);
    }

    private static String send(OutputStream out, InputStream in, String method, String path, String body) throws Exception {
        out.write((method + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
        Http.Response r = Http.read(in, false);
        assertEquals(200, r.status(), r.text());
        return r.text();
    }

    private static String get(OutputStream out, InputStream in, String path) throws Exception {
        out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        Http.Response r = Http.read(in, false);
        assertEquals(200, r.status(), r.text());
        return r.text();
    }

    /** A body the micro read: its connection carries the next request (it used to be closed after every body). */
    @Test
    void aConnectionThatCarriedABodyTheMicroReadIsUsedAgain() throws Exception {
        try (Socket s = connect()) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            String first = get(out, in, "/id");
            for (int size : new int[] {1, 1024, 16 * 1024}) { // bodies the event loop forwards itself
                String read = post(out, in, "/read", "x".repeat(size));
                assertEquals(first + " read " + size, read, "the body went on the same kept-alive connection");
                assertEquals(first, get(out, in, "/id"), "the connection that carried a body was used again");
            }
            // larger ones are read whole on a worker, and go on the connections workers keep
            String put = send(out, in, "PUT", "/read", "x".repeat(100_000));
            assertTrue(put.endsWith(" read 100000"), put);
            assertEquals(put, send(out, in, "PUT", "/read", "y".repeat(100_000)));
        }
    }

    /**
     * A small body that comes after its head (many clients write them apart) is still forwarded on
     * the kept-alive connection; one that trickles in is read on a worker, and arrives whole too.
     */
    @Test
    void aBodySentApartFromItsHeadArrivesWhole() throws Exception {
        try (Socket s = connect()) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            String first = get(out, in, "/id");
            for (int pieces : new int[] {1, 2, 12}) {
                String body = "b".repeat(1200);
                out.write(("POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: " + body.length() + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                for (int i = 0; i < pieces; i++) {
                    Thread.sleep(30);
                    out.write(body.substring(i * body.length() / pieces, (i + 1) * body.length() / pieces).getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
                Http.Response r = Http.read(in, false);
                assertEquals(200, r.status(), r.text());
                assertTrue(r.text().endsWith(" read 1200"), r.text());
                if (pieces == 1) assertEquals(first + " read 1200", r.text(), "forwarded on the kept-alive connection");
            }
            assertTrue(get(out, in, "/id").startsWith("conn "));
        }
    }

    /** A body the micro never read: node drained it, so the connection is used again and the body never ran as a request. */
    @Test
    void aBodyTheMicroAnsweredWithoutReadingIsDrainedNeverRunAsARequest() throws Exception {
        String hidden = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        try (Socket s = connect()) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            String first = get(out, in, "/id");
            for (int i = 0; i < 5; i++) {
                assertEquals(first, post(out, in, "/ignore", hidden));
                assertEquals(first, get(out, in, "/id"), "the next request got its own answer, on the same connection");
            }
            String big = hidden + "x".repeat(100_000); // read whole on a worker first: node drains what it does not read
            String conn = send(out, in, "PUT", "/ignore", big);
            assertEquals(conn + " read 100000", send(out, in, "PUT", "/read", "z".repeat(100_000)), "the drained connection was used again");
            assertFalse(get(out, in, "/seen").contains("/smuggled"));
        }
    }

    /** A server that does not frame bodies gets Connection: close with one: the body is never its next request. */
    @Test
    void aMicroThatDoesNotFrameBodiesNeverTakesOneForARequest() throws Exception {
        String hidden = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
        try (Socket s = connect()) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            OutputStream out = s.getOutputStream();
            String first = get(out, in, "/raw/id");
            for (int i = 0; i < 5; i++) {
                String answer = post(out, in, "/raw/ignore", hidden);
                assertTrue(answer.endsWith(" close"), "the request with a body said Connection: close: " + answer);
                assertNotEquals(first, answer.substring(0, answer.length() - " close".length()), "it went on a connection of its own");
                String next = get(out, in, "/raw/id");
                assertTrue(next.startsWith("conn ") && !next.endsWith(" close"), next);
            }
            assertFalse(get(out, in, "/raw/seen").contains("/smuggled"));
        }
    }

    /**
     * POSTs at pauses around the micro's keep-alive timeout (1.1 s, and 300 ms announced as 0): a
     * pooled connection the micro is closing would leave a POST a 502, since a POST is never sent
     * again. Each one is answered, and each reaches the micro exactly once.
     */
    @Test
    void postsAroundAShortKeepAliveTimeoutAreNeitherLostNorRepeated() throws Exception {
        int[] pauses = {0, 150, 280, 300, 320, 600, 1050, 1100, 1150, 0, 5};
        for (String micro : new String[] {"/short", "/shorter"}) {
            try (Socket s = connect()) {
                InputStream in = new BufferedInputStream(s.getInputStream());
                OutputStream out = s.getOutputStream();
                for (int i = 0; i < pauses.length; i++) {
                    Thread.sleep(pauses[i]);
                    assertTrue(post(out, in, micro + "/read?n=" + i, "p" + i).endsWith(" read " + ("p" + i).length()));
                }
                String seen = get(out, in, micro + "/seen");
                for (int i = 0; i < pauses.length; i++) {
                    String line = "\"POST /read?n=" + i + "\"";
                    assertEquals(seen.indexOf(line), seen.lastIndexOf(line), "POST " + i + " reached " + micro + " once: " + seen);
                    assertTrue(seen.contains(line), seen);
                }
            }
        }
    }
}
