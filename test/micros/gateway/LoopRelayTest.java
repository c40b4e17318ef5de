package micros.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import micros.runtime.RunConfig;
import micros.support.Apps;
import micros.support.Http;
import micros.util.Json;

/**
 * The event loop's own forwards (a body-less request to an awake micro, a small whole answer):
 * pipelined requests, a client that reads late, connections the micro drops or spoils, and the
 * hand-over to a worker for everything else, with a real gateway and real micros.
 */
class LoopRelayTest {
    @TempDir
    static Path dir;
    static Apps.Running app;

    /** A raw micro: answers by path, and misbehaves on purpose where its path says so. */
    private static final String RAW_MICRO = """
            const net = require("net");
            let connections = 0, closes = 0;
            net.createServer((sock) => {
              const id = ++connections;
              let buf = "";
              sock.on("data", (d) => {
                buf += d.toString("latin1");
                let end;
                while ((end = buf.indexOf("\\r\\n\\r\\n")) >= 0) {
                  const path = buf.slice(0, end).split(" ")[1];
                  buf = buf.slice(end + 4);
                  const body = path.startsWith("/count") ? "closes " + closes : path + " on connection " + id + (path.startsWith("/pad") ? " " + "x".repeat(15000) : path.startsWith("/large") ? " " + "l".repeat(20000) : "");
                  const answer = "HTTP/1.1 200 OK\\r\\nContent-Length: " + body.length + "\\r\\n\\r\\n" + body;
                  if (path.startsWith("/close")) { // hangs up without answering, after counting the request
                    closes++;
                    sock.destroy();
                    return;
                  }
                  if (path.startsWith("/extra")) { // an answer, then bytes nobody asked for: a forged second answer
                    sock.write(answer + "HTTP/1.1 200 OK\\r\\nContent-Length: 6\\r\\n\\r\\nforged");
                  } else if (path.startsWith("/split")) { // head now, body a moment later
                    sock.write(answer.slice(0, answer.length - body.length));
                    setTimeout(() => sock.write(body), 50);
                  } else if (path.startsWith("/tight")) { // 150 headers written "name:value" and a body: just under 16 KiB in all
                    let head = "HTTP/1.1 200 OK\\r\\n";
                    for (let h = 0; h < 150; h++) head += "x" + h + ":1\\r\\n";
                    const filler = "t".repeat(16250 - head.length - 30);
                    sock.write(head + "Content-Length: " + filler.length + "\\r\\n\\r\\n" + filler);
                  } else if (path.startsWith("/trickle")) { // the whole answer a byte at a time
                    sock.setNoDelay(true);
                    let i = 0;
                    const next = () => { if (i < answer.length) { sock.write(answer[i++]); setTimeout(next, 1); } };
                    next();
                  } else if (path.startsWith("/interim")) { // an interim 103 first
                    sock.write("HTTP/1.1 103 Early Hints\\r\\nLink: </a.css>\\r\\n\\r\\n" + answer);
                  } else {
                    sock.write(answer);
                  }
                  if (path.startsWith("/drop")) sock.end(); // answers, then hangs up: the pooled connection is stale
                }
              });
              sock.setTimeout(100, () => sock.destroy()); // drops idle keep-alive connections quickly
              sock.on("error", () => {});
            }).listen(Number(process.env.PORT), "127.0.0.1");
            """;

    /** Keeps idle connections a minute and says how many it has open: /slow answers after 300 ms. */
    private static final String COUNTING_MICRO = """
            const http = require("http");
            const server = http.createServer((req, res) => {
              const answer = () => server.getConnections((e, n) => res.end("open " + n));
              if (req.url.startsWith("/slow")) setTimeout(answer, 300); else answer();
            });
            server.keepAliveTimeout = 60000;
            server.listen(Number(process.env.PORT), "127.0.0.1");
            """;

    @BeforeAll
    static void start() throws Exception {
        Apps.require("node");
        Path root = Apps.copy("routing", dir.resolve("app"));
        Files.createDirectories(root.resolve("raw"));
        Files.writeString(root.resolve("raw/raw.js"), RAW_MICRO);
        Files.createDirectories(root.resolve("counting"));
        Files.writeString(root.resolve("counting/counting.js"), COUNTING_MICRO);
        Files.writeString(root.resolve("Spacefile"), "v: 0\nmicros:\n  - name: web\n    src: public\n    engine: static\n    serve: .\n    primary: true\n"
                + "  - name: api\n    src: echo\n    engine: nodejs16\n    run: node echo.js\n"
                + "  - name: raw\n    src: raw\n    engine: nodejs16\n    run: node raw.js\n"
                + "  - name: counting\n    src: counting\n    engine: nodejs16\n    run: node counting.js\n");
        // not frozen between requests: a frozen micro is thawed by a worker, which then also serves what the client pipelined
        app = Apps.start(root, Apps.Options.defaults().freeze(false).limits(RunConfig.Limits.SPACE.withRead(Duration.ofSeconds(2))));
        Http.Response warm = Http.get(app.port(), "/api/warm");
        assertEquals(200, warm.status(), warm.text());
        warm = Http.get(app.port(), "/raw/warm");
        assertEquals(200, warm.status(), warm.text());
    }

