package micros.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import micros.data.tls.LocalCa;
import micros.support.Http;

/**
 * TLS connections and the bounded worker threads (8 here; TLS may hold at most 6): a client
 * that stalls in its hello holds none, open TLS connections never hold them all, one past that
 * waits for a place, and one that stops reading is cut.
 */
class TlsWorkersTest {
    static SSLContext client;
    static LocalCa ca;
    Server server;

    @BeforeAll
    static void trust() throws Exception {
        ca = LocalCa.load();
        client = TlsServerTest.trusting(ca);
    }

    @BeforeEach
    void start() throws IOException {
        server = start(Duration.ofSeconds(5), Duration.ofSeconds(5));
    }

    private static Server start(Duration headTimeout, Duration writeTimeout) throws IOException {
        return Server.start("127.0.0.1", 0, ex -> {
            byte[] body = ex.body().readAllBytes(); // a request with a body needs a worker
            if (ex.rawPath().equals("/big")) {
                ex.send(200, "application/octet-stream", new byte[64 * 1024]);
                return;
            }
            ex.send(200, "text/plain", (ex.method() + " " + ex.rawPath() + " " + body.length).getBytes(StandardCharsets.UTF_8));
        }, new Server.Settings(8, headTimeout, Duration.ofSeconds(5), writeTimeout, Duration.ofSeconds(30), 0), (ex, e) -> { }, ca::serverContext);
    }

    @AfterEach
    void stop() {
        server.stop();
    }

    private SSLSocket tls() throws IOException {
        SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("localhost", server.port());
        s.setSoTimeout(30_000);
        return s;
    }

