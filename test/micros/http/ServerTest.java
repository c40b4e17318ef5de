package micros.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import micros.support.Http;
import micros.support.Http.Response;

/** micros' HTTP/1.1 server on its own, with a handler that says what it received. */
class ServerTest {
    static Server server;

    @BeforeAll
    static void start() throws Exception {
        Server.Settings quick = new Server.Settings(64, Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(3), 0);
        server = Server.start("127.0.0.1", 0, ex -> {
            byte[] body = ex.body().readAllBytes();
            String text = ex.method() + " " + ex.rawPath() + (ex.rawQuery() == null ? "" : "?" + ex.rawQuery())
                    + " body=" + body.length + " x=" + ex.header("X-Test");
            if (ex.rawPath().equals("/chunked")) {
                ex.addHeader("Content-Type", "text/plain");
                ex.sendHead(200, -1);
                OutputStream out = ex.responseBody();
                out.write("one,".getBytes());
                out.write("two".getBytes());
                ex.end();
                return;
            }
            ex.send(200, "text/plain", text.getBytes(StandardCharsets.UTF_8));
        }, quick, (ex, e) -> { });
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    private static Response send(String raw) throws Exception {
        return Http.send(server.port(), raw, null);
    }

    @Test
    void answersAndKeepsTheConnectionAlive() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            for (int i = 0; i < 20; i++) {
                s.getOutputStream().write(("GET /r" + i + "?q=1 HTTP/1.1\r\nHost: x\r\nX-Test: " + i + "\r\n\r\n").getBytes());
                Response r = Http.read(s.getInputStream(), false);
                assertEquals(200, r.status());
                assertEquals("GET /r" + i + "?q=1 body=0 x=" + i, r.text());
                assertNull(r.header("connection"));
            }
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.getOutputStream().write("GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            InputStream in = s.getInputStream();
            assertEquals("GET /a body=0 x=null", Http.read(in, false).text());
            assertEquals("POST /b body=3 x=null", Http.read(in, false).text());
            assertEquals("GET /c body=0 x=null", Http.read(in, false).text());
        }
    }