    @AfterAll
    static void stop() {
        if (app != null) app.close();
    }

    private static Socket connect(int receiveBuffer) throws Exception {
        Socket s = new Socket();
        if (receiveBuffer > 0) s.setReceiveBufferSize(receiveBuffer);
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), app.port()));
        s.setSoTimeout(30_000);
        return s;
    }

    private static String pipelined(String prefix, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append("GET ").append(prefix).append(i).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
        return sb.toString();
    }

    @Test
    void pipelinedRequestsComeBackWholeAndInOrder() throws Exception {
        try (Socket s = connect(0)) {
            s.getOutputStream().write(pipelined("/api/n", 60).getBytes(StandardCharsets.US_ASCII));
            InputStream in = new BufferedInputStream(s.getInputStream());
            for (int i = 0; i < 60; i++) {
                Http.Response r = Http.read(in, false);
                assertEquals(200, r.status(), r.text());
                assertEquals("/n" + i, Json.object(r.text()).get("url"));
            }
        }
    }

    /**
     * 600 answers of 15 KB (more than the socket buffers hold) while the client does not read: the
     * loop waits until it may write, then goes on with the next pipelined request.
     */
    @Test
    void aClientThatReadsLateStillGetsEveryAnswer() throws Exception {
        int n = 600;
        try (Socket s = connect(4096)) {
            s.getOutputStream().write(pipelined("/raw/pad", n).getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(1000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            for (int i = 0; i < n; i++) {
                Http.Response r = Http.read(in, false);
                assertEquals(200, r.status(), r.text());
                assertTrue(r.text().startsWith("/pad" + i + " on connection "), r.text().substring(0, 40));
                assertEquals(15000, r.text().length() - r.text().indexOf(' ', r.text().indexOf("connection ") + 11) - 1);
            }
        }
        assertEquals(200, Http.get(app.port(), "/api/after").status());
    }

    @Test
    void bytesAMicroSendsUnaskedNeverBecomeTheNextAnswer() throws Exception {
        try (Socket s = connect(0)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            s.getOutputStream().write("GET /raw/extra HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(Http.read(in, false).text().startsWith("/extra on connection "));
            for (int i = 0; i < 3; i++) {
                s.getOutputStream().write(("GET /raw/next" + i + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String text = Http.read(in, false).text();
                assertTrue(text.startsWith("/next" + i + " on connection "), text);
            }
        }
    }

    /** The micro drops idle connections after 100 ms and hangs up after /drop: no request meets a dead pooled connection. */
    @Test
    void connectionsTheMicroDroppedAreNotReused() throws Exception {
        try (Socket s = connect(0)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            String previous = null;
            for (int i = 0; i < 6; i++) {
                String path = i % 2 == 0 ? "/raw/drop" + i : "/raw/idle" + i;
                s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                Http.Response r = Http.read(in, false);
                assertEquals(200, r.status(), r.text());
                assertTrue(r.text().startsWith(path.substring(4) + " on connection "), r.text());
                assertTrue(previous == null || !r.text().endsWith(previous), "a dropped connection was used again: " + r.text());
                previous = r.text().substring(r.text().indexOf(" on connection "));
                Thread.sleep(i % 2 == 0 ? 20 : 250);
            }
        }
    }

    @Test
    void answersThatAreNotSimpleOrComeSlowlyArriveWhole() throws Exception {
        try (Socket s = connect(0)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            String[] paths = {"/raw/trickle", "/raw/split", "/raw/interim", "/api/big?mb=1", "/api/big?mb=1&chunked=1", "/api/sleep?ms=200", "/raw/plain"};
            for (String p : paths) s.getOutputStream().write(("GET " + p + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertTrue(Http.read(in, false).text().startsWith("/trickle on connection "));
            assertTrue(Http.read(in, false).text().startsWith("/split on connection "));
            assertTrue(Http.read(in, false).text().startsWith("/interim on connection "));
            assertEquals(1 << 20, Http.read(in, false).body().length);
            assertEquals(1 << 20, Http.read(in, false).body().length);
            assertEquals("slept", Http.read(in, false).text());
            assertTrue(Http.read(in, false).text().startsWith("/plain on connection "));
        }
    }

    @Test
    void headAndHttp10GetTheirOwnFraming() throws Exception {
        Http.Response head = Http.send(app.port(), "HEAD /raw/h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", null);
        assertEquals(200, head.status());
        assertTrue(Integer.parseInt(head.header("content-length")) >= "/h on connection 1".length(), head.header("content-length"));
        assertEquals(0, head.body().length);
        try (Socket s = connect(0)) {
            s.getOutputStream().write("GET /raw/old HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] all = s.getInputStream().readAllBytes(); // HTTP/1.0 without keep-alive: the connection ends after the answer
            String text = new String(all, StandardCharsets.ISO_8859_1);
            assertTrue(text.startsWith("HTTP/1.0 200"), text);
            assertTrue(text.contains("\r\n\r\n/old on connection "), text);
        }
    }

    /** The gateway's own header lines can make a micro's answer longer: it still fits, or goes to a worker, and is whole. */
    @Test
    void anAnswerThatGrowsOnTheWayIsStillWhole() throws Exception {
        for (int i = 0; i < 3; i++) {
            Http.Response r = Http.get(app.port(), "/raw/tight");
            assertEquals(200, r.status());
            assertEquals(150, r.headers().keySet().stream().filter(h -> h.matches("x[0-9]+")).count());
            assertEquals(Integer.parseInt(r.header("content-length")), r.body().length);
        }
        assertEquals(200, Http.get(app.port(), "/api/after").status());
    }

    /**
     * Clients that hang up while their answer is on its way, or send a body just as the request
     * before it is answered: the loop never reads a body as a request, and keeps serving.
     */
    @Test
    void racesBetweenAClientAndItsAnswersLeaveTheGatewayServing() throws Exception {
        Random random = new Random(7);
        for (int i = 0; i < 1500; i++) {
            try (Socket s = connect(0)) {
                s.getOutputStream().write("GET /raw/large HTTP/1.1\r\nHost: x\r\n\r\nGET /raw/y HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                if (random.nextBoolean()) Thread.onSpinWait();
            }
        }
        String smuggled = "GET /api/smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
        for (int i = 0; i < 300; i++) {
            try (Socket s = connect(0)) {
                InputStream in = new BufferedInputStream(s.getInputStream());
                s.getOutputStream().write(("GET /api/first HTTP/1.1\r\nHost: x\r\n\r\nPOST /api/p HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: "
                        + smuggled.length() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                long pause = System.nanoTime() + random.nextInt(800_000);
                while (System.nanoTime() < pause) Thread.onSpinWait();
                s.getOutputStream().write(smuggled.getBytes(StandardCharsets.US_ASCII));
                assertEquals("/first", Json.object(Http.read(in, false).text()).get("url"));
                Http.Response post = Http.read(in, false);
                assertEquals(200, post.status(), post.text());
                assertEquals(((Number) Json.object(post.text()).get("bodyBytes")).intValue(), smuggled.length());
                assertEquals(0, in.readAllBytes().length, "nothing after the POST's answer: its body was never a request");
            }
        }
        assertEquals(200, Http.get(app.port(), "/api/after").status());
    }

    /** The start of a pipelined head that never ends gets its 408 like any other slow head (--read-timeout, 2 s here). */
    @Test
    void aPipelinedHeadThatNeverEndsTimesOut() throws Exception {
        try (Socket s = connect(0)) {
            s.getOutputStream().write("GET /api/a HTTP/1.1\r\nHost: x\r\n\r\nGET /api/b HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = new BufferedInputStream(s.getInputStream());
            assertEquals(200, Http.read(in, false).status());
            Http.Response late = Http.read(in, false);
            assertEquals(408, late.status(), late.text());
            assertEquals(-1, in.read(), "the connection ends");
        }
    }

    /**
     * After a request the loop does not relay (a body, a static file) the worker waits a moment for
     * the next one on the same connection: what comes at once, what comes after it stopped waiting
     * (200 ms), a head that trickles in across both, and a client that hangs up meanwhile are all served.
     */
    @Test
    void theRequestAfterOneTheLoopDoesNotRelayIsServedWhenItComes() throws Exception {
        try (Socket s = connect(0)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            var out = s.getOutputStream();
            for (int round = 0; round < 4; round++) {
                out.write(("POST /api/p" + round + " HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello").getBytes(StandardCharsets.US_ASCII));
                Http.Response post = Http.read(in, false);
                assertEquals(200, post.status(), post.text());
                assertEquals(5, ((Number) Json.object(post.text()).get("bodyBytes")).intValue());
                if (round % 2 == 1) Thread.sleep(300); // past the wait: the loop takes the connection back
                if (round == 2) { // half a head while the worker waits, the rest once the loop holds the connection
                    out.write("GET /raw/tr".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    Thread.sleep(300);
                    out.write("ickled HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } else {
                    out.write(("GET /raw/g" + round + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                }
                String text = Http.read(in, false).text();
                assertTrue(text.startsWith((round == 2 ? "/trickled" : "/g" + round) + " on connection "), text);
                out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)); // the static micro: a worker's
                assertEquals(200, Http.read(in, false).status());
            }
        }
        for (int i = 0; i < 20; i++) { // hang up while the worker waits
            try (Socket s = connect(0)) {
                s.getOutputStream().write("POST /api/q HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi".getBytes(StandardCharsets.US_ASCII));
                assertEquals(200, Http.read(new BufferedInputStream(s.getInputStream()), false).status());
            }
        }
        assertEquals(200, Http.get(app.port(), "/api/after").status());
    }

    /**
     * RFC 9110 9.2.2: a proxy must not send a non-idempotent request twice. A micro that hangs up
     * without answering sees a POST once (502), where a GET on a pooled connection is tried again
     * on a fresh one (the micro may only have dropped an idle connection).
     */
    @Test
    void aPostIsNeverSentTwice() throws Exception {
        int before = closesAfter("GET /raw/count HTTP/1.1\r\nHost: x\r\n\r\n");
        int afterPost = closesAfter("POST /raw/close HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        int afterPosts = closesAfter("POST /raw/close HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        int afterGet = closesAfter("GET /raw/close HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(before >= 0);
        assertEquals(1, afterPost - before, "the POST without a body reached the micro once");
        assertEquals(1, afterPosts - afterPost, "the POST with a body reached the micro once");
        assertEquals(2, afterGet - afterPosts, "a GET on a pooled connection is tried once more");
    }

    /**
     * On one connection: a count (which leaves a pooled connection to the raw micro), then
     * {@code request} to a path where the micro hangs up (502), then the micro's count again.
     */
    private static int closesAfter(String request) throws Exception {
        try (Socket s = connect(0)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            var out = s.getOutputStream();
            out.write("GET /raw/count HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals(200, Http.read(in, false).status());
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            Http.Response r = Http.read(in, false);
            if (request.contains("/close")) assertEquals(502, r.status(), r.text());
            out.write("GET /raw/count HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return Integer.parseInt(Http.read(in, false).text().split(" ")[1]);
        }
    }

    /**
     * A burst leaves many pooled connections to a micro; steady traffic afterwards takes the newest
     * each time. The ones idle past 2 s are closed as connections come back, not kept open forever.
     */
    @Test
    void pooledConnectionsLeftByABurstAreClosedOnceStale() throws Exception {
        int burst = 12;
        Socket[] clients = new Socket[burst];
        for (int i = 0; i < burst; i++) {
            clients[i] = connect(0);
            clients[i].getOutputStream().write("GET /counting/slow HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        for (Socket c : clients) {
            assertEquals(200, Http.read(new BufferedInputStream(c.getInputStream()), false).status());
            c.close();
        }
        int open = 0;
        try (Socket s = connect(0)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            for (long end = System.nanoTime() + 3_000_000_000L; System.nanoTime() < end; ) {
                s.getOutputStream().write("GET /counting/n HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                Http.Response r = Http.read(in, false);
                assertEquals(200, r.status(), r.text());
                open = Integer.parseInt(r.text().substring("open ".length()));
                Thread.sleep(100);
            }
        }
        assertTrue(open >= 1 && open <= 3, "the micro still holds " + open + " connections after a burst of " + burst);
    }

    /** RFC 9110's IMF-fixdate: a two-digit day. */
    @Test
    void datesHaveTwoDigitDays() throws Exception {
        assertEquals("Tue, 01 Dec 2026 02:03:04 GMT", micros.http.Exchange.httpDate(Instant.parse("2026-12-01T02:03:04Z")));
        String date = Http.get(app.port(), "/raw/date").header("date");
        assertTrue(date.matches("[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"), date);
    }
}