    private static String post(Socket s, String path) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return Http.read(s.getInputStream(), false).text();
    }

    private String plainPost(String path) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(30_000);
            return post(s, path);
        }
    }

    @Test
    void clientsThatSendOnlyTheFirstTlsByteHoldNoWorker() throws Exception {
        try (SSLSocket warm = tls()) { // loads the TLS context first
            assertEquals("POST /warm 3", post(warm, "/warm"));
        }
        List<SocketChannel> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) { // more than the 8 workers
                SocketChannel c = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
                // a TLS handshake record begins, and no more comes; or a whole record holding one byte of a
                // hello (records may split it), and no more
                c.write(ByteBuffer.wrap(i % 2 == 0 ? new byte[] {0x16} : new byte[] {0x16, 0x03, 0x01, 0x00, 0x01, 0x01}));
                stalled.add(c);
            }
            try (SSLSocket s = tls()) {
                assertEquals("POST /tls 3", post(s, "/tls"));
            }
            assertEquals("POST /plain 3", plainPost("/plain"));
            // they were answered while every stalled client still waited on the loop (when each held
            // a worker, these waited for the 10 s handshake timeout, which had closed the first ones)
            for (SocketChannel c : stalled) {
                c.configureBlocking(false);
                assertEquals(0, c.read(ByteBuffer.allocate(16)), "a stalled client is still open");
            }
            for (SocketChannel c : stalled) { // then the head timeout (5 s) closes each one
                c.configureBlocking(true);
                c.socket().setSoTimeout(30_000);
                int n;
                try {
                    n = c.socket().getInputStream().read();
                } catch (IOException reset) {
                    n = -1;
                }
                assertEquals(-1, n, "closed without a byte sent");
            }
        } finally {
            for (SocketChannel c : stalled) c.close();
        }
        assertEquals("POST /after 3", plainPost("/after"));
    }

    /**
     * Past three quarters of the workers, a TLS connection waits on the loop (holding no thread) until an open
     * one ends, instead of being refused; plain requests keep their workers meanwhile.
     */
    @Test
    void tlsConnectionsPastThreeQuartersOfTheWorkersWaitForAPlaceAndPlainRequestsKeepTheirs() throws Exception {
        List<SSLSocket> open = new ArrayList<>();
        java.util.concurrent.ExecutorService side = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < 6; i++) { // 6 of the 8 workers: each relays its connection's bytes
                SSLSocket s = tls();
                assertEquals("POST /tls/" + i + " 3", post(s, "/tls/" + i));
                open.add(s);
            }
            java.util.concurrent.Future<String> seventh = side.submit(() -> {
                try (SSLSocket s = tls()) {
                    return post(s, "/seventh");
                }
            });
            assertEquals("POST /plain 3", plainPost("/plain"));
            for (SSLSocket s : open) assertEquals("POST /again 3", post(s, "/again"), "the open ones go on");
            // the seventh's handshake waits: no worker takes it while the TLS connections hold 6 of them
            assertThrows(java.util.concurrent.TimeoutException.class, () -> seventh.get(2, java.util.concurrent.TimeUnit.SECONDS));
            open.remove(0).close();
            assertEquals("POST /seventh 3", seventh.get(30, java.util.concurrent.TimeUnit.SECONDS), "a place freed is taken by the waiting TLS connection");
        } finally {
            side.shutdownNow();
            for (SSLSocket s : open) s.close();
        }
    }

    /**
     * A TLS client that asks for more than the buffers hold and never reads is cut after the write
     * timeout (2 s here): the thread writing to it inside TLS does not block for as long as the
     * client keeps its socket open, and its place goes to a TLS connection that waits for one.
     */
    @Test
    void aTlsClientThatStopsReadingLosesItsPlaceToOneThatWaits() throws Exception {
        server.stop();
        server = start(Duration.ofSeconds(20), Duration.ofSeconds(2)); // the waiting one's head timeout outlasts the write timeout
        List<SSLSocket> open = new ArrayList<>();
        java.util.concurrent.ExecutorService side = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < 5; i++) {
                SSLSocket s = tls();
                assertEquals("POST /tls/" + i + " 3", post(s, "/tls/" + i));
                open.add(s);
            }
            SSLSocket stalled = tls(); // the sixth place
            open.add(stalled);
            stalled.setSoLinger(true, 0);
            stalled.startHandshake();
            StringBuilder pipelined = new StringBuilder();
            for (int i = 0; i < 200; i++) pipelined.append("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"); // 200 answers of 64 KiB, never read
            stalled.getOutputStream().write(pipelined.toString().getBytes(StandardCharsets.US_ASCII));
            stalled.getOutputStream().flush();
            assertEquals("POST /plain 3", plainPost("/plain"), "plain requests keep their workers");
            java.util.concurrent.Future<String> next = side.submit(() -> {
                try (SSLSocket s = tls()) {
                    return post(s, "/next");
                }
            });
            // it waits for a place, which only the stalled client's end can free
            assertEquals("POST /next 3", next.get(60, java.util.concurrent.TimeUnit.SECONDS), "the stalled client was never cut");
        } finally {
            side.shutdownNow();
            for (SSLSocket s : open) s.close();
        }
        assertEquals("POST /after 3", plainPost("/after"));
    }

    /**
     * A hello that can never be whole (its header claims 16 MiB) and fills the head buffer is
     * closed as soon as it does, well before the head timeout (20 s here): the loop waited on a
     * socket that stayed readable, a core busy all that time.
     */
    @Test
    void aHelloThatFillsTheBufferIsClosedAtOnce() throws Exception {
        server.stop();
        server = start(Duration.ofSeconds(20), Duration.ofSeconds(5));
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(10_000); // half the head timeout
            OutputStream out = s.getOutputStream();
            byte[] record = new byte[5 + 16 * 1024];
            record[0] = 0x16;
            record[1] = 0x03;
            record[2] = 0x01;
            record[3] = 0x40; // 16 KiB of payload
            record[5] = 0x01; // a ClientHello, 16 MiB long by its header
            record[6] = (byte) 0xff;
            record[7] = (byte) 0xff;
            record[8] = (byte) 0xff;
            try {
                for (int i = 0; i < 6; i++) { // 96 KiB: more than a head may be
                    out.write(record);
                    record[5] = record[6] = record[7] = record[8] = 0;
                }
            } catch (IOException closed) {
                // closed while sending: fine
            }
            int n;
            try {
                n = s.getInputStream().read();
            } catch (java.net.SocketException reset) {
                n = -1;
            }
            assertEquals(-1, n, "closed without an answer");
        }
        assertEquals("POST /after 3", plainPost("/after"));
    }

    @Test
    void aHelloSentInPiecesIsServed() throws Exception {
        try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(new SlowStart(server.port()), "localhost", server.port(), true)) {
            s.setSoTimeout(30_000);
            assertEquals("POST /pieces 3", post(s, "/pieces"));
        }
    }

    /** A socket whose first bytes go out one at a time, with pauses: the hello's record header and body arrive in pieces. */
    private static final class SlowStart extends Socket {
        private int sent;

        SlowStart(int port) throws IOException {
            super(InetAddress.getLoopbackAddress(), port);
            setTcpNoDelay(true);
        }

        @Override
        public OutputStream getOutputStream() throws IOException {
            OutputStream raw = super.getOutputStream();
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    int i = 0;
                    for (; i < len && sent < 8; i++, sent++) {
                        raw.write(b[off + i]);
                        raw.flush();
                        pause();
                    }
                    raw.write(b, off + i, len - i);
                }

                @Override
                public void flush() throws IOException {
                    raw.flush();
                }
            };
        }

        private static void pause() {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