    @Test
    void chunkedBodiesBothWays() throws Exception {
        Response up = send("POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n");
        assertEquals("POST /up body=5 x=null", up.text());
        Response down = send("GET /chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals("chunked", down.header("transfer-encoding"));
        assertEquals("one,two", down.text());
        assertEquals("close", down.header("connection"));
    }

    @Test
    void http10GetsItsOwnFraming() throws Exception {
        Response r = send("GET /old HTTP/1.0\r\n\r\n");
        assertEquals(200, r.status());
        assertEquals("close", r.header("connection"));
        Response streamed = send("GET /chunked HTTP/1.0\r\n\r\n");
        assertNull(streamed.header("transfer-encoding"), "no chunks for HTTP/1.0: the body ends with the connection");
        assertEquals("one,two", streamed.text());
    }

    @Test
    void expectContinueGetsAnInterimAnswer() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.getOutputStream().write("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n".getBytes());
            Response interim = Http.read(s.getInputStream(), true);
            assertEquals(100, interim.status());
            s.getOutputStream().write("data".getBytes());
            assertEquals("POST /e body=4 x=null", Http.read(s.getInputStream(), false).text());
        }
    }

    @Test
    void headAnswersHaveNoBody() throws Exception {
        Response r = send("HEAD /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertEquals(200, r.status());
        assertEquals("21", r.header("content-length")); // "HEAD /h body=0 x=null"
    }

    @Test
    void ambiguousOrMalformedRequestsAreRefused() throws Exception {
        assertEquals(400, send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").status());
        assertEquals(400, send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd").status());
        assertEquals(400, send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd").status());
        assertEquals(400, send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n").status());
        assertEquals(501, send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n").status());
        assertEquals(400, send("GET / HTTP/1.1\r\n\r\n").status(), "HTTP/1.1 needs a Host");
        assertEquals(400, send("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status());
        assertEquals(400, send("GARBAGE\r\n\r\n").status());
        assertEquals(400, send("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n").status());
        assertEquals(400, send("GET / HTTP/1.1\r\nHost: x\r\n folded: line\r\n\r\n").status());
        assertEquals(400, send("GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\n\r\n").status());
        assertEquals(400, send("GET / HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n").status());
        assertEquals(505, send("GET / HTTP/2.0\r\nHost: x\r\n\r\n").status());
        assertEquals(405, send("TRACE / HTTP/1.1\r\nHost: x\r\n\r\n").status());
        assertEquals(405, send("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n").status());
    }

    /**
     * A client that stops reading a response sent in small pieces (each under the socket buffers)
     * loses its connection after the write timeout instead of holding the thread forever; the
     * thread is free again afterwards.
     */
    @Test
    void aClientThatStopsReadingSmallWritesIsCutAfterTheWriteTimeout() throws Exception {
        int pieces = 20_000;
        java.util.concurrent.CountDownLatch handlerDone = new java.util.concurrent.CountDownLatch(1);
        Server.Settings oneSecond = new Server.Settings(8, Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(3), 0);
        Server drip = Server.start("127.0.0.1", 0, ex -> {
            try {
                ex.sendHead(200, -1);
                OutputStream out = ex.responseBody();
                byte[] piece = new byte[1024];
                for (int i = 0; i < pieces; i++) {
                    out.write(piece);
                    out.flush(); // one small write each
                }
                ex.end();
            } finally {
                handlerDone.countDown();
            }
        }, oneSecond, (ex, e) -> { });
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), drip.port()));
            s.getOutputStream().write("GET /drip HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertTrue(handlerDone.await(60, java.util.concurrent.TimeUnit.SECONDS), "the handler's write never gave up");
            long read = 0;
            try {
                InputStream in = s.getInputStream();
                byte[] b = new byte[65536];
                for (int n; (n = in.read(b)) > 0; ) read += n;
            } catch (java.io.IOException reset) {
                // cut
            }
            assertTrue(read < (long) pieces * 1024, "the whole response arrived: the connection was not cut (" + read + " bytes)");
        } finally {
            drip.stop();
        }
    }

    /**
     * A client that sends part of a body and then ends its side can never finish the request: the
     * connection closes as soon as that end arrives (it went back and forth between the loop and a
     * worker until the body timeout, then got a 408, keeping a core busy meanwhile).
     */
    @Test
    void aBodyCutShortByTheClientsEndClosesAtOnce() throws Exception {
        for (int i = 0; i < 3; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
                s.setSoTimeout(30_000);
                s.getOutputStream().write("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab".getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(300); // the rest of the body is awaited on the loop
                s.shutdownOutput();
                assertEquals("", new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1), "closed without an answer (no 408 after the body timeout)");
            }
        }
    }

    /** RFC 9110 §5.5: bytes 0x80-0xFF (obs-text, e.g. UTF-8 a browser's fetch() sends) are allowed in a value. */
    @Test
    void headerValuesMayCarryBytesAbove0x7f() throws Exception {
        String utf8 = new String("José".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
        Response r = send("GET /n HTTP/1.1\r\nHost: x\r\nX-Test: " + utf8 + "\r\nCookie: name=" + utf8 + "\u00ff\r\nConnection: close\r\n\r\n");
        assertEquals(200, r.status(), r.text());
        assertEquals("GET /n body=0 x=" + new String(utf8.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1), new String(r.body(), StandardCharsets.UTF_8));
        assertEquals(400, send("GET / HTTP/1.1\r\nHost: x\r\nX: a\u007fb\r\n\r\n").status(), "DEL stays refused");
    }

    @Test
    void oversizedHeadsGet414Or431() throws Exception {
        assertEquals(414, send("GET /" + "a".repeat(70 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n").status());
        assertEquals(431, send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(70 * 1024) + "\r\n\r\n").status());
        assertEquals(200, send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(60 * 1024) + "\r\nConnection: close\r\n\r\n").status());
    }

    @Test
    void absoluteFormTargetsUseTheirPath() throws Exception {
        assertEquals("GET /p body=0 x=null", send("GET http://example.com/p HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n").text());
    }

    @Test
    void aSlowHeadIsParkedAndFinishedLater() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            OutputStream out = s.getOutputStream();
            for (String part : new String[] {"GET /sl", "ow HTTP/1.1\r\n", "Host: x\r\n", "\r\n"}) {
                out.write(part.getBytes());
                out.flush();
                Thread.sleep(300);
            }
            assertEquals("GET /slow body=0 x=null", Http.read(s.getInputStream(), false).text());
        }
    }

    @Test
    void aHeadThatNeverEndsGets408() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n".getBytes());
            long t0 = System.nanoTime();
            Response r = Http.read(s.getInputStream(), false);
            assertEquals(408, r.status());
            assertTrue(System.nanoTime() - t0 < 8_000_000_000L);
        }
    }

    @Test
    void aStoppedServerStillNamesItsPort() throws Exception {
        // the run banner can be printed while a signal stops micros: it must name the port, not -1
        Server.Settings quick = new Server.Settings(8, Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(3), 0);
        Server s = Server.start("127.0.0.1", 0, ex -> ex.sendHead(204, -1), quick, (ex, e) -> { });
        int port = s.port();
        assertTrue(port > 0, "no port: " + port);
        s.stop();
        assertEquals(port, s.port());
        assertEquals(port, s.address().getPort());
    }
}
